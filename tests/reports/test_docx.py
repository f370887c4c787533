"""Reports as Word documents, and drafts made final: read back with python-docx and pypdf."""

import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from docx.document import Document as DocumentObject
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import select
from sqlmodel import Session
from typer.testing import CliRunner

from app.audit.models import AuditEvent
from app.cli import cli
from app.clock import frozen_at
from app.config import Settings
from app.reports.docx import MEDIA_TYPE, RECORD_OF_TRUTH
from app.reports.models import Report
from tests.conftest import Team
from tests.packets.conftest import checklists_dir, real_team  # noqa: F401  (the real library: packets need it)
from tests.signoffs.test_signoff_rules import attach, mark_done, sign

PACKET_KINDS = ("pt-committee", "ibc", "finance", "mec")


def generate(team: Team, kind: str = "full") -> dict[str, Any]:
    response = team.clients["champion"].post(team.url("/reports"), json={"kind": kind, "prepared_for": "Committee"})
    assert response.status_code == 201, response.text
    return dict(response.json())


def docx_of(client: TestClient, number: str) -> DocumentObject:
    response = client.get(f"/api/reports/{number}/docx")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == MEDIA_TYPE
    assert response.headers["content-disposition"] == f'attachment; filename="{number}.docx"'
    return Document(io.BytesIO(response.content))


def all_text(doc: DocumentObject) -> str:
    parts = [p.text for p in doc.paragraphs]
    parts += [cell.text for table in doc.tables for row in table.rows for cell in row.cells]
    return " ".join(" ".join(parts).split())


def headings(doc: DocumentObject) -> list[str]:
    return [p.text for p in doc.paragraphs if p.style is not None and p.style.name.startswith(("Heading", "Title"))]


def table_with(doc: DocumentObject, *header: str) -> list[list[str]]:
    """The header and the rows of every table with this header (the item tables: one per area)."""
    found: list[list[str]] = []
    for table in doc.tables:
        rows = [[cell.text for cell in row.cells] for row in table.rows]
        if tuple(rows[0][: len(header)]) == header:
            found += rows[1:] if found else rows
    assert found, f"no table headed {header}: {[[c.text for c in t.rows[0].cells] for t in doc.tables]}"
    return found


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def watermarked(doc: DocumentObject) -> bool:
    return 'string="DRAFT"' in doc.sections[0].header._element.xml


def test_full_report_docx_has_headings_tables_verification_and_the_draft_watermark(
    session: Session, real_team: Team  # noqa: F811
) -> None:
    team = real_team
    attach(team, "PAY-001", "financial_analysis", name="budget impact.pdf")
    version = mark_done(team, "PAY-001")
    assert sign(team.clients["finance_lead"], team, "PAY-001", version).status_code == 201
    meta = generate(team)
    doc = docx_of(team.clients["viewer"], meta["number"])
    found = headings(doc)
    assert found[0] == team.program.title
    for heading in ("Summary", "Blockers", "Readiness by area", "Top risks", "Items by area", "Sign-off register",
                    "Evidence index", "Verification"):
        assert heading in found, (heading, found)
    items = table_with(doc, "Item", "Title", "Status", "Owner", "Due", "Sign-off")
    pay = next(row for row in items if row[0] == "PAY-001")
    assert pay[2] == "Signed off" and "Finance lead" in pay[5]
    register = table_with(doc, "Item", "Signer", "Role", "Meaning", "Statement", "Signed")
    assert [row[0] for row in register[1:]] == ["PAY-001"]
    areas = table_with(doc, "Area", "Ready", "Weighted completion", "Overdue", "Lapsed")
    assert len(areas) - 1 == len(session.get(Report, _report_id(session, meta["number"])).data["areas"])  # type: ignore[union-attr]
    assert len(table_with(doc, "Item", "Title", "Area", "Why it blocks")) > 1
    evidence = table_with(doc, "Item", "File", "Kind", "SHA-256", "Uploaded by", "Expires")
    assert evidence[1][:3] == ["PAY-001", "budget impact.pdf", "financial analysis"]
    text = all_text(doc)
    assert RECORD_OF_TRUTH in text
    assert meta["data_sha256"] in text and f"/api/reports/verify?number={meta['number']}" in text
    assert f"data_sha256={meta['data_sha256']}" in text and "curl" in text
    assert watermarked(doc) and "DRAFT · not yet marked final" in text
    assert doc.core_properties.category == "DRAFT" and meta["number"] in doc.core_properties.title
    downloads = session.scalars(select(AuditEvent).where(AuditEvent.action == "report.downloaded")).all()
    assert [event.after for event in downloads] == [{"format": "docx"}]


def _report_id(session: Session, number: str) -> object:
    return session.scalars(select(Report.id).where(Report.number == number)).one()


def test_executive_docx_is_the_summary_without_item_tables(real_team: Team) -> None:  # noqa: F811
    doc = docx_of(real_team.clients["viewer"], generate(real_team, "executive")["number"])
    found = headings(doc)
    assert "Summary" in found and "Verification" in found and "Items by area" not in found
    assert headings(doc)[0] == real_team.program.title and "Executive summary" in all_text(doc)


@pytest.mark.parametrize("kind", PACKET_KINDS)
def test_every_packet_kind_comes_out_in_docx_with_its_own_sections(
    session: Session, real_team: Team, kind: str  # noqa: F811
) -> None:
    meta = generate(real_team, kind)
    session.expire_all()
    packet = session.get(Report, _report_id(session, meta["number"])).data["packet"]  # type: ignore[union-attr]
    doc = docx_of(real_team.clients["viewer"], meta["number"])
    found, text = headings(doc), all_text(doc)
    assert found[0] == packet["title"]
    assert packet["audience"] in text and packet["cover_text"].split()[0] in text
    for decision in packet["decisions"]:
        assert decision in text
    assert "Decisions requested" in found
    requested = table_with(doc, "Key", "Title", "Area", "Status")
    assert {row[0] for row in requested[1:]} == {d["key"] for d in packet["decisions_requested"]}
    assert "Verification" in found and watermarked(doc) and RECORD_OF_TRUTH in text


def test_only_champions_finalise_and_the_final_pdf_has_no_watermark(
    session: Session, real_team: Team, outsider: TestClient  # noqa: F811
) -> None:
    team = real_team
    meta = generate(team, "executive")
    number = meta["number"]
    draft_pdf = team.clients["viewer"].get(f"/api/reports/{number}/pdf").content
    assert "DRAFT" in pdf_text(draft_pdf)
    for role in ("viewer", "administrator", "pharmacy_lead"):
        response = team.clients[role].post(f"/api/reports/{number}/finalise")
        assert response.status_code == 403 and "champion" in response.text
    assert outsider.post(f"/api/reports/{number}/finalise").status_code == 404
    assert outsider.get(f"/api/reports/{number}/docx").status_code == 404
    response = team.clients["champion"].post(f"/api/reports/{number}/finalise")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["finalised_by_name"] == "Program champion" and body["finalised_at"]
    assert body["data_sha256"] == meta["data_sha256"] and body["pdf_sha256"] != meta["pdf_sha256"]
    final_pdf = team.clients["viewer"].get(f"/api/reports/{number}/pdf").content
    text = pdf_text(final_pdf)
    assert "DRAFT" not in text and "marked final by Program champion" in " ".join(text.split())
    session.expire_all()
    stored = session.scalars(select(Report).where(Report.number == number)).one()
    assert stored.draft_pdf_sha256 == meta["pdf_sha256"] and stored.finalised_by_id == team.people["champion"].id
    verified = team.clients["viewer"].get("/api/reports/verify", params={"number": number}).json()
    assert verified["matches"] is True and verified["data_sha256"] == meta["data_sha256"]
    again = team.clients["champion"].post(f"/api/reports/{number}/finalise")
    assert again.status_code == 409 and "already marked final" in again.text
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "report.finalised")).all()
    assert len(events) == 1 and events[0].entity_key == number
    assert events[0].before == {"pdf_sha256": meta["pdf_sha256"]}
    doc = docx_of(team.clients["viewer"], number)
    assert not watermarked(doc) and "DRAFT" not in all_text(doc) and doc.core_properties.category == "Final"
    assert "Final · marked final by Program champion" in all_text(doc)
    listed = team.clients["viewer"].get(team.url("/reports")).json()
    assert listed[0]["finalised_by_name"] == "Program champion"


def test_unknown_report_docx_and_finalise_are_404(real_team: Team) -> None:  # noqa: F811
    assert real_team.clients["champion"].get("/api/reports/GTR-2026-999999/docx").status_code == 404
    assert real_team.clients["champion"].post("/api/reports/GTR-2026-999999/finalise").status_code == 404


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("GTREADY_CHECKLISTS_DIR", str(settings.checklists_dir))
    monkeypatch.setenv("GTREADY_DATA_DIR", str(settings.data_dir))


def test_cli_writes_a_packet_as_docx(cli_env: None, real_team: Team, tmp_path: Path) -> None:  # noqa: F811
    out = tmp_path / "packet.pdf"
    result = CliRunner().invoke(cli, ["report", str(real_team.program.id), "--kind", "pt-committee",
                                      "--format", "docx", "--out", str(out)])
    assert result.exit_code == 0, result.output
    written = tmp_path / "packet.docx"
    assert f"Word document written to {written}" in result.output and not out.exists()
    doc = Document(str(written))
    assert "Pharmacy and Therapeutics" in headings(doc)[0] and watermarked(doc)
    assert RECORD_OF_TRUTH in all_text(doc)
    listed = real_team.clients["viewer"].get(real_team.url("/reports")).json()
    assert [r["kind"] for r in listed] == ["pt-committee"]


def test_cli_refuses_an_unknown_format_in_one_line(cli_env: None, real_team: Team) -> None:  # noqa: F811
    result = CliRunner().invoke(cli, ["report", str(real_team.program.id), "--format", "odt"])
    assert result.exit_code == 1 and "odt" in result.output and result.output.count("\n") == 1
    assert real_team.clients["viewer"].get(real_team.url("/reports")).json() == []


def test_docx_shows_times_in_the_institution_time_zone_in_the_one_date_format(
    real_team: Team,  # noqa: F811
) -> None:
    """Like the PDF: a report generated at 04:05 UTC on 1 Dec reads 30 Nov, 22:05 CST in Chicago, everywhere."""
    team = real_team
    zoned = team.clients["administrator"].patch(f"/api/institutions/{team.institution.id}",
                                                json={"time_zone": "America/Chicago"})
    assert zoned.status_code == 200, zoned.text
    with frozen_at(datetime(2026, 12, 1, 4, 5, tzinfo=UTC)):
        attach(team, "PAY-001", "financial_analysis", name="budget impact.pdf")
        version = mark_done(team, "PAY-001")
        assert sign(team.clients["finance_lead"], team, "PAY-001", version).status_code == 201
        meta = generate(team)
        assert team.clients["champion"].post(f"/api/reports/{meta['number']}/finalise").status_code == 200
    doc = docx_of(team.clients["viewer"], meta["number"])
    text = all_text(doc)
    local = "30 Nov 2026, 22:05 CST"
    assert f"Report date {local}" in text
    assert f"marked final by Program champion on {local}" in text
    register = table_with(doc, "Item", "Signer", "Role", "Meaning", "Statement", "Signed")
    assert register[1][0] == "PAY-001" and register[1][5] == local
    pay = next(row for row in table_with(doc, "Item", "Title", "Status", "Owner", "Due", "Sign-off")
               if row[0] == "PAY-001")
    assert pay[5].endswith(f"(approved, {local})")
    evidence = table_with(doc, "Item", "File", "Kind", "SHA-256", "Uploaded by", "Expires")
    assert evidence[1][4].endswith(local)
    assert "1 Dec 2026" not in text and "04:05" not in text and "UTC" not in text
    pdf = " ".join(pdf_text(team.clients["viewer"].get(f"/api/reports/{meta['number']}/pdf").content).split())
    assert local in pdf  # the same words as the PDF
