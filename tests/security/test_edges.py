"""Input at the edges: oversized bodies refused before they are read, hostile text exported harmlessly, long and
odd file names kept with their extension, and a readiness probe that names no database."""

import csv
import io
import os
import select
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import update
from sqlmodel import Session

from app.config import PROJECT_ROOT, Settings
from app.main import create_app
from app.programs.models import ProgramItem
from tests.conftest import Team
from tests.factories import make_user
from tests.signoffs.test_signoff_rules import mark_done, sign

MB = 1024 * 1024
UPLOAD_LIMIT = 2 * MB  # the upload server below: small, so a test sends little, but above the 1 MB in-memory spool


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def upload_server(settings: Settings, app: FastAPI, tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """The app as `gtready serve` runs it (uvicorn, its own process), with a temp directory of its own to watch."""
    spool = tmp_path / "spool"
    spool.mkdir()
    port = _free_port()
    env = os.environ | {
        "TMPDIR": str(spool), "DATABASE_URL": settings.database_url, "GTREADY_DATA_DIR": str(settings.data_dir),
        "GTREADY_CHECKLISTS_DIR": str(settings.checklists_dir), "GTREADY_MAX_UPLOAD_BYTES": str(UPLOAD_LIMIT),
    }
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "uvicorn", "app.asgi:app", "--host", "127.0.0.1", "--port", str(port),
         "--log-level", "warning"], cwd=PROJECT_ROOT, env=env, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                raise RuntimeError("the server did not start") from None
            time.sleep(0.1)
    yield port, spool
    server.terminate()
    server.wait(timeout=10)


class SpoolWatch:
    """The largest total size the server's temp directory reaches while it runs."""

    def __init__(self, directory: Path) -> None:
        self.directory, self.largest, self.running = directory, 0, True
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()

    def _watch(self) -> None:
        while self.running:
            total = 0
            for entry in os.scandir(self.directory):
                try:
                    total += entry.stat().st_size
                except FileNotFoundError:
                    continue
            self.largest = max(self.largest, total)
            time.sleep(0.005)

    def stop(self) -> int:
        self.running = False
        self.thread.join()
        return self.largest


def _head(port: int, path: str, headers: dict[str, str]) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", *(f"{k}: {v}" for k, v in headers.items()), "", ""]
    sock.sendall("\r\n".join(lines).encode())
    return sock


def _answer(sock: socket.socket) -> tuple[int, bytes]:
    data = b""
    while b"\r\n\r\n" not in data or len(data.split(b"\r\n\r\n", 1)[1]) == 0:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    status = int(data.split(b" ", 2)[1])
    return status, data.split(b"\r\n\r\n", 1)[1]


BOUNDARY = "edgeboundary"
MULTIPART_HEAD = (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\nequipment_qualification\r\n"
                  f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.pdf\"\r\n"
                  "Content-Type: application/pdf\r\n\r\n%PDF-1.4\n").encode()


def test_an_anonymous_60_mb_upload_declared_up_front_is_413_before_a_byte_is_read(
    team: Team, upload_server: tuple[int, Path]
) -> None:
    port, spool = upload_server
    watch = SpoolWatch(spool)
    sock = _head(port, team.url("/items/PHARM-001/evidence"), {
        "Content-Type": f"multipart/form-data; boundary={BOUNDARY}", "Content-Length": str(60 * MB)})
    sock.sendall(MULTIPART_HEAD)
    status, body = _answer(sock)
    sock.close()
    assert status == 413 and b"larger than this address accepts" in body
    assert watch.stop() == 0


def test_an_anonymous_chunked_upload_is_cut_off_at_the_limit_not_spooled_whole(
    team: Team, upload_server: tuple[int, Path]
) -> None:
    port, spool = upload_server
    watch = SpoolWatch(spool)
    sock = _head(port, team.url("/items/PHARM-001/evidence"), {
        "Content-Type": f"multipart/form-data; boundary={BOUNDARY}", "Transfer-Encoding": "chunked"})
    block = b"x" * 65536
    sent, answered = 0, False
    try:
        for piece in [MULTIPART_HEAD] + [block] * (60 * MB // len(block)):
            sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
            sent += len(piece)
            if select.select([sock], [], [], 0)[0]:
                answered = True
                break
    except (BrokenPipeError, ConnectionResetError):
        answered = True
    assert answered, "the server read all 60 MB"
    status, body = _answer(sock)
    sock.close()
    assert status == 413 and b"larger than this address accepts" in body
    assert sent < 20 * MB
    largest = watch.stop()
    assert largest <= UPLOAD_LIMIT, f"{largest} bytes spooled"
    assert list(spool.iterdir()) == []


def test_every_other_route_takes_at_most_a_megabyte_declared_or_streamed(team: Team) -> None:
    champion = team.clients["champion"]
    big = b'{"name": "' + b"x" * (2 * MB) + b'", "inputs": {}}'
    declared = champion.post(team.url("/scenarios/reimbursement"), content=big,
                             headers={"Content-Type": "application/json"})
    assert declared.status_code == 413 and "larger than this address accepts" in declared.json()["detail"]

    def stream() -> Iterator[bytes]:
        for start in range(0, len(big), 65536):
            yield big[start:start + 65536]

    streamed = champion.post(team.url("/scenarios/reimbursement"), content=stream(),
                             headers={"Content-Type": "application/json"})
    assert streamed.status_code == 413 and "larger than this address accepts" in streamed.json()["detail"]
    small = champion.post(team.url("/scenarios/reimbursement"), json={"name": "x", "inputs": {}})
    assert small.status_code == 422


def test_an_upload_under_the_limit_still_goes_through(team: Team) -> None:
    response = team.clients["pharmacy_lead"].post(
        team.url("/items/PHARM-001/evidence"), files={"file": ("qualification.pdf", b"%PDF-1.4\n" + b"x" * 3 * MB)},
        data={"kind": "equipment_qualification"})
    assert response.status_code == 201, response.text


# exports

HOSTILE = {
    "notes": "\x01=cmd|' /C calc'!A0\x0b\x1f",
    "title": "+SUM(1+1)",
    "owner": '=HYPERLINK("http://evil.example","click")',
    "file": "@SUM(A1).pdf",
    "statement": "-2+3",
    "reason": "=2+5 signed the wrong SOP",
}


def hostile_program(team: Team, session: Session) -> None:
    owner = make_user(session, team.institution, roles=("pharmacy_lead",), full_name=HOSTILE["owner"])
    champion = team.clients["champion"]
    item = champion.get(team.url("/items/PAY-001")).json()
    changed = champion.patch(team.url("/items/PAY-001"), json={
        "notes": HOSTILE["notes"], "owner_id": str(owner.id), "version": item["version"]})
    assert changed.status_code == 200, changed.text
    session.execute(update(ProgramItem).where(ProgramItem.key == "PAY-001").values(title=HOSTILE["title"]))  # type: ignore[arg-type]
    session.commit()
    version = mark_done(team, "PAY-001")
    signed = sign(team.clients["finance_lead"], team, "PAY-001", version, statement=HOSTILE["statement"])
    assert signed.status_code == 201, signed.text
    revoked = team.clients["finance_lead"].post(f"/api/signoffs/{signed.json()['id']}/revocation",
                                                json={"reason": HOSTILE["reason"]})
    assert revoked.status_code == 200, revoked.text
    uploaded = team.clients["pharmacy_lead"].post(team.url("/items/PHARM-001/evidence"),
                                                  files={"file": (HOSTILE["file"], b"%PDF-1.4 x\n")},
                                                  data={"kind": "equipment_qualification"})
    assert uploaded.status_code == 201, uploaded.text


def _cells(team: Team, register: str) -> list[Any]:
    viewer = team.clients["viewer"]
    as_csv = viewer.get(team.url(f"/exports/{register}.csv"))
    assert as_csv.status_code == 200, as_csv.text
    as_xlsx = viewer.get(team.url(f"/exports/{register}.xlsx"))
    assert as_xlsx.status_code == 200, as_xlsx.text
    rows = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    sheet = load_workbook(io.BytesIO(as_xlsx.content)).active
    assert sheet is not None
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert all(cell.data_type != "f" for cell in cells), "a cell is a formula"
    return [value for row in rows for value in row] + [cell.value for cell in cells if cell.value is not None]


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def test_exports_neutralise_formulas_and_drop_unwritable_characters_in_every_text_field(
    team: Team, session: Session
) -> None:
    hostile_program(team, session)
    seen: list[str] = []
    for register in ("items", "signoffs", "evidence"):
        seen += [str(value) for value in _cells(team, register)]
    for text in seen:
        assert not text.startswith(FORMULA_STARTS), repr(text)
        assert not any(ord(ch) < 32 and ch not in "\t\n\r" for ch in text), repr(text)
    for value in ("'=cmd|' /C calc'!A0", "'+SUM(1+1)", "'" + HOSTILE["owner"], "'@SUM(A1).pdf", "'-2+3",
                  "'=2+5 signed the wrong SOP"):
        assert value in seen, (value, [s for s in seen if "SUM" in s or "cmd" in s])


def test_an_export_of_a_program_titled_in_another_script_downloads(team: Team, session: Session) -> None:
    champion = team.clients["champion"]
    session.execute(update(type(team.program)).where(type(team.program).id == team.program.id)  # type: ignore[arg-type]
                    .values(title="Программа генной терапии"))
    session.commit()
    response = champion.get(team.url("/exports/items.xlsx"))
    assert response.status_code == 200
    disposition = response.headers["content-disposition"]
    assert disposition.isascii() and disposition.endswith('-items.xlsx"')


# file names


@pytest.mark.parametrize(("sent", "kept"), [
    ("a" * 250 + ".pdf", "a" * 196 + ".pdf"),
    ("é" * 300 + ".PDF", "é" * 196 + ".PDF"),
    ("治疗方案" * 80 + ".pdf", ("治疗方案" * 80)[:196] + ".pdf"),
    (".pdf", "evidence.pdf"),
    ("..pdf", "evidence.pdf"),
    ("C:\\scans\\" + "b" * 240 + ".pdf", "b" * 196 + ".pdf"),
])
def test_a_long_or_odd_file_name_keeps_its_extension(team: Team, sent: str, kept: str) -> None:
    response = team.clients["pharmacy_lead"].post(
        team.url("/items/PHARM-001/evidence"), files={"file": (sent, b"%PDF-1.4 scan\n")},
        data={"kind": "equipment_qualification"})
    assert response.status_code == 201, response.text
    assert response.json()["original_name"] == kept


# readiness probe


def test_readyz_names_no_database_when_it_cannot_reach_one(tmp_path: Path, settings: Settings) -> None:
    unreachable = settings.model_copy(update={
        "database_url": "postgresql+psycopg://gtready_secret_user@127.0.0.1:9/gtready_secret_db?connect_timeout=2"})
    app = create_app(unreachable)
    with TestClient(app) as client:
        response = client.get("/readyz")
    app.state.engine.dispose()
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "detail": "database unreachable"}
    for secret in ("127.0.0.1", "9", "gtready_secret", "psycopg", "connection"):
        assert secret not in response.text.replace("unavailable", "")
