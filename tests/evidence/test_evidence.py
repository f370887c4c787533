"""Evidence files: checked by content, stored under safe names, served safely, expiring on time."""

import hashlib
import io
import zipfile
from datetime import date, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import Team
from tests.signoffs.test_signoff_rules import attach, mark_done, sign

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def upload(team: Team, name: str, content: bytes, kind: str = "equipment_qualification", **form: str) -> object:
    return team.clients["pharmacy_lead"].post(
        team.url("/items/PHARM-001/evidence"), files={"file": (name, content)}, data={"kind": kind, **form}
    )


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


def test_pdf_is_stored_with_its_hash_and_downloads_as_an_attachment(team: Team) -> None:
    response = upload(team, "Freezer PQ report.pdf", PDF)
    assert response.status_code == 201  # type: ignore[attr-defined]
    evidence = response.json()  # type: ignore[attr-defined]
    assert evidence["sha256"] == hashlib.sha256(PDF).hexdigest() and evidence["content_type"] == "application/pdf"
    download = team.clients["viewer"].get(f"/api/evidence/{evidence['id']}/download")
    assert download.content == PDF
    assert download.headers["content-disposition"] == "attachment; filename*=UTF-8''Freezer%20PQ%20report.pdf"
    assert download.headers["x-content-type-options"] == "nosniff"


def test_office_documents_are_recognised_by_their_content(team: Team) -> None:
    assert upload(team, "sop.docx", docx_bytes()).status_code == 201  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("invoice.pdf", b"MZ\x90\x00 this is a Windows executable"),  # disguised by its name
        ("policy.docx", b"PK\x03\x04 not really a zip"),
        ("photo.png", PDF),  # real PDF, lying name
        ("notes.txt", b"binary\x00data"),
        ("script.html", b"<script>alert(1)</script>"),
    ],
)
def test_disguised_or_unaccepted_files_are_415(team: Team, name: str, content: bytes) -> None:
    response = upload(team, name, content)
    assert response.status_code == 415, name  # type: ignore[attr-defined]
    assert "not an accepted type" in response.json()["detail"]  # type: ignore[attr-defined]


def test_oversized_upload_is_413_and_leaves_nothing_behind(app: FastAPI, team: Team) -> None:
    app.state.settings.max_upload_bytes = 1024
    response = upload(team, "big.pdf", PDF + b"0" * 2048)
    assert response.status_code == 413  # type: ignore[attr-defined]
    stored = list(app.state.settings.evidence_dir.glob("*")) if app.state.settings.evidence_dir.exists() else []
    assert stored == []
    assert team.clients["viewer"].get(team.url("/evidence")).json() == []


def test_path_traversal_in_the_file_name_goes_nowhere(app: FastAPI, team: Team) -> None:
    response = upload(team, "../../../etc/passwd.pdf", PDF)
    assert response.json()["original_name"] == "passwd.pdf"  # type: ignore[attr-defined]
    files = [p.name for p in app.state.settings.evidence_dir.iterdir()]
    assert len(files) == 1 and len(files[0]) == 32  # stored under a random id, inside the evidence folder


def test_kind_must_be_one_the_item_expects(team: Team) -> None:
    response = upload(team, "roster.pdf", PDF, kind="training_record")
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert response.json()["detail"][0]["loc"] == ["body", "kind"]  # type: ignore[attr-defined]


def test_other_institution_cannot_download(team: Team, outsider: TestClient) -> None:
    evidence = upload(team, "a.pdf", PDF).json()  # type: ignore[attr-defined]
    assert outsider.get(f"/api/evidence/{evidence['id']}/download").status_code == 404


def test_expiring_evidence_makes_the_signature_lapse_when_it_expires(team: Team) -> None:
    soon = date.today() + timedelta(days=30)
    attach(team, "PHARM-001", "equipment_qualification", expires_on=soon.isoformat())
    version = mark_done(team, "PHARM-001")
    assert sign(team.clients["pharmacy_lead"], team, "PHARM-001", version).status_code == 201
    assert team.clients["viewer"].get(team.url("/items/PHARM-001")).json()["lapses_on"] == soon.isoformat()


def test_removing_evidence_a_signature_relied_on_lapses_it(team: Team) -> None:
    evidence = attach(team, "PHARM-001", "equipment_qualification")
    version = mark_done(team, "PHARM-001")
    sign(team.clients["pharmacy_lead"], team, "PHARM-001", version)
    assert team.clients["pharmacy_lead"].delete(f"/api/evidence/{evidence['id']}").status_code == 204
    item = team.clients["viewer"].get(team.url("/items/PHARM-001")).json()
    assert item["lapsed"] is True
    readiness = team.clients["viewer"].get(team.url("/readiness")).json()
    assert "PHARM-001" in [b["key"] for b in readiness["gate"]["blocking"]]
