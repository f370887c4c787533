"""The app's route table, and how to fill a route's path, query and body from a world of real records.

Security tests walk every route rather than a list of paths, so an endpoint added later is covered the day it
appears; a path parameter or body the tests do not know how to fill fails them, naming what to teach.
"""

import enum
import types
import typing
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.datastructures import UploadFile
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel, ValidationError
from sqlalchemy import Engine, select
from sqlmodel import SQLModel

from app.web.session import web_principal

# Path parameters that name nothing an institution owns (libraries are shared), or that are themselves the
# credential (an invitation's secret token): routes whose only parameters are these are not institution-scoped.
GLOBAL_PARAMETERS = frozenset({"library_id", "version", "token"})


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    route: APIRoute

    @property
    def path_parameters(self) -> list[str]:
        return [p.name for p in self.route.dependant.path_params]

    @property
    def is_api(self) -> bool:
        return self.path.startswith("/api/")

    @property
    def is_web(self) -> bool:
        return not self.route.include_in_schema and not self.is_api

    @property
    def needs_login(self) -> bool:
        """Whether the route acts for a logged-in person (depends on the web session)."""
        pending = list(self.route.dependant.dependencies)
        while pending:
            dependency = pending.pop()
            if dependency.call is web_principal:
                return True
            pending += dependency.dependencies
        return False

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def app_routes(app: FastAPI) -> list[Route]:
    """Every FastAPI route of the app, one entry per method (HEAD left out: it is GET without a body)."""
    found: list[Route] = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute):
            found += [Route(method, context.path or route.path, route) for method in sorted(route.methods - {"HEAD"})]
    return found


# --- filling a route -------------------------------------------------------------------------------

ValueSource = Callable[[], str]


class World:
    """Values for path parameters by name, produced lazily (some cost a PDF rendering or an invitation)."""

    def __init__(self, sources: dict[str, ValueSource]) -> None:
        self.sources = sources
        self.cache: dict[str, str] = {}

    def value(self, name: str, route: Route) -> str:
        name = self._source_name(name, route)
        if name not in self.sources:
            pytest.fail(f"{route}: the security tests do not know how to fill the parameter '{name}'; "
                        "teach tests/security (the world fixture) a record of another institution for it")
        if name not in self.cache:
            self.cache[name] = self.sources[name]()
        return self.cache[name]

    def _source_name(self, name: str, route: Route) -> str:
        """A source may be named after the segment before the parameter ("local-items/key"), for a route whose
        parameter needs a particular kind of record (a local item, where other routes take any item's key)."""
        segments = route.path.split("/")
        placeholder = "{" + name + "}"
        if placeholder in segments and segments.index(placeholder) > 0:
            qualified = f"{segments[segments.index(placeholder) - 1]}/{name}"
            if qualified in self.sources:
                return qualified
        return name

    def path(self, route: Route) -> str:
        path = route.path
        for name in route.path_parameters:
            path = path.replace(f"{{{name}}}", self.value(name, route))
        return path


def required_query(route: Route, world: World) -> dict[str, str]:
    """Required query parameters, filled by name like path parameters (a model of filters needs none)."""
    return {
        p.alias: world.value(p.name, route)
        for p in route.route.dependant.query_params
        if p.field_info.is_required() and not _is_model(p.field_info.annotation)
    }


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _annotation_value(annotation: Any) -> Any:
    """A plausible form value for a parameter of this type."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _annotation_value(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return _annotation_value(next(a for a in typing.get_args(annotation) if a is not type(None)))
    if origin is list:
        return [_annotation_value(typing.get_args(annotation)[0])]
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return next(iter(annotation)).value
    if annotation is int:
        return "1"
    if annotation is date:
        return "2031-01-01"
    if annotation is uuid.UUID:
        return str(uuid.uuid4())
    return "x"


def form_fields(route: Route, overrides: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Form data and files for a form route: every declared field, filled by type, `overrides` winning."""
    data: dict[str, Any] = {}
    files: dict[str, Any] = {}
    for field in route.route.dependant.body_params:
        if field.field_info.annotation in (UploadFile, UploadFile | None):  # an optional file field is a file too
            files[field.alias] = ("note.txt", b"plain text evidence\n", "text/plain")
        elif field.alias not in overrides:
            data[field.alias] = _annotation_value(field.field_info.annotation)
    data.update({k: v for k, v in overrides.items() if v is not None})
    return data, files


def json_body(route: Route, examples: dict[str, Callable[[], dict[str, Any]]]) -> dict[str, Any] | None:
    """A valid JSON body for an API route: its model's example (checked against the model), or None."""
    params = route.route.dependant.body_params
    if not params or any(p.field_info.annotation is UploadFile for p in params):
        return None
    model = params[0].field_info.annotation
    assert isinstance(model, type) and issubclass(model, BaseModel), f"{route}: unexpected body {model!r}"
    example = examples[model.__name__]() if model.__name__ in examples else {}
    try:
        model.model_validate(example)
    except ValidationError:
        pytest.fail(f"{route}: the security tests have no valid example body for {model.__name__}; add one")
    return example


def multipart_body(route: Route) -> tuple[dict[str, Any], dict[str, Any]] | None:
    params = route.route.dependant.body_params
    if not any(p.field_info.annotation is UploadFile for p in params):
        return None
    return form_fields(route, {"kind": "other"})


# --- what changed ----------------------------------------------------------------------------------

def snapshot(engine: Engine, data_dir: Path) -> dict[str, Any]:
    """Every row of every table, and every file the service keeps: equal snapshots mean nothing changed."""
    with engine.connect() as connection:
        tables = {
            table.name: sorted(repr(tuple(row)) for row in connection.execute(select(table)))
            for table in SQLModel.metadata.sorted_tables
        }
    files = sorted(str(p.relative_to(data_dir)) for p in data_dir.rglob("*")) if data_dir.exists() else []
    return {"tables": tables, "files": files}


def differences(before: dict[str, Any], after: dict[str, Any], ignore: tuple[str, ...] = ()) -> list[str]:
    tables = before["tables"]
    changed = [name for name in tables if name not in ignore and tables[name] != after["tables"][name]]
    if before["files"] != after["files"]:
        changed.append("files")
    return changed


def walk(routes: list[Route], predicate: Callable[[Route], bool]) -> Iterator[Route]:
    yield from (r for r in routes if predicate(r))
