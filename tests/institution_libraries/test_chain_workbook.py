"""Approval chains travel through the workbook: hemophilia-gt 1.2.0 downloaded and uploaded unchanged keeps every
chain, a chain typed into a cell parses, and a bad chain cell is refused naming its sheet, row and column."""

import json
from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from sqlmodel import Session

from app.auth.models import User
from app.checklists.schema import Library
from app.institution_libraries.columns import ITEM_COLUMNS
from app.institution_libraries.parse import UploadInvalid, parse_library
from tests.conftest import REAL_CHECKLISTS
from tests.factories import make_institution, make_user
from tests.institution_libraries.helpers import column_of, edited, renamed, upload

pytestmark = pytest.mark.skipif(
    not (REAL_CHECKLISTS / "hemophilia-gt" / "1.2.0" / "library.yaml").is_file(), reason="1.2.0 not shipped"
)
CHAIN_LETTER = get_column_letter(next(i for i, c in enumerate(ITEM_COLUMNS, start=1) if c.name == "approval_chain"))


@pytest.fixture
def checklists_dir() -> Any:
    return REAL_CHECKLISTS


def chains(library: Library) -> dict[str, list[dict[str, str]]]:
    return {i.id: [s.model_dump(exclude_none=True) for s in i.approval_chain]
            for i in library.items if i.approval_chain}


def row_of(sheet: Any, key: str) -> int:
    for row in sheet.iter_rows(min_row=2):
        if row[0].value == key:
            return int(row[0].row)
    raise AssertionError(f"no row {key} on sheet {sheet.title}")


def test_shipped_chains_survive_download_and_upload(
    app: FastAPI, session: Session, client_for: Callable[[User], TestClient]
) -> None:
    institution = make_institution(session, "Riverside University Hospital")
    champion = client_for(make_user(session, institution, roles=("champion",)))
    shipped = app.state.catalog.get("hemophilia-gt", "1.2.0")
    assert {"POL-001", "POL-003", "POL-026"} <= set(chains(shipped))
    download = champion.get("/api/libraries/hemophilia-gt/1.2.0/download?format=xlsx")
    assert download.status_code == 200
    assert chains(parse_library(download.content, "hemophilia-gt-1.2.0.xlsx")) == chains(shipped)

    answer = upload(champion, institution.id, renamed(shipped, "riverside-gt", "2.0.0"))
    assert answer.status_code == 201, answer.text
    stored = Library.model_validate(
        champion.get(f"/api/institutions/{institution.id}/libraries/riverside-gt/2.0.0").json())
    assert chains(stored) == chains(shipped)


def test_a_chain_edited_in_a_cell_parses(app: FastAPI) -> None:
    shipped = app.state.catalog.get("hemophilia-gt", "1.2.0")
    chain = [{"role": "pharmacy_lead", "meaning": "authored"}, {"committee": "pt", "meaning": "approved"},
             {"committee": "board", "meaning": "approved"}]

    def change(book: Workbook) -> None:
        sheet = book["policy"]
        sheet.cell(row=row_of(sheet, "POL-003"), column=column_of(sheet, "approval_chain"), value=json.dumps(chain))

    library = parse_library(edited(renamed(shipped), change), "edited.xlsx")
    found = chains(library)
    assert found["POL-003"] == chain
    assert found["POL-026"] == chains(shipped)["POL-026"]


@pytest.mark.parametrize(("value", "expected"), [
    ('[{"role": "policy_lead", "meaning": "authored"', "expected JSON text"),
    ('[{"role": "policy_lead", "committee": "pt", "meaning": "approved"}]', "exactly one of 'role' or 'committee'"),
    ('[{"role": "janitor", "meaning": "approved"}]', "janitor"),
    ('[{"committee": "pt", "meaning": "blessed"}]', "blessed"),
    ("[]", ""),
])
def test_a_bad_chain_cell_names_sheet_row_and_column(app: FastAPI, value: str, expected: str) -> None:
    shipped = app.state.catalog.get("hemophilia-gt", "1.2.0")
    rows: list[int] = []

    def change(book: Workbook) -> None:
        sheet = book["policy"]
        rows.append(row_of(sheet, "POL-003"))
        sheet.cell(row=rows[0], column=column_of(sheet, "approval_chain"), value=value)

    with pytest.raises(UploadInvalid) as refused:
        parse_library(edited(renamed(shipped), change), "bad.xlsx")
    problem = refused.value.problems[0]
    where = f"bad.xlsx: sheet 'policy', row {rows[0]}, column {CHAIN_LETTER} (approval_chain)"
    assert problem.startswith(where), problem
    assert expected in problem
