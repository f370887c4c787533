"""Read an uploaded library (XLSX workbook or YAML) and validate it with the shipped libraries' rules.

Every problem names where it is (sheet, row and column; or the YAML line) and what is expected; all problems are
collected (up to MAX_PROBLEMS) before anything is refused. Hostile files are stopped before a parser expands them:
a workbook's zip central directory is checked (entries, total size, compression ratio) before openpyxl opens it, and
a YAML file's anchors and aliases are counted before its values are built."""

import io
import json
import re
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from app.checklists.loader import LibraryError, validate_library
from app.checklists.schema import Library
from app.checklists.yaml_source import Problem, YamlSource, parse_yaml
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
    SOURCES,
    Column,
    Kind,
)

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 50 * 1024 * 1024  # all members of a workbook's zip together
MAX_RATIO = 100  # uncompressed / compressed, per member; spreadsheets' XML compresses ~10-20x
MAX_ZIP_ENTRIES = 500
MAX_ROWS = 5000
MAX_COLUMNS = 60
MAX_YAML_VALUES = 200_000  # values after aliases are expanded
MAX_PROBLEMS = 50
ZIP_MAGIC = b"PK\x03\x04"
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._ -]")


class UploadInvalid(Exception):
    """The file is not a valid library: every problem found, each naming its place."""

    def __init__(self, filename: str, problems: Sequence[str]) -> None:
        self.filename = filename
        shown = list(problems[:MAX_PROBLEMS])
        if len(problems) > MAX_PROBLEMS:
            shown.append(f"... and {len(problems) - MAX_PROBLEMS} more problems")
        self.problems = shown
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        super().__init__(f"{filename}: {count}; nothing was stored")


def safe_name(filename: str) -> str:
    name = _SAFE_NAME.sub("_", filename.replace("\\", "/").rsplit("/", 1)[-1]).strip(" .")[:200]
    return name or "upload"


@dataclass(frozen=True)
class _PlacedSource(YamlSource):
    """Data gathered from a workbook; a problem's location is the cell its key path came from."""

    where: Callable[[Sequence[str | int]], str] = field(default=lambda loc: "")

    def line_of(self, loc: Sequence[str | int]) -> int | None:
        return None

    def problem(self, loc: Sequence[str | int], message: str) -> Problem:
        return Problem(self.path, None, f"{self.where(loc)}: {message}")


def _text(problem: Problem) -> str:
    where = f" line {problem.line}" if problem.line else ""
    return f"{problem.path.name}{where}: {problem.message}"


# ---------------------------------------------------------------- workbook


@dataclass
class _Cell:
    sheet: str
    row: int
    column: str  # the column's header name
    letter: str

    def __str__(self) -> str:
        return f"sheet '{self.sheet}', row {self.row}, column {self.letter} ({self.column})"


@dataclass
class _Table:
    """Rows of one sheet as model data, with where each row and column came from."""

    sheet: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    row_numbers: list[int] = field(default_factory=list)
    letters: dict[str, str] = field(default_factory=dict)

    def where(self, index: int, column: str | None) -> str:
        row = self.row_numbers[index] if 0 <= index < len(self.row_numbers) else None
        text = f"sheet '{self.sheet}'" + (f", row {row}" if row else "")
        if column and column in self.letters:
            text += f", column {self.letters[column]} ({column})"
        elif column:
            text += f" ({column})"
        return text


class _Reader:
    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.problems: list[str] = []
        self.places: set[str] = set()  # cells already reported: the validation's echo of them is left out

    def add(self, where: object, message: str) -> None:
        self.places.add(str(where))
        self.problems.append(f"{self.filename}: {where}: {message}")

    def value(self, cell: Any, column: Column, where: _Cell) -> Any:
        """A cell's value as the model wants it; None for an empty cell. A wrong kind of cell is a problem."""
        raw = cell.value
        if cell.data_type == "f" or (isinstance(raw, str) and raw.startswith("=")):
            self.add(where, "formulas are not allowed; type the value itself")
            return None
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None
        if column.kind == Kind.DATE:
            if isinstance(raw, datetime):
                return raw.date()
            if isinstance(raw, date):
                return raw
            if isinstance(raw, str) and _ISO_DATE.match(raw.strip()):
                return raw.strip()
            self.add(where, f"expected a date (a date cell, or text YYYY-MM-DD), found {_shown(raw)}")
            return None
        if isinstance(raw, (datetime, date)):
            self.add(where, f"expected {column.kind.value}, found a date ({raw:%Y-%m-%d}); Excel may have turned the "
                            "text into a date: format the cell as Text and type it again")
            return None
        if isinstance(raw, bool):
            self.add(where, f"expected {column.kind.value}, found {raw}")
            return None
        if column.kind == Kind.INTEGER:
            if isinstance(raw, float) and raw.is_integer():
                return int(raw)
            if isinstance(raw, str) and raw.strip().isascii() and raw.strip().isdigit():
                return int(raw.strip())
            if isinstance(raw, int):
                return raw
            self.add(where, f"expected a whole number, found {_shown(raw)}")
            return None
        text = str(int(raw)) if isinstance(raw, float) and raw.is_integer() else str(raw)
        if column.kind == Kind.TEXT:
            return text.strip()
        if column.kind == Kind.LIST:
            parts = re.split(r"[\n;]" if column.splits_on_semicolon else r"\n", text)
            return [p.strip() for p in parts if p.strip()]
        try:
            return json.loads(text)
        except ValueError as error:
            self.add(where, f"expected JSON text (a list or mapping as in the YAML file): {error}")
            return None

    def header(self, sheet: Worksheet, columns: Sequence[Column]) -> dict[int, Column] | None:
        """Column index -> column, from row 1; unknown and missing columns are problems."""
        known = {c.name: c for c in columns}
        found: dict[int, Column] = {}
        seen: set[str] = set()
        for index, cell in enumerate(next(sheet.iter_rows(min_row=1, max_row=1), ()), start=1):
            raw = cell.value
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                continue
            name = str(raw).strip()
            where = f"sheet '{sheet.title}', row 1, column {get_column_letter(index)}"
            if name not in known:
                self.add(where, f"unknown column '{_clip(name)}' (expected: {', '.join(known)})")
                continue
            if name in seen:
                self.add(where, f"column '{name}' appears twice")
                continue
            seen.add(name)
            found[index] = known[name]
        missing = [c.name for c in columns if c.required and c.name not in seen]
        for name in missing:
            self.add(f"sheet '{sheet.title}', row 1", f"missing column '{name}' (every row needs it)")
        return None if missing else found

    def table(self, sheet: Worksheet, columns: Sequence[Column]) -> _Table:
        table = _Table(sheet.title)
        header = self.header(sheet, columns)
        if header is None:
            return table
        table.letters = {c.name: get_column_letter(i) for i, c in header.items()}
        for row in sheet.iter_rows(min_row=2, max_row=sheet.max_row, max_col=max(header, default=1)):
            values: dict[str, Any] = {}
            empty = True
            for cell in row:
                column = header.get(cell.column)
                if column is None:
                    continue
                if cell.value is not None:
                    empty = False
                where = _Cell(sheet.title, cell.row, column.name, get_column_letter(cell.column))
                value = self.value(cell, column, where)
                if value is not None:
                    _put(values, column.path, value)
            if not empty:
                table.rows.append(values)
                table.row_numbers.append(row[0].row)
        return table


def _shown(value: object) -> str:
    return f"text '{_clip(str(value))}'" if isinstance(value, str) else f"{type(value).__name__} {value!r}"


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _put(data: dict[str, Any], path: Sequence[str], value: Any) -> None:
    for step in path[:-1]:
        data = data.setdefault(step, {})
    data[path[-1]] = value


def _check_zip(content: bytes, filename: str) -> None:
    """Refuse what is not a workbook, or would expand far beyond its size, before any XML is parsed."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        message = f"{filename}: not an XLSX workbook (not a readable zip file: {error})"
        raise UploadInvalid(filename, [message]) from None
    with archive:
        members = archive.infolist()
        if len(members) > MAX_ZIP_ENTRIES:
            raise UploadInvalid(filename, [f"{filename}: the zip holds {len(members)} files; a workbook has a few "
                                           f"dozen (at most {MAX_ZIP_ENTRIES} accepted)"])
        total = sum(m.file_size for m in members)
        if total > MAX_UNCOMPRESSED_BYTES:
            raise UploadInvalid(filename, [f"{filename}: the workbook would expand to {total:,} bytes "
                                           f"(at most {MAX_UNCOMPRESSED_BYTES:,} accepted)"])
        for member in members:
            if member.file_size > 1024 * 1024 and member.file_size > MAX_RATIO * max(member.compress_size, 1):
                raise UploadInvalid(filename, [f"{filename}: '{_clip(member.filename)}' expands {member.file_size:,} "
                                               f"bytes from {member.compress_size:,} (a zip bomb?); refused"])
        names = {m.filename for m in members}
        if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
            raise UploadInvalid(filename, [f"{filename}: a zip file but not an XLSX workbook (no xl/workbook.xml)"])


def _open_workbook(content: bytes, filename: str) -> Any:
    _check_zip(content, filename)
    try:
        return load_workbook(io.BytesIO(content), data_only=False, keep_links=False)
    except Exception as error:  # noqa: BLE001 - openpyxl raises many kinds on a damaged file; each is a refusal
        message = f"{filename}: cannot read the workbook ({type(error).__name__}: {_clip(str(error), 200)})"
        raise UploadInvalid(filename, [message]) from None


def _sheet_problems(reader: _Reader, book: Any) -> dict[str, Worksheet]:
    sheets: dict[str, Worksheet] = {}
    for sheet in book.worksheets:
        for merged in sheet.merged_cells.ranges:
            reader.add(f"sheet '{sheet.title}', cells {merged.coord}",
                       "merged cells are not allowed; unmerge them and fill each cell")
        if sheet.max_row > MAX_ROWS or sheet.max_column > MAX_COLUMNS:
            reader.add(f"sheet '{sheet.title}'", f"{sheet.max_row} rows by {sheet.max_column} columns; at most "
                                                 f"{MAX_ROWS} rows and {MAX_COLUMNS} columns are read")
            continue
        sheets[sheet.title] = sheet
    for chart in getattr(book, "chartsheets", []):
        reader.add(f"sheet '{chart.title}'", "a chart sheet; remove it")
    return sheets


def _library_sheet(reader: _Reader, sheet: Worksheet) -> tuple[dict[str, Any], dict[str, int]]:
    """The library sheet: one field per row (field, value)."""
    known = {c.name: c for c in LIBRARY_FIELDS}
    data: dict[str, Any] = {}
    rows: dict[str, int] = {}
    first = [c.value for c in next(sheet.iter_rows(min_row=1, max_row=1), ())][:2]
    if [str(v).strip() if v is not None else "" for v in first] != ["field", "value"]:
        reader.add(f"sheet '{LIBRARY}', row 1", "expected the column names 'field' and 'value' in A1 and B1")
        return data, rows
    for row in sheet.iter_rows(min_row=2, max_row=sheet.max_row, max_col=2):
        name_cell, value_cell = row[0], row[1] if len(row) > 1 else None
        if name_cell.value is None and (value_cell is None or value_cell.value is None):
            continue
        name = str(name_cell.value or "").strip()
        where = f"sheet '{LIBRARY}', row {name_cell.row}, column A (field)"
        if name not in known:
            reader.add(where, f"unknown field '{_clip(name)}' (expected: {', '.join(known)})")
            continue
        if name in rows:
            reader.add(where, f"field '{name}' appears twice (first in row {rows[name]})")
            continue
        rows[name] = name_cell.row
        if value_cell is not None:
            value = reader.value(value_cell, known[name], _Cell(LIBRARY, value_cell.row, name, "B"))
            if value is not None:
                data[name] = value
    for column in LIBRARY_FIELDS:
        if column.required and column.name not in rows:
            reader.add(f"sheet '{LIBRARY}'", f"missing the row for '{column.name}'")
    return data, rows


def _library_where(rows: dict[str, int]) -> Callable[[str], str]:
    def where(name: str) -> str:
        return f"sheet '{LIBRARY}', row {rows[name]}, column B ({name})" if name in rows else f"sheet '{LIBRARY}'"

    return where


def _duplicates(reader: _Reader, tables: Sequence[_Table], what: str) -> set[tuple[int, int]]:
    """Rows whose id repeats an earlier row's (across the given sheets): problems, and left out of the data."""
    first: dict[str, str] = {}
    dropped: set[tuple[int, int]] = set()
    for t_index, table in enumerate(tables):
        for r_index, row in enumerate(table.rows):
            key = row.get("id")
            if not isinstance(key, str):
                continue
            if key in first:
                reader.add(table.where(r_index, "id"), f"duplicate {what} id '{key}' (first at {first[key]})")
                dropped.add((t_index, r_index))
            else:
                first[key] = f"sheet '{table.sheet}' row {table.row_numbers[r_index]}"
    return dropped


def _coverage_data(table: _Table) -> tuple[dict[str, Any], dict[tuple[int, int], int]]:
    """Coverage rows (one part each) grouped into frameworks; (framework, part) index -> row index."""
    frameworks: list[dict[str, Any]] = []
    by_id: dict[str, dict[str, Any]] = {}
    places: dict[tuple[int, int], int] = {}
    for r_index, row in enumerate(table.rows):
        fid = row.get("framework")
        framework = by_id.get(fid) if isinstance(fid, str) else None
        if framework is None:
            framework = {"id": fid, "title": row.get("framework_title"), "source": row.get("framework_source"),
                         "parts": []}
            frameworks.append(framework)
            if isinstance(fid, str):
                by_id[fid] = framework
        part = {"id": row.get("part"), "title": row.get("part_title"), "items": row.get("items", [])}
        if "unmapped_reason" in row:
            part["unmapped_reason"] = row["unmapped_reason"]
        places[(frameworks.index(framework), len(framework["parts"]))] = r_index
        framework["parts"].append(part)
    return {"kind": "coverage", "frameworks": frameworks}, places


COVERAGE_FIELDS = {"id": "part", "title": "part_title", "items": "items", "unmapped_reason": "unmapped_reason"}
FRAMEWORK_FIELDS = {"id": "framework", "title": "framework_title", "source": "framework_source"}


def parse_workbook(content: bytes, filename: str) -> Library:
    """A library from an uploaded workbook, or UploadInvalid naming every problem."""
    book = _open_workbook(content, filename)
    reader = _Reader(filename)
    sheets = _sheet_problems(reader, book)
    for required in (LIBRARY, AREAS, PRODUCTS):
        if required not in sheets and required not in book.sheetnames:
            reader.add(f"sheet '{required}'", f"missing (the workbook needs the sheets {LIBRARY}, {AREAS} and "
                                              f"{PRODUCTS}, and one per area; found: {', '.join(book.sheetnames)})")
    if reader.problems and not (LIBRARY in sheets and AREAS in sheets and PRODUCTS in sheets):
        raise UploadInvalid(filename, reader.problems)
    header, library_rows = _library_sheet(reader, sheets[LIBRARY])
    areas = reader.table(sheets[AREAS], AREA_COLUMNS)
    products = reader.table(sheets[PRODUCTS], PRODUCT_COLUMNS)
    retired = reader.table(sheets[RETIRED], RETIRED_COLUMNS) if RETIRED in sheets else _Table(RETIRED)
    coverage = reader.table(sheets[COVERAGE], COVERAGE_COLUMNS) if COVERAGE in sheets else None
    area_ids = [row["id"] for row in areas.rows if isinstance(row.get("id"), str)]
    for area_id in area_ids:
        if area_id in RESERVED_SHEETS:
            reader.add(areas.where(area_ids.index(area_id), "id"), f"'{area_id}' names a sheet of its own; choose "
                                                                   "another area id")
    item_tables: list[_Table] = []
    for name, sheet in sheets.items():
        if name in RESERVED_SHEETS or name in (README, SOURCES):
            continue
        if name not in area_ids:
            reader.add(f"sheet '{name}'", f"not an area of the areas sheet ({', '.join(area_ids) or 'none'}) nor "
                                          f"one of the sheets {', '.join(RESERVED_SHEETS)}; rename or remove it")
            continue
        item_tables.append(reader.table(sheet, ITEM_COLUMNS))
    dropped = _duplicates(reader, item_tables, "item")
    _duplicates(reader, [areas], "area")
    _duplicates(reader, [products], "product")

    items: list[dict[str, Any]] = []
    item_places: list[tuple[_Table, int]] = []
    for t_index, table in enumerate(item_tables):
        for r_index, row in enumerate(table.rows):
            if (t_index, r_index) not in dropped:
                items.append({**row, "area": table.sheet})
                item_places.append((table, r_index))
    data = {**header, "areas": areas.rows, "products": products.rows, "retired": retired.rows, "items": items}
    library_where = _library_where(library_rows)
    tables = {AREAS: areas, PRODUCTS: products, RETIRED: retired}

    def where(loc: Sequence[str | int]) -> str:
        if not loc:
            return f"sheet '{LIBRARY}'"
        head = str(loc[0])
        if head == "items" and len(loc) > 1 and isinstance(loc[1], int) and loc[1] < len(item_places):
            table, r_index = item_places[loc[1]]
            column = str(loc[2]) if len(loc) > 2 else None
            if column == "applies_to" and len(loc) > 3:
                column = f"applies_to.{loc[3]}"
            if column == "area":
                return table.where(r_index, None)
            return table.where(r_index, column)
        if head in tables and len(loc) > 1 and isinstance(loc[1], int):
            return tables[head].where(loc[1], str(loc[2]) if len(loc) > 2 else None)
        if head in tables:
            return f"sheet '{head}'"
        return library_where(head)

    coverage_source: YamlSource | None = None
    if coverage is not None:
        coverage_data, places = _coverage_data(coverage)

        def coverage_where(loc: Sequence[str | int]) -> str:
            if len(loc) >= 4 and isinstance(loc[1], int) and isinstance(loc[3], int):
                r_index = places.get((loc[1], loc[3]))
                name = COVERAGE_FIELDS.get(str(loc[4])) if len(loc) > 4 else None
                return coverage.where(r_index if r_index is not None else -1, name)
            if len(loc) >= 3 and isinstance(loc[1], int):
                first_row = min((r for (f, _), r in places.items() if f == loc[1]), default=-1)
                return coverage.where(first_row, FRAMEWORK_FIELDS.get(str(loc[2])))
            return f"sheet '{COVERAGE}'"

        coverage_source = _PlacedSource(Path(filename), coverage_data, None, coverage_where)
    source = _PlacedSource(Path(filename), data, None, where)
    return _validated(reader.problems, source, coverage_source, filename, reader.places)


def _validated(
    problems: list[str], source: YamlSource, coverage_source: YamlSource | None, filename: str,
    reported: set[str] | None = None,
) -> Library:
    try:
        library = validate_library(source, coverage_source)
    except LibraryError as error:
        # A cell refused while reading is missing from the data; "field required" for it would say it twice.
        echoes = {p for p in error.problems if p.line is None and p.message.split(": ", 1)[0] in (reported or ())}
        found = [_text(p) for p in error.problems if p not in echoes]
        raise UploadInvalid(filename, [*problems, *found]) from None
    if problems:
        raise UploadInvalid(filename, problems)
    return library


# ---------------------------------------------------------------- YAML


def _expanded_size(root: Node, limit: int) -> int:
    """How many values the document holds once aliases are expanded (stops counting past `limit`)."""
    sizes: dict[int, int] = {}

    def size(node: Node) -> int:
        known = sizes.get(id(node))
        if known is not None:
            return known
        sizes[id(node)] = limit + 1  # a node reached again while being counted is a recursive alias
        total = 1
        if isinstance(node, SequenceNode):
            for child in node.value:
                total += size(child)
                if total > limit:
                    break
        elif isinstance(node, MappingNode):
            for key, value in node.value:
                total += size(key) + size(value)
                if total > limit:
                    break
        elif not isinstance(node, ScalarNode):
            total = limit + 1
        sizes[id(node)] = total
        return total

    return size(root)


def _compose(text: str) -> Node | None:
    loader = yaml.SafeLoader(text)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()


def parse_yaml_library(content: bytes, filename: str) -> Library:
    """A library from one uploaded YAML file (the header, items naming their area, optional coverage)."""
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as error:
        raise UploadInvalid(filename, [f"{filename}: not UTF-8 text ({error.reason} at byte {error.start})"]) from None
    try:
        root = _compose(text)
    except yaml.YAMLError:
        root = None  # parse_yaml reports the syntax error with its line
    if root is not None and _expanded_size(root, MAX_YAML_VALUES) > MAX_YAML_VALUES:
        raise UploadInvalid(filename, [f"{filename}: the YAML expands to more than {MAX_YAML_VALUES:,} values "
                                       "(anchors and aliases); write the library out in full"])
    path = Path(filename)
    source, problems = parse_yaml(path, text)
    if source is None or problems:
        raise UploadInvalid(filename, [_text(p) for p in problems])
    if not isinstance(source.data, dict):
        raise UploadInvalid(filename, [f"{filename}: a library file must be a mapping (id, version, items, ...)"])
    data = dict(source.data)
    coverage_source = None
    if "coverage" in data:
        coverage_node = _child(source.root, "coverage")
        coverage_source = YamlSource(path, data.pop("coverage"), coverage_node)
    return _validated([], YamlSource(path, data, source.root), coverage_source, filename)


def _child(node: Node | None, key: str) -> Node | None:
    if isinstance(node, MappingNode):
        for k, v in node.value:
            if isinstance(k, ScalarNode) and k.value == key:
                return v  # type: ignore[no-any-return]
    return None


def parse_library(content: bytes, filename: str) -> Library:
    """An uploaded library: a workbook by its content (a zip), or a name ending .xlsx; YAML otherwise."""
    name = safe_name(filename)
    if len(content) > MAX_FILE_BYTES:
        raise UploadInvalid(name, [f"{name}: {len(content):,} bytes; at most {MAX_FILE_BYTES:,} accepted"])
    if not content.strip():
        raise UploadInvalid(name, [f"{name}: the file is empty"])
    if content.startswith(ZIP_MAGIC) or name.lower().endswith((".xlsx", ".xlsm", ".zip")):
        return parse_workbook(content, name)
    return parse_yaml_library(content, name)
