"""Bad files get clear errors, never a 500: each names the sheet, row and column (or the line) and says what is
expected; several are reported at once; nothing is stored until the whole file is valid."""

import io
import zipfile
from datetime import datetime
from typing import Any

import pytest
from fastapi import FastAPI
from openpyxl import Workbook
from sqlmodel import Session, select

from app.institution_libraries.models import InstitutionLibrary
from app.institution_libraries.parse import MAX_PROBLEMS
from tests.conftest import Team
from tests.institution_libraries.helpers import column_of, edited, renamed, upload


@pytest.fixture
def workbook(app: FastAPI) -> bytes:
    return renamed(app.state.catalog.get("mini", "1.1.0"), "riverside-mini")


def row_of(sheet: Any, item_id: str) -> int:
    for row in sheet.iter_rows(min_row=2):
        if row[0].value == item_id:
            return int(row[0].row)
    raise AssertionError(f"no row {item_id} on sheet {sheet.title}")


def set_cell(book: Workbook, sheet_name: str, item_id: str, column: str, value: Any) -> None:
    sheet = book[sheet_name]
    sheet.cell(row=row_of(sheet, item_id), column=column_of(sheet, column), value=value)


def refused(team: Team, session: Session, content: bytes, name: str = "library.xlsx") -> list[str]:
    answer = upload(team.clients["champion"], team.institution.id, content, name)
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert "nothing was stored" in body["detail"]
    assert session.exec(select(InstitutionLibrary)).all() == []
    return list(body["problems"])


def test_a_wrong_sheet_name_is_named(team: Team, session: Session, workbook: bytes) -> None:
    content = edited(workbook, lambda book: setattr(book["pharmacy"], "title", "Pharmacy items"))
    (problem,) = refused(team, session, content)
    assert "sheet 'Pharmacy items'" in problem and "not an area of the areas sheet (pharmacy, policy, payer)" in problem


def test_a_missing_required_sheet_is_named(team: Team, session: Session, workbook: bytes) -> None:
    content = edited(workbook, lambda book: book.remove(book["products"]))
    problems = refused(team, session, content)
    assert any("sheet 'products': missing" in p for p in problems), problems


def test_a_missing_column_is_named(team: Team, session: Session, workbook: bytes) -> None:
    def change(book: Workbook) -> None:
        sheet = book["policy"]
        sheet.delete_cols(column_of(sheet, "done_when"))

    problems = refused(team, session, edited(workbook, change))
    assert "library.xlsx: sheet 'policy', row 1: missing column 'done_when' (every row needs it)" in problems


def test_an_unknown_column_is_named_with_the_expected_ones(team: Team, session: Session, workbook: bytes) -> None:
    def change(book: Workbook) -> None:
        book["policy"].cell(row=1, column=1, value="key")

    problems = refused(team, session, edited(workbook, change))
    assert any("sheet 'policy', row 1, column A: unknown column 'key' (expected: id, title," in p for p in problems)


def test_merged_cells_are_refused(team: Team, session: Session, workbook: bytes) -> None:
    content = edited(workbook, lambda book: book["pharmacy"].merge_cells("B2:C2"))
    problems = refused(team, session, content)
    assert "library.xlsx: sheet 'pharmacy', cells B2:C2: merged cells are not allowed; unmerge them and fill each " \
           "cell" in problems


def test_formulas_are_refused(team: Team, session: Session, workbook: bytes) -> None:
    content = edited(workbook, lambda book: set_cell(book, "pharmacy", "PHARM-001", "weight", "=1+2"))
    problems = refused(team, session, content)
    column = "F"
    assert f"library.xlsx: sheet 'pharmacy', row 2, column {column} (weight): formulas are not allowed; type the " \
           "value itself" in problems


def test_dates_typed_as_text_are_refused(team: Team, session: Session, workbook: bytes) -> None:
    def change(book: Workbook) -> None:
        sheet = book["products"]
        sheet.cell(row=2, column=column_of(sheet, "review_by"), value="31/05/2027")

    (problem,) = refused(team, session, edited(workbook, change))
    assert "sheet 'products', row 2, column H (review_by): expected a date (a date cell, or text YYYY-MM-DD), " \
           "found text '31/05/2027'" in problem


def test_text_that_excel_turned_into_a_date_is_refused(team: Team, session: Session, workbook: bytes) -> None:
    content = edited(workbook, lambda book: set_cell(book, "policy", "POL-001", "title", datetime(2026, 3, 1)))
    (problem,) = refused(team, session, content)
    assert "sheet 'policy', row 2, column B (title): expected text, found a date (2026-03-01)" in problem


def test_duplicate_item_ids_are_refused_naming_the_first(team: Team, session: Session, workbook: bytes) -> None:
    content = edited(workbook, lambda book: set_cell(book, "policy", "POL-001", "id", "PHARM-001"))
    problems = refused(team, session, content)
    assert any("sheet 'policy', row 2, column A (id): duplicate item id 'PHARM-001' (first at sheet 'pharmacy' "
               "row 2)" in p for p in problems), problems


def test_dependency_cycles_are_refused(team: Team, session: Session, workbook: bytes) -> None:
    content = edited(workbook, lambda book: set_cell(book, "pharmacy", "PHARM-001", "depends_on", "PHARM-002"))
    problems = refused(team, session, content)
    assert any("column" in p and "depends_on: dependency cycle PHARM-001 -> PHARM-002 -> PHARM-001" in p
               for p in problems), problems


def test_every_problem_is_reported_at_once_with_its_cell(team: Team, session: Session, workbook: bytes) -> None:
    def change(book: Workbook) -> None:
        set_cell(book, "pharmacy", "PHARM-001", "criticality", "urgent")
        set_cell(book, "pharmacy", "PHARM-002", "signoff_role", "pharmacist")
        set_cell(book, "policy", "POL-001", "evidence", "policy_document\nminutes")
        set_cell(book, "payer", "PAY-001", "applies_to.products", "zolgensma")

    problems = refused(team, session, edited(workbook, change))
    assert len(problems) == 4, problems
    text = "\n".join(problems)
    assert "sheet 'pharmacy', row 2, column E (criticality): item PHARM-001: criticality: unknown criticality " \
           "'urgent' (expected one of: blocker, major, minor)" in text
    assert "sheet 'pharmacy', row 3, column G (signoff_role): item PHARM-002: signoff_role: unknown sign-off role " \
           "'pharmacist'" in text
    assert "sheet 'policy', row 2, column H (evidence): item POL-001: evidence.1: unknown evidence kind 'minutes'" \
           in text
    assert "sheet 'payer', row 2, column J (applies_to.products): item PAY-001: applies_to.products: unknown " \
           "'zolgensma'" in text


def test_problems_are_capped(team: Team, session: Session, workbook: bytes) -> None:
    def change(book: Workbook) -> None:
        sheet = book["payer"]
        for row in range(2, 2 + MAX_PROBLEMS + 10):
            sheet.cell(row=row, column=1, value=f"PAY-{row + 100:03d}")
            sheet.cell(row=row, column=2, value="x")  # title too short; every other required cell empty too

    problems = refused(team, session, edited(workbook, change))
    assert len(problems) == MAX_PROBLEMS + 1
    assert problems[-1].startswith("... and ") and problems[-1].endswith(" more problems")


def test_a_50_mb_upload_is_refused_before_it_is_read(team: Team, session: Session) -> None:
    answer = upload(team.clients["champion"], team.institution.id, b"\0" * (50 * 1024 * 1024), "big.xlsx")
    assert answer.status_code == 413
    assert session.exec(select(InstitutionLibrary)).all() == []


def test_a_zip_bomb_named_xlsx_is_refused_before_it_is_opened(team: Team, session: Session) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", b"<" + b" " * (60 * 1024 * 1024) + b"/>")
    assert len(out.getvalue()) < 1024 * 1024
    (problem,) = refused(team, session, out.getvalue(), "bomb.xlsx")
    assert problem.startswith("bomb.xlsx: the workbook would expand to 62,914,") and "at most 52,428,800" in problem


def test_a_highly_compressed_member_is_refused(team: Team, session: Session) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"<" + b" " * (5 * 1024 * 1024) + b"/>")
    (problem,) = refused(team, session, out.getvalue(), "ratio.xlsx")
    assert "'xl/worksheets/sheet1.xml' expands 5,242,883 bytes from" in problem and "zip bomb" in problem


def test_not_a_zip_named_xlsx_is_refused(team: Team, session: Session) -> None:
    (problem,) = refused(team, session, b"id,version\nmine,1.0.0\n", "library.xlsx")
    assert problem.startswith("library.xlsx: not an XLSX workbook (not a readable zip file")


def test_a_zip_that_is_not_a_workbook_is_refused(team: Team, session: Session) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("notes.txt", "hello")
    (problem,) = refused(team, session, out.getvalue(), "notes.zip")
    assert "a zip file but not an XLSX workbook" in problem


def test_a_damaged_workbook_is_refused(team: Team, session: Session, workbook: bytes) -> None:
    source = zipfile.ZipFile(io.BytesIO(workbook))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for member in source.infolist():
            data = source.read(member)
            archive.writestr(member, data[: len(data) // 2] if member.filename == "xl/workbook.xml" else data)
    (problem,) = refused(team, session, out.getvalue())
    assert problem.startswith("library.xlsx: cannot read the workbook")


def test_a_yaml_billion_laughs_is_refused(team: Team, session: Session) -> None:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{n}: &a{n} [{', '.join(['*a' + str(n - 1)] * 9)}]" for n in range(1, 10)]
    (problem,) = refused(team, session, "\n".join(lines).encode(), "laughs.yaml")
    assert problem.startswith("laughs.yaml: the YAML expands to more than 200,000 values")


def test_yaml_problems_name_their_line(app: FastAPI, team: Team, session: Session) -> None:
    from app.institution_libraries.workbook import library_yaml

    text = library_yaml(app.state.catalog.get("mini", "1.1.0")).replace("id: mini\n", "id: riverside-mini\n", 1)
    text = text.replace("criticality: blocker", "criticality: urgent", 1)
    problems = refused(team, session, text.encode(), "library.yaml")
    line = next(n for n, row in enumerate(text.splitlines(), start=1) if "criticality: urgent" in row)
    assert problems[0] == (f"library.yaml line {line}: item PHARM-001: criticality: unknown criticality 'urgent' "
                           "(expected one of: blocker, major, minor)")


def test_yaml_syntax_errors_and_duplicate_keys_name_their_line(team: Team, session: Session) -> None:
    (problem,) = refused(team, session, b"id: x\nversion: [1.0\n", "broken.yaml")
    assert problem.startswith("broken.yaml line 3: YAML syntax error")
    problems = refused(team, session, b"id: x\nid: y\n", "twice.yaml")
    assert "twice.yaml line 2: duplicate key 'id'" in problems


def test_binary_and_empty_files_are_refused(team: Team, session: Session) -> None:
    (problem,) = refused(team, session, b"\xff\xfe\x00binary", "library.yaml")
    assert problem.startswith("library.yaml: not UTF-8 text")
    (problem,) = refused(team, session, b"", "library.yaml")
    assert problem == "library.yaml: the file is empty"


def test_an_xml_entity_bomb_inside_a_workbook_is_refused(team: Team, session: Session, workbook: bytes) -> None:
    entities = '<!DOCTYPE lolz [<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10)) + "]>"
    source = zipfile.ZipFile(io.BytesIO(workbook))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for member in source.infolist():
            data = source.read(member.filename)
            if member.filename == "xl/worksheets/sheet2.xml":  # the library sheet
                text = data.decode()
                declaration, rest = text.split("?>", 1) if text.startswith("<?xml") else ("", text)
                rest = rest.replace("<t>", "<t>&lol9;", 1) if "<t>" in rest else rest.replace("<v>", "<v>&lol9;", 1)
                data = f"{declaration + '?>' if declaration else ''}{entities}{rest}".encode()
            archive.writestr(member.filename, data)
    (problem,) = refused(team, session, out.getvalue())
    assert problem.startswith("library.xlsx: cannot read the workbook (ParseError: limit on input amplification")
