"""Domain errors, raised by services and mapped to HTTP once, here."""

import math
from datetime import date, time
from decimal import Decimal
from typing import Any, cast

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse


class DomainError(Exception):
    status_code = 400

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    """The request is valid but the resource's current state forbids it."""

    status_code = 409


class Invalid(DomainError):
    """Input that passed schema validation but breaks a domain rule.

    Answered in the shape FastAPI uses for schema errors, so a client reads every 422 the same way.
    """

    status_code = 422

    def __init__(self, detail: str, *, field: str, location: str = "body") -> None:
        super().__init__(detail)
        self.field = field
        self.location = location


class Unauthorized(DomainError):
    status_code = 401


class Forbidden(DomainError):
    status_code = 403


class TooManyRequests(DomainError):
    status_code = 429


class Unavailable(DomainError):
    status_code = 503


def domain_error_body(error: DomainError) -> dict[str, Any]:
    if isinstance(error, Invalid):
        return {"detail": [{"type": "invalid", "loc": [error.location, error.field], "msg": error.detail}]}
    return {"detail": error.detail, **error.extra}


async def domain_error_response(request: Request, exc: Exception) -> JSONResponse:
    error = cast(DomainError, exc)  # registered for DomainError only
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(error, Unauthorized) else None
    return JSONResponse(domain_error_body(error), status_code=error.status_code, headers=headers)


def json_safe(value: Any) -> Any:
    """`value` as plain JSON whatever it holds: NaN and infinities as text ("NaN", "Infinity"), which strict JSON
    cannot carry; bytes decoded (undecodable ones replaced); anything else unknown as its text."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float | Decimal):
        number = float(value)
        if math.isfinite(number):
            return number
        return "NaN" if math.isnan(number) else ("Infinity" if number > 0 else "-Infinity")
    if isinstance(value, dict):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_safe(item) for item in value]
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", errors="replace")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


async def validation_error_response(request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's 422, able to echo any input back: a NaN or infinity sent in a body made the default one a 500."""
    error = cast(RequestValidationError, exc)  # registered for RequestValidationError only
    return JSONResponse({"detail": json_safe(error.errors())}, status_code=422)
