"""The item register, sign-off register and evidence index as CSV or XLSX, filtered as on screen."""

import csv
import io
import re
import uuid
from collections.abc import Sequence
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlmodel import Session

from app.evidence.service import program_evidence
from app.formatting import format_date, format_datetime, zone
from app.pagination import PageParams
from app.programs.schemas import ItemFilters
from app.programs.service import list_items
from app.signoffs.service import signoff_records


class Register(StrEnum):
    ITEMS = "items"
    SIGNOFFS = "signoffs"
    EVIDENCE = "evidence"


class Format(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


MEDIA_TYPES = {
    Format.CSV: "text/csv; charset=utf-8",
    Format.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
EVERY_ROW = PageParams(limit=1_000_000, offset=0)


def register_rows(
    session: Session, program_id: uuid.UUID, register: Register, filters: ItemFilters, time_zone: str = "UTC"
) -> tuple[list[str], list[list[Any]]]:
    """Header and rows of one register; item filters narrow all three to the same items. Times are moved into
    the institution's `time_zone`: the cells say them as its people read them (the writers add the zone)."""
    items, _ = list_items(session, program_id, filters, EVERY_ROW)
    keys = {item.key for item in items}
    if register == Register.ITEMS:
        header = ["key", "area", "title", "criticality", "status", "owner", "due_date", "overdue", "lapsed",
                  "lapses_on", "signoff_role", "notes", "local"]
        rows = [[i.key, i.area, i.title, i.criticality, i.status, i.owner_name or "", i.due_date, i.overdue,
                 i.lapsed, i.lapses_on, i.signoff_role, i.notes, i.local] for i in items]
    elif register == Register.SIGNOFFS:
        header = ["item", "signer", "role", "meaning", "statement", "signed_at", "revoked_at",
                  "revoked_by", "revocation_reason"]
        rows = [
            [r.item_key, r.signer_name, r.role, r.meaning.value, r.statement, r.signed_at,
             r.revocation.revoked_at if r.revocation else None, r.revocation.revoked_by_name if r.revocation else "",
             r.revocation.reason if r.revocation else ""]
            for r in signoff_records(session, program_id)
            if r.item_key in keys
        ]
    else:
        header = ["item", "file", "kind", "sha256", "uploaded_by", "uploaded_at", "expires_on"]
        rows = [[e.item_key, e.original_name, e.kind, e.sha256, e.uploaded_by_name, e.uploaded_at, e.expires_on]
                for e in program_evidence(session, program_id) if e.item_key in keys]
    here = zone(time_zone)
    return header, [[v.astimezone(here) if isinstance(v, datetime) and v.tzinfo else v for v in row] for row in rows]


# Characters XML 1.0 (so XLSX) cannot hold: C0 controls but tab, newline and carriage return; DEL; two non-characters
UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
# A spreadsheet reads a cell starting with one of these as a formula (or, for tab and CR, may shift it into one)
FORMULA_STARTS = frozenset("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20")  # with their full-width forms


def safe_text(value: str) -> str:
    """Text a user typed, as an export cell: characters a spreadsheet cannot store dropped, and a would-be formula
    (CSV/formula injection) made plain text by a leading apostrophe. Every export writer uses it."""
    text = UNWRITABLE.sub("", value)
    if text[:1] in FORMULA_STARTS or text.lstrip()[:1] in FORMULA_STARTS:
        return "'" + text
    return text


def _value(value: Any) -> Any:
    """One export cell: text made safe, times without their (always UTC) zone."""
    if isinstance(value, str):
        return safe_text(str(value))  # str(): an enum's plain text
    if getattr(value, "tzinfo", None) is not None:
        return value.replace(tzinfo=None)  # a spreadsheet cell keeps no zone: its number format names it
    return value


def _text(value: Any) -> Any:
    """A CSV cell: dates and times in the one format people read ('30 Nov 2026, 14:05 CST'), in the zone given."""
    if isinstance(value, datetime):
        return format_datetime(value, getattr(value.tzinfo, "key", None) or "UTC")
    if isinstance(value, date):
        return format_date(value)
    return _value(value)


def to_csv(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows([_text(v) for v in row] for row in rows)
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(title: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # noqa: S101  (a new workbook always has one sheet)
    sheet.title = title
    sheet.append(list(header))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([_value(v) for v in row])
        # Dates stay date cells (they sort and filter) shown in the one format of app/formatting.py:
        # "30 Nov 2026", and a time "30 Nov 2026, 14:05 CST" with its zone's abbreviation as literal text.
        for cell, value in zip(sheet[sheet.max_row], row, strict=False):
            if isinstance(value, datetime):
                abbreviation = value.tzname() or "UTC"
                cell.number_format = f'd mmm yyyy, hh:mm "{abbreviation}"'
            elif isinstance(value, date):
                cell.number_format = "d mmm yyyy"
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
