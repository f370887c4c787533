"""Workbooks for the institution library tests: a shipped library's download, edited with openpyxl as a person
would in Excel."""

import io
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from openpyxl import Workbook, load_workbook

from app.checklists.schema import Library
from app.institution_libraries.workbook import library_workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def edited(content: bytes, change: Callable[[Workbook], Any]) -> bytes:
    book = load_workbook(io.BytesIO(content))
    change(book)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def set_library_field(book: Workbook, name: str, value: str) -> None:
    sheet = book["library"]
    for row in sheet.iter_rows(min_row=2):
        if row[0].value == name:
            row[1].value = value
            return
    raise AssertionError(f"no row {name} on the library sheet")


def renamed(library: Library, library_id: str = "riverside-gt", version: str | None = None) -> bytes:
    """The library's workbook with its own id (and optionally a new version), otherwise unchanged."""

    def change(book: Workbook) -> None:
        set_library_field(book, "id", library_id)
        if version:
            set_library_field(book, "version", version)

    return edited(library_workbook(library), change)


def column_of(sheet: Any, name: str) -> int:
    for cell in sheet[1]:
        if cell.value == name:
            return int(cell.column)
    raise AssertionError(f"no column {name} on sheet {sheet.title}")


def upload(client: TestClient, institution_id: object, content: bytes, name: str = "library.xlsx") -> Any:
    media = XLSX if name.endswith(".xlsx") else "application/yaml"
    return client.post(f"/api/institutions/{institution_id}/libraries", files={"file": (name, content, media)})
