"""Text input types shared by request schemas. PostgreSQL cannot store NUL characters, and no person types one,
so text carrying one is refused at the edge (422 naming the field) instead of failing in the database."""

from typing import Annotated

from pydantic import AfterValidator, StringConstraints


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


Text = Annotated[str, AfterValidator(_no_nul)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), AfterValidator(_no_nul)]
ItemKey = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9]*-\d{3}$", max_length=40)]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]*$", max_length=40)]
