"""Register exports (CSV, XLSX) say times in the institution's time zone, in the one date format of the pages."""

import csv
import io
from datetime import UTC, datetime

from openpyxl import load_workbook

from app.clock import frozen_at
from tests.conftest import Team
from tests.signoffs.test_signoff_rules import attach, mark_done, sign


def test_csv_and_xlsx_show_local_times_and_dates_in_one_format(team: Team) -> None:
    zoned = team.clients["administrator"].patch(f"/api/institutions/{team.institution.id}",
                                                json={"time_zone": "America/Chicago"})
    assert zoned.status_code == 200, zoned.text
    with frozen_at(datetime(2026, 12, 1, 4, 5, tzinfo=UTC)):  # 30 Nov, 22:05 in Chicago
        attach(team, "PAY-001", "other", name="budget.pdf")
        version = mark_done(team, "PAY-001")
        assert sign(team.clients["finance_lead"], team, "PAY-001", version).status_code == 201
    item = team.clients["champion"].get(team.url("/items/POL-001")).json()
    assert team.clients["champion"].patch(team.url("/items/POL-001"), json={
        "due_date": "2026-12-15", "version": item["version"]}).status_code == 200
    viewer = team.clients["viewer"]

    def rows(register: str) -> list[dict[str, str]]:
        text = viewer.get(team.url(f"/exports/{register}.csv")).content.decode("utf-8-sig")
        return list(csv.DictReader(io.StringIO(text)))

    signed = rows("signoffs")[0]
    assert signed["item"] == "PAY-001" and signed["signed_at"] == "30 Nov 2026, 22:05 CST"
    uploaded = next(r for r in rows("evidence") if r["file"] == "budget.pdf")
    assert uploaded["uploaded_at"] == "30 Nov 2026, 22:05 CST"
    assert next(r for r in rows("items") if r["key"] == "POL-001")["due_date"] == "15 Dec 2026"

    sheet = load_workbook(io.BytesIO(viewer.get(team.url("/exports/signoffs.xlsx")).content)).active
    assert sheet is not None
    header = [cell.value for cell in sheet[1]]
    cell = sheet.cell(row=2, column=header.index("signed_at") + 1)
    assert cell.value == datetime(2026, 11, 30, 22, 5)  # a date cell, sortable, in local time
    assert cell.number_format == 'd mmm yyyy, hh:mm "CST"'
