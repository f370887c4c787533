"""A JSON body is read as JSON: a number field takes a JSON number, a flag `true` or `false`, text a string.

FastAPI parses a body and validates the result in pydantic's lax Python mode, which also takes "3" or `true` for
a number and "yes" or 1 for a flag: values the OpenAPI document says are wrong, silently turned into others. A
body that passes only by such a coercion is refused with the usual 422. Anything else wrong with a body is left to
FastAPI in its turn, so the order of answers it gives (401 before 422) stays as it was.
"""

from functools import cache
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import TypeAdapter, ValidationError


@cache
def _adapter(annotation: Any) -> TypeAdapter[Any]:
    return TypeAdapter(annotation)


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


async def refuse_coerced_json(request: Request) -> None:
    """App-wide dependency: 422 for a JSON body only lax validation accepts."""
    field = getattr(request.scope.get("route"), "body_field", None)
    if field is None or not _is_json(request.headers.get("content-type", "")):
        return
    body = await request.body()
    if not body:
        return
    adapter = _adapter(field.field_info.annotation)
    try:
        adapter.validate_json(body, strict=True)
    except ValidationError as strict:
        errors = [error for error in strict.errors(include_url=False) if not _whole_number(error)]
        if not errors:
            return
        try:
            adapter.validate_json(body)
        except ValueError:  # wrong beyond coercion (or not JSON at all): FastAPI answers that in its turn
            return
        raise RequestValidationError([{**error, "loc": ("body", *error["loc"])} for error in errors]) from None


def _whole_number(error: Any) -> bool:
    """2.0 is an integer to JSON Schema (and to JavaScript, which writes no other kind); strict pydantic says no."""
    value = error.get("input")
    return bool(error["type"] == "int_type" and isinstance(value, float) and value.is_integer())
