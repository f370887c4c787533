"""An administrator downloads a library as a workbook from the libraries page, adds an item in it, uploads it
(first with a mistake the page points at, then fixed) and finds the new version listed: in Chromium, at laptop
and phone widths, passing axe-core's WCAG AA rules."""

from pathlib import Path

import pytest
from fastapi import FastAPI
from openpyxl import Workbook
from playwright.sync_api import Page, expect
from sqlmodel import Session

from tests.factories import make_institution, make_user
from tests.institution_libraries.helpers import column_of, edited, set_library_field
from tests.web.checks import assert_accessible, assert_fits
from tests.web.conftest import PASSWORD, login, screenshot


def add_item(book: Workbook, criticality: str) -> None:
    set_library_field(book, "id", "riverside-mini")
    sheet = book["policy"]
    row = sheet.max_row + 1
    values = {"id": "POL-101", "title": "P&T committee form filed", "done_when": "The form is approved.",
              "why": "Our P&T committee asks for its own form.", "criticality": criticality,
              "signoff_role": "policy_lead", "references": "Riverside P&T charter"}
    for name, value in values.items():
        sheet.cell(row=row, column=column_of(sheet, name), value=value)


@pytest.mark.browser
@pytest.mark.parametrize("width", [1366, 390])
def test_download_edit_and_upload_a_library_from_the_page(
    app: FastAPI, session: Session, live_server: str, page: Page, tmp_path: Path, width: int
) -> None:
    institution = make_institution(session, "Riverside University Hospital")
    make_user(session, institution, roles=("administrator",), email="admin@riverside.example", password=PASSWORD)
    page.set_viewport_size({"width": width, "height": 900})
    login(page, live_server, "admin@riverside.example")
    page.goto(f"{live_server}/libraries")
    with page.expect_download() as info:
        page.get_by_role("link", name="Workbook of mini 1.1.0").click()
    downloaded = tmp_path / "mini.xlsx"
    info.value.save_as(downloaded)

    wrong = tmp_path / "riverside.xlsx"
    wrong.write_bytes(edited(downloaded.read_bytes(), lambda book: add_item(book, "urgent")))
    page.get_by_label("Workbook (.xlsx) or YAML file").set_input_files(str(wrong))
    page.get_by_role("button", name="Upload as a new version").click()
    problems = page.get_by_role("alert")
    expect(problems).to_contain_text("riverside.xlsx: 1 problem; nothing was stored")
    expect(problems).to_contain_text("sheet 'policy', row 3, column E (criticality): item POL-101: criticality: "
                                     "unknown criticality 'urgent' (expected one of: blocker, major, minor)")
    screenshot(page, f"institution-library-refused-{width}")
    assert_accessible(page, f"the libraries page at {width} px")
    assert_fits(page, "the libraries page")

    fixed = tmp_path / "riverside-fixed.xlsx"
    fixed.write_bytes(edited(downloaded.read_bytes(), lambda book: add_item(book, "major")))
    page.get_by_label("Workbook (.xlsx) or YAML file").set_input_files(str(fixed))
    page.get_by_role("button", name="Upload as a new version").click()
    expect(page.get_by_role("status")).to_contain_text("Stored riverside-mini 1.1.0")
    row = page.get_by_role("row").filter(has_text="riverside-mini")
    expect(row).to_contain_text("7")  # the six items of mini 1.1.0 and the new one
    expect(row).to_contain_text("riverside-fixed.xlsx")
    screenshot(page, f"institution-library-stored-{width}")
    assert_accessible(page, f"the libraries page at {width} px")
    assert_fits(page, "the libraries page")
