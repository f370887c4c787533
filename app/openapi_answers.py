"""The OpenAPI document says what the API really answers: every error a route can give, in the body it has, and
the headers and media types its successes carry.

FastAPI documents a route's success and the 422 of its own parameter checks. The other errors follow from how
the route is built (who must be logged in, which ids are in its path, whether it reads a body, whether it opens
a database session), so they are derived here, once, from the route itself; a route declares in `responses=`
only what its service alone knows (a 409 of its state rules, a 403 of a role check on a read, its media types).
"""

from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from app.auth.deps import SAFE_METHODS, api_principal, optional_principal
from app.db import get_session
from app.errors import Conflict, Forbidden, Invalid, NotFound, TooManyRequests, Unauthorized, Unavailable

MALFORMED_BODY = 400  # FastAPI's own answer to a body it cannot read (not UTF-8, a broken multipart form)

# What each error means, keyed by the status the domain errors of app/errors.py map to.
MEANINGS: dict[int, str] = {
    MALFORMED_BODY: "The body could not be read: not UTF-8 JSON, or a broken multipart form",
    Unauthorized.status_code: "Not logged in, or the API token is invalid or revoked",
    Forbidden.status_code: "Not allowed: a role this needs is missing, or a cookie session's CSRF token is missing",
    NotFound.status_code: "No such record, or it belongs to an institution the caller is not a member of",
    Conflict.status_code: "The record's current state does not allow this (see `detail`)",
    Invalid.status_code: "A parameter or the body breaks the schema or a domain rule (see `detail`)",
    TooManyRequests.status_code: "Too many attempts; wait before trying again",
    Unavailable.status_code: "The database is unavailable; try again shortly",
}

ERROR_SCHEMA = "Error"
ERROR_BODY: dict[str, Any] = {
    "title": ERROR_SCHEMA,
    "type": "object",
    "required": ["detail"],
    "properties": {"detail": {"type": "string", "title": "Detail", "description": "What went wrong, for people"}},
}

HEADERS: dict[str, str] = {
    "ETag": "The version sent: an item's, to send back in `If-Match` with a change; a report PDF's SHA-256",
    "Content-Disposition": "An attachment, with the file name to save it under",
    "WWW-Authenticate": "The authentication scheme to use (`Bearer`)",
}


def response_headers(*names: str) -> dict[str, Any]:
    """The OpenAPI `headers` of a success that always sends these."""
    return {name: {"description": HEADERS[name], "required": True, "schema": {"type": "string"}} for name in names}


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _calls(sub)


def derived_errors(route: APIRoute, method: str) -> set[int]:
    """The error statuses a route can answer by how it is built (FastAPI documents the 422 of its parameters)."""
    calls = set(_calls(route.dependant))
    errors: set[int] = set()
    if route.body_field is not None:
        errors.add(MALFORMED_BODY)
    if api_principal in calls:
        errors.add(Unauthorized.status_code)
        if method not in SAFE_METHODS:  # a cookie session's write without its CSRF token
            errors.add(Forbidden.status_code)
    elif optional_principal in calls:  # an invalid token is refused even where logging in is optional
        errors.add(Unauthorized.status_code)
    if route.dependant.path_params:
        errors.add(NotFound.status_code)
    if get_session in calls:
        errors.add(Unavailable.status_code)
    return errors


def _document_errors(operation: dict[str, Any], errors: set[int]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    for error in errors:
        responses.setdefault(str(error), {})
    for status, response in responses.items():
        if not status.isdigit() or int(status) < 400:
            continue
        code = int(status)
        if not response.get("description") or response["description"] == "Additional Response":
            response["description"] = MEANINGS.get(code, "Error")
        if code == Invalid.status_code:
            response.setdefault("content", {"application/json": {"schema": {"$ref": _ref("HTTPValidationError")}}})
        else:
            response.setdefault("content", {"application/json": {"schema": {"$ref": _ref(ERROR_SCHEMA)}}})
        if code == Unauthorized.status_code:
            response.setdefault("headers", {}).update(response_headers("WWW-Authenticate"))
    operation["responses"] = dict(sorted(responses.items()))


def _ref(name: str) -> str:
    return f"#/components/schemas/{name}"


def _not_null(schema: dict[str, Any]) -> None:
    """Drop the `null` choice FastAPI writes for an optional parameter or form field: on the wire such a value is
    absent or text, never null, and a client taking the document at its word sends the text "null"."""
    choices = schema.get("anyOf")
    if isinstance(choices, list) and {"type": "null"} in choices:
        rest = [choice for choice in choices if choice != {"type": "null"}]
        del schema["anyOf"]
        if len(rest) == 1:
            schema.update({key: value for key, value in rest[0].items() if key not in schema})
        else:
            schema["anyOf"] = rest


def _wire_values_not_null(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    for operations in document["paths"].values():
        for operation in operations.values():
            for parameter in operation.get("parameters", ()):
                _not_null(parameter.get("schema", {}))
            form = operation.get("requestBody", {}).get("content", {}).get("multipart/form-data", {})
            ref = form.get("schema", {}).get("$ref", "")
            for field in schemas.get(ref.rsplit("/", 1)[-1], {}).get("properties", {}).values():
                _not_null(field)


def complete_document(app: FastAPI, document: dict[str, Any]) -> dict[str, Any]:
    """Add the derived errors to every operation of `document` (idempotent: the document is cached and reused)."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault(ERROR_SCHEMA, ERROR_BODY)
    _wire_values_not_null(document)
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        path = context.path_format
        if not isinstance(route, APIRoute) or not route.include_in_schema or path not in document["paths"]:
            continue
        for method in context.methods or ():
            operation = document["paths"][path].get(method.lower())
            if operation is not None:
                _document_errors(operation, derived_errors(route, method))
    return document


def document_answers(app: FastAPI) -> None:
    """Make `app.openapi()` answer the completed document, composing with whatever it already does
    (app.openapi adds the security schemes): the previous function builds the document, this one adds the errors."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        return complete_document(app, build())

    app.openapi = openapi  # type: ignore[method-assign]
