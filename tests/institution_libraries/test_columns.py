"""The workbook's columns come from the library models: a field added to an item gets a column (nested values as
JSON text), is explained on the README sheet, and reads back."""

import io
import json

import pytest
from fastapi import FastAPI
from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter

from app.checklists.schema import ItemDef
from app.institution_libraries.columns import ITEM_COLUMNS, Kind
from app.institution_libraries.parse import UploadInvalid, parse_library
from app.institution_libraries.workbook import library_workbook
from tests.institution_libraries.helpers import column_of, edited, renamed


def test_every_item_field_has_a_column() -> None:
    names = {column.path[0] for column in ITEM_COLUMNS}
    assert names == set(ItemDef.model_fields) - {"area"}  # the area is the sheet
    assert [c.name for c in ITEM_COLUMNS if c.path[0] == "applies_to"] == [
        "applies_to.products", "applies_to.diseases", "applies_to.care_roles", "applies_to.jurisdictions"]


def test_the_readme_sheet_explains_every_column_and_its_values(app: FastAPI) -> None:
    book = load_workbook(io.BytesIO(library_workbook(app.state.catalog.get("mini", "1.1.0"))))
    assert book.sheetnames == ["README", "library", "areas", "products", "retired", "sources", "pharmacy", "policy",
                               "payer"]
    rows = {(r[0], r[1]): r[3] for r in book["README"].iter_rows(values_only=True) if len(r) > 3 and r[3]}
    for column in ITEM_COLUMNS:
        assert ("<area id>", column.name) in rows, column.name
    assert "allowed: blocker, major, minor" in rows[("<area id>", "criticality")]
    assert "one value per line" in rows[("<area id>", "evidence")]
    assert "a date" in rows[("products", "review_by")]
    sources = [r[0] for r in book["sources"].iter_rows(min_row=2, values_only=True)]
    assert "Hemgenix USPI" in sources


@pytest.mark.skipif("approval_chain" not in ItemDef.model_fields, reason="approval chains not in the schema yet")
def test_an_approval_chain_is_a_json_column_that_reads_back(app: FastAPI) -> None:
    column = next(c for c in ITEM_COLUMNS if c.name == "approval_chain")
    assert column.kind == Kind.JSON
    chain = [{"role": "policy_lead", "meaning": "authored"}, {"role": "administrator", "meaning": "approved"}]

    def change(book: Workbook) -> None:
        sheet = book["policy"]
        sheet.cell(row=2, column=column_of(sheet, "approval_chain"), value=json.dumps(chain))

    library = parse_library(edited(renamed(app.state.catalog.get("mini", "1.1.0")), change), "chain.xlsx")
    item = next(i for i in library.items if i.id == "POL-001")
    assert [step.model_dump(exclude_none=True) for step in item.approval_chain or []] == chain
    again = parse_library(library_workbook(library), "again.xlsx")
    assert next(i for i in again.items if i.id == "POL-001") == item

    def broken(book: Workbook) -> None:
        sheet = book["policy"]
        sheet.cell(row=2, column=column_of(sheet, "approval_chain"), value='[{"role": "policy_lead"')

    letter = get_column_letter(next(i for i, c in enumerate(ITEM_COLUMNS, start=1) if c.name == "approval_chain"))
    with pytest.raises(UploadInvalid) as refused:
        parse_library(edited(renamed(app.state.catalog.get("mini", "1.1.0")), broken), "chain.xlsx")
    assert refused.value.problems[0].startswith(
        f"chain.xlsx: sheet 'policy', row 2, column {letter} (approval_chain): expected JSON text")
