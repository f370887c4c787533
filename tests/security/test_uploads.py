"""Uploads an attacker would try: oversized files, files disguised by their name, and file names that try to
climb out of the evidence folder or into the download's headers. Nothing is written outside the evidence folder,
a refused file leaves no row, no file and no audit event, and a stored name downloads safely."""

import re
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import PASSWORD, Team
from tests.evidence.test_evidence import docx_bytes
from tests.security.conftest import web_login

# An all-ASCII PDF: valid UTF-8 with no NUL, so only its signature tells it apart from plain text.
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
EVIDENCE_NAME = re.compile(r"[0-9a-f]{32}")
SAFE_DISPOSITION = re.compile(r"attachment; filename\*=UTF-8''[A-Za-z0-9%._~-]+")


def _raw_upload(client: TestClient, url: str, filename: bytes, content: bytes) -> object:
    """A multipart upload built by hand, so the file name reaches the server byte for byte (NUL included)."""
    boundary = b"gtready-test-boundary"
    body = b"".join([
        b"--", boundary, b'\r\nContent-Disposition: form-data; name="kind"\r\n\r\nother\r\n',
        b"--", boundary, b'\r\nContent-Disposition: form-data; name="file"; filename="', filename, b'"\r\n',
        b"Content-Type: application/octet-stream\r\n\r\n", content, b"\r\n--", boundary, b"--\r\n",
    ])
    content_type = f"multipart/form-data; boundary={boundary.decode()}"
    return client.post(url, content=body, headers={"Content-Type": content_type})


def _tree(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


def _audit_actions(team: Team) -> list[str]:
    events = team.clients["champion"].get(team.url("/audit"), params={"limit": 500}).json()["items"]
    return [e["action"] for e in events]


TRAVERSAL_NAMES = {
    "dotdot": b"../../etc/passwd.txt",
    "backslashes": b"..\\..\\windows\\system32\\evil.txt",
    "absolute": b"/etc/cron.d/evil.txt",
    "drive": b"C:\\Windows\\Temp\\evil.txt",
    "doubled": b"....//....//evil.txt",
    "nul": b"evil\x00.txt",
    "dotdot-nul": b"../\x00../evil.txt",
    "hidden": b".hidden.txt",
    "only-dots": b"..",
}


def test_path_traversal_in_the_name_writes_only_inside_the_evidence_folder(
    app: FastAPI, team: Team, tmp_path: Path, subtests: pytest.Subtests
) -> None:
    evidence_dir = app.state.settings.evidence_dir
    for case, filename in TRAVERSAL_NAMES.items():
        with subtests.test(case):
            before = _tree(tmp_path)
            response = _raw_upload(team.clients["champion"], team.url("/items/PAY-001/evidence"), filename, b"log\n")
            status = response.status_code  # type: ignore[attr-defined]
            assert status in (201, 415), response.text  # type: ignore[attr-defined]
            new_files = _tree(tmp_path) - before
            assert [p for p in new_files if p.parent != evidence_dir and not p.name.startswith("gtready.db")] == []
            assert all(EVIDENCE_NAME.fullmatch(p.name) for p in new_files if p.parent == evidence_dir)
            if status == 415:  # nothing left once the path is stripped (".."), so no type to prove: nothing kept
                assert [p for p in new_files if p.parent == evidence_dir] == []
                continue
            stored = response.json()  # type: ignore[attr-defined]
            name = stored["original_name"]
            assert name and not name.startswith(".") and not re.search(r"[/\\\x00-\x1f]", name), name
            download = team.clients["viewer"].get(f"/api/evidence/{stored['id']}/download")
            assert download.status_code == 200 and download.content == b"log\n"
            disposition = download.headers["content-disposition"]
            assert SAFE_DISPOSITION.fullmatch(disposition), disposition


def test_a_name_crafted_to_break_the_download_header_is_neutralised(team: Team) -> None:
    crafted = 'x"; filename="evil.html\r\nSet-Cookie: gtready_session=planted; a=".txt'
    response = team.clients["champion"].post(
        team.url("/items/PAY-001/evidence"), data={"kind": "other"}, files={"file": (crafted, b"plain\n")}
    )
    assert response.status_code == 201, response.text
    download = team.clients["viewer"].get(f"/api/evidence/{response.json()['id']}/download")
    assert SAFE_DISPOSITION.fullmatch(download.headers["content-disposition"])
    assert "set-cookie" not in download.headers
    assert download.headers["x-content-type-options"] == "nosniff"


DISGUISED = {
    "exe-as-pdf": ("report.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00 Windows executable"),
    "elf-as-pdf": ("report.pdf", b"\x7fELF\x02\x01\x01\x00 Linux executable"),
    "html-as-pdf": ("report.pdf", b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"),
    "pdf-as-png": ("scan.png", PDF),
    "png-as-jpg": ("photo.jpg", PNG),
    "docx-as-xlsx": ("sheet.xlsx", docx_bytes()),
    "pdf-as-txt": ("minutes.txt", PDF),
    "pdf-as-csv": ("register.csv", PDF),
    "png-as-txt": ("roster.txt", PNG),
    "fake-docx": ("archive.docx", b"PK\x03\x04 not a zip at all"),
    # Looks like a zip to a quick check (an end record) but its directory points nowhere.
    "corrupt-zip-as-docx": ("policy.docx", b"PK\x03\x04" + bytes(40) + b"PK\x05\x06" + bytes(6)
                            + (1).to_bytes(2, "little") + (46).to_bytes(4, "little") + bytes(6)),
}


def test_a_file_disguised_by_its_name_is_refused_and_leaves_nothing(
    app: FastAPI, team: Team, subtests: pytest.Subtests
) -> None:
    evidence_dir = app.state.settings.evidence_dir
    for case, (name, content) in DISGUISED.items():
        with subtests.test(case):
            response = team.clients["champion"].post(
                team.url("/items/PAY-001/evidence"), data={"kind": "other"}, files={"file": (name, content)}
            )
            assert response.status_code in (415, 422), (name, response.status_code, response.text)
            assert "file" in response.text  # the answer names the field
            assert not evidence_dir.exists() or list(evidence_dir.iterdir()) == []
    assert team.clients["viewer"].get(team.url("/evidence")).json() == []
    assert "evidence.added" not in _audit_actions(team)


def test_an_oversized_file_is_413_by_api_and_by_web_form_and_leaves_nothing(app: FastAPI, team: Team) -> None:
    app.state.settings.max_upload_bytes = 4096
    big = b"a line of a long register\n" * 1000
    api = team.clients["champion"].post(
        team.url("/items/PAY-001/evidence"), data={"kind": "other"}, files={"file": ("register.txt", big)}
    )
    assert api.status_code == 413 and "file" in api.json()["detail"]
    with TestClient(app, follow_redirects=False) as browser:
        csrf = web_login(browser, "champion@riverside.example", PASSWORD)
        web = browser.post(f"/programs/{team.program.id}/items/PAY-001/evidence",
                           data={"kind": "other", "csrf_token": csrf}, files={"file": ("register.txt", big)})
    assert web.status_code == 413 and "MB limit" in web.text
    evidence_dir = app.state.settings.evidence_dir
    assert not evidence_dir.exists() or list(evidence_dir.iterdir()) == []
    assert team.clients["viewer"].get(team.url("/evidence")).json() == []
    assert "evidence.added" not in _audit_actions(team)
