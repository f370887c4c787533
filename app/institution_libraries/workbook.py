"""A library version as an XLSX workbook (a sheet per area, products, sources, library, README) or one YAML file.

Both read back through app.institution_libraries.parse into the same library: the round trip is tested."""

import io
import json
from collections.abc import Sequence
from datetime import date
from typing import Any

import yaml
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from app.checklists.schema import Library
from app.errors import Invalid
from app.institution_libraries.columns import (
    AREA_COLUMNS,
    AREAS,
    COVERAGE,
    COVERAGE_COLUMNS,
    ITEM_COLUMNS,
    LIBRARY,
    LIBRARY_FIELDS,
    PRODUCT_COLUMNS,
    PRODUCTS,
    README,
    RESERVED_SHEETS,
    RETIRED,
    RETIRED_COLUMNS,
    SHEET_PURPOSE,
    SOURCE_COLUMNS,
    SOURCES,
    Column,
    Kind,
)

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
YAML_MEDIA_TYPE = "application/yaml"
MAX_SHEET_NAME = 31  # Excel's limit
BOLD = Font(bold=True)
WRAP = Alignment(wrap_text=True, vertical="top")


def cell_value(column: Column, value: Any) -> Any:
    """What a cell holds for a model value (JSON-mode dump), the inverse of parse's reading."""
    if value is None or value == []:
        return None
    if column.kind == Kind.LIST:
        return "\n".join(str(v) for v in value)
    if column.kind == Kind.JSON:
        return json.dumps(value, ensure_ascii=False)
    if column.kind == Kind.DATE:
        return date.fromisoformat(value)
    return value


def _get(data: dict[str, Any], path: Sequence[str]) -> Any:
    value: Any = data
    for step in path:
        value = value.get(step) if isinstance(value, dict) else None
    return value


def _set(cell: Any, value: Any) -> None:
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"  # text starting with '=' stays text, not a formula
    elif isinstance(value, date):
        cell.number_format = "yyyy-mm-dd"
    cell.alignment = WRAP


def _table(sheet: Worksheet, columns: Sequence[Column], rows: Sequence[dict[str, Any]]) -> None:
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=index, value=column.name)
        cell.font = BOLD
        wide = column.kind in (Kind.LIST, Kind.JSON) or column.name in ("title", "done_when", "why", "name")
        sheet.column_dimensions[get_column_letter(index)].width = 48 if wide else 16
    for r, row in enumerate(rows, start=2):
        for c, column in enumerate(columns, start=1):
            _set(sheet.cell(row=r, column=c), cell_value(column, _get(row, column.path)))
    sheet.freeze_panes = "A2"


def _sheet_names(library: Library) -> None:
    for area in library.areas:
        if area.id in RESERVED_SHEETS or len(area.id) > MAX_SHEET_NAME:
            raise Invalid(
                f"area '{area.id}' cannot name a sheet (reserved, or longer than {MAX_SHEET_NAME} characters); "
                "download the YAML instead", field="format", location="path",
            )


def _coverage_rows(library: Library) -> list[dict[str, Any]]:
    if library.coverage is None:
        return []
    return [
        {
            "framework": framework.id, "framework_title": framework.title, "framework_source": framework.source,
            "part": part.id, "part_title": part.title, "items": part.items, "unmapped_reason": part.unmapped_reason,
        }
        for framework in library.coverage.frameworks
        for part in framework.parts
    ]


def _source_rows(library: Library) -> list[dict[str, Any]]:
    cited: dict[str, list[str]] = {}
    for item in library.items:
        for reference in item.references:
            cited.setdefault(reference, []).append(item.id)
    return [{"reference": ref, "cited_by": ids} for ref, ids in sorted(cited.items())]


def _readme(sheet: Worksheet, library: Library) -> None:
    lines: list[tuple[str, ...]] = [
        (f"{library.title} {library.version} ({library.id})",),
        ("Edit the sheets and upload the workbook on the Libraries page, by POST /api/institutions/{id}/libraries, "
         "or with `gtready checklists import FILE --institution ID`. Give the library its own id (not a shipped "
         "library's) and a new version on the library sheet.",),
        ("Row 1 of every sheet holds the column names; keep them. No formulas, no merged cells; an empty cell "
         "means the field's default. Every problem is reported with its sheet, row and column, and nothing is "
         "stored until the whole workbook is valid.",),
        (),
        ("sheet", "what it holds"),
        *((name, SHEET_PURPOSE[name]) for name in RESERVED_SHEETS),
        ("<area id>", "the items of that area (one sheet per row of the areas sheet), one item per row"),
        (),
        ("sheet", "column", "required", "what it holds"),
        *(( LIBRARY, c.name, "yes" if c.required else "no", c.help()) for c in LIBRARY_FIELDS),
        *((AREAS, c.name, "yes" if c.required else "no", c.help()) for c in AREA_COLUMNS),
        *((PRODUCTS, c.name, "yes" if c.required else "no", c.help()) for c in PRODUCT_COLUMNS),
        *((RETIRED, c.name, "yes" if c.required else "no", c.help()) for c in RETIRED_COLUMNS),
        *((COVERAGE, c.name, "yes" if c.required else "no", c.help()) for c in COVERAGE_COLUMNS),
        *(("<area id>", c.name, "yes" if c.required else "no", c.help()) for c in ITEM_COLUMNS),
    ]
    for row in lines:
        sheet.append(list(row))
        if len(row) > 1 and row[0] == "sheet":
            for cell in sheet[sheet.max_row]:
                cell.font = BOLD
    sheet["A1"].font = Font(bold=True, size=14)
    for letter, width in zip("ABCD", (18, 24, 10, 90), strict=True):
        sheet.column_dimensions[letter].width = width
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = WRAP


def library_workbook(library: Library) -> bytes:
    """The workbook of a library version."""
    _sheet_names(library)
    data = library.model_dump(mode="json")
    book = Workbook()
    readme = book.create_sheet(README)
    book.remove(book.worksheets[0])  # the blank sheet a new workbook starts with
    _readme(readme, library)
    sheet = book.create_sheet(LIBRARY)
    sheet.append(["field", "value"])
    for cell in sheet[1]:
        cell.font = BOLD
    for row, column in enumerate(LIBRARY_FIELDS, start=2):
        sheet.cell(row=row, column=1, value=column.name)
        _set(sheet.cell(row=row, column=2), cell_value(column, _get(data, column.path)))
    sheet.column_dimensions["A"].width = 16
    sheet.column_dimensions["B"].width = 100
    _table(book.create_sheet(AREAS), AREA_COLUMNS, data["areas"])
    _table(book.create_sheet(PRODUCTS), PRODUCT_COLUMNS, data["products"])
    _table(book.create_sheet(RETIRED), RETIRED_COLUMNS, data["retired"])
    if library.coverage is not None:
        _table(book.create_sheet(COVERAGE), COVERAGE_COLUMNS, _coverage_rows(library))
    _table(book.create_sheet(SOURCES), SOURCE_COLUMNS, _source_rows(library))
    for area in library.areas:
        items = [item for item in data["items"] if item["area"] == area.id]
        _table(book.create_sheet(area.id), ITEM_COLUMNS, items)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def library_document(library: Library) -> dict[str, Any]:
    """The library as one YAML-shaped mapping: the header, every item naming its area, the coverage map if any."""
    data = library.model_dump(mode="json", exclude_none=True)
    if library.coverage is None:
        data.pop("coverage", None)
    return data


def library_yaml(library: Library) -> str:
    return yaml.safe_dump(library_document(library), sort_keys=False, allow_unicode=True, width=110)


def canonical_json(library: Library) -> str:
    """What the database stores: the validated library, keys sorted, so equal libraries store equal text."""
    return json.dumps(library.model_dump(mode="json"), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
