"""Text input types shared by request schemas. PostgreSQL cannot store NUL characters, and no person types one,
so text carrying one is refused at the edge (422 naming the field) instead of failing in the database."""

import re
from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


# The refusal as the OpenAPI document states it, so a client (or a fuzzer) knows NUL is not text here.
NO_NUL = Field(json_schema_extra={"pattern": r"^[^\x00]*$"})
NoNul = AfterValidator(_no_nul)
Text = Annotated[str, NoNul, NO_NUL]
# A name is stripped first, so it needs one character that is not Unicode white space (what stripping removes).
WHITE_SPACE = r"\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
NOT_BLANK = Field(json_schema_extra={"pattern": rf"^[^\x00]*[^\x00{WHITE_SPACE}][^\x00]*$"})
# Stripping and lengths go on the plain string, before NoNul: stacked on Text instead, pydantic checked the length
# before stripping and took "   " as "" for a required field.
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), NoNul, NOT_BLANK]
# Dates and times in a query or form are ISO 8601 text, as the document's `format` says; pydantic alone would also
# read "0.5" as half a second after 1970 and "2000-01-01" as a date-time.
ISO_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
ISO_DATETIME = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?([Zz]|[+-][0-9]{2}:[0-9]{2})$"


def _iso(pattern: str, example: str) -> BeforeValidator:
    def check(value: object) -> object:
        if isinstance(value, str) and re.fullmatch(pattern, value.strip()) is None:
            raise ValueError(f"expected ISO 8601, e.g. {example}")
        return value

    return BeforeValidator(check)


IsoDate = Annotated[date, _iso(ISO_DATE, "2026-11-30")]
IsoDateTime = Annotated[datetime, _iso(ISO_DATETIME, "2026-11-30T09:00:00Z")]
ItemKey = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9]*-\d{3}$", max_length=40)]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]*$", max_length=40)]
