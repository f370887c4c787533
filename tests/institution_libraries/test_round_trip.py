"""The shipped library downloaded as a workbook (or YAML) and uploaded unchanged, under its own id and a new
version, gives a library with identical items, products, areas, retired ids and coverage map."""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.auth.models import User
from app.checklists.schema import Library
from app.institution_libraries.parse import parse_library
from app.programs.models import Institution
from tests.conftest import REAL_CHECKLISTS
from tests.factories import make_institution, make_user
from tests.institution_libraries.helpers import renamed, upload

pytestmark = pytest.mark.skipif(
    not (REAL_CHECKLISTS / "hemophilia-gt" / "1.1.0" / "library.yaml").is_file(), reason="1.1.0 not shipped"
)


@pytest.fixture
def checklists_dir() -> Path:
    return REAL_CHECKLISTS


@dataclass
class Hospital:
    institution: Institution
    champion: TestClient


@pytest.fixture
def hospital(session: Session, client_for: Callable[[User], TestClient]) -> Hospital:
    institution = make_institution(session, "Riverside University Hospital")
    return Hospital(institution, client_for(make_user(session, institution, roles=("champion",))))


def dumps(library: Library) -> list[dict[str, Any]]:
    return sorted((item.model_dump() for item in library.items), key=lambda item: item["id"])


def test_a_shipped_library_round_trips_through_its_workbook(app: FastAPI, hospital: Hospital) -> None:
    shipped = app.state.catalog.get("hemophilia-gt", "1.1.0")
    champion = hospital.champion
    download = champion.get("/api/libraries/hemophilia-gt/1.1.0/download?format=xlsx")
    assert download.status_code == 200
    assert download.headers["content-disposition"] == 'attachment; filename="hemophilia-gt-1.1.0.xlsx"'
    answer = upload(champion, hospital.institution.id, renamed(shipped, "riverside-gt", "2.0.0"))
    assert answer.status_code == 201, answer.text
    assert answer.json()["items"] == len(shipped.items)
    stored = champion.get(f"/api/institutions/{hospital.institution.id}/libraries/riverside-gt/2.0.0")
    assert stored.status_code == 200
    library = Library.model_validate(stored.json())
    assert (library.id, library.version) == ("riverside-gt", "2.0.0")
    assert len(library.items) == len(shipped.items) > 100
    assert dumps(library) == dumps(shipped)
    assert library.products == shipped.products
    assert library.areas == shipped.areas
    assert library.retired == shipped.retired
    assert library.coverage == shipped.coverage
    assert (library.title, library.description, library.jurisdictions) == (
        shipped.title, shipped.description, shipped.jurisdictions)


def test_the_downloaded_workbook_itself_reads_back_as_the_shipped_library(app: FastAPI, hospital: Hospital) -> None:
    content = hospital.champion.get("/api/libraries/hemophilia-gt/1.1.0/download").content
    library = parse_library(content, "hemophilia-gt-1.1.0.xlsx")
    shipped = app.state.catalog.get("hemophilia-gt", "1.1.0")
    assert dumps(library) == dumps(shipped)
    assert library.model_dump(exclude={"items"}) == shipped.model_dump(exclude={"items"})


def test_a_shipped_library_round_trips_through_yaml(app: FastAPI, hospital: Hospital) -> None:
    champion = hospital.champion
    text = champion.get("/api/libraries/hemophilia-gt/1.1.0/download?format=yaml").text
    text = text.replace("id: hemophilia-gt\n", "id: riverside-gt\n", 1)
    answer = upload(champion, hospital.institution.id, text.encode(), "riverside.yaml")
    assert answer.status_code == 201, answer.text
    stored = Library.model_validate(
        champion.get(f"/api/institutions/{hospital.institution.id}/libraries/riverside-gt/1.1.0").json())
    shipped = app.state.catalog.get("hemophilia-gt", "1.1.0")
    assert dumps(stored) == dumps(shipped)
    assert stored.coverage == shipped.coverage
