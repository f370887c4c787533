"""An upload that fails half-way (the disk fills while writing, the final move fails, the database fails after
the file is on disk) leaves nothing: no row, no file, no audit event; it answers a clean 503; the next upload
works."""

import errno
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError

from app.evidence import files, service
from tests.conftest import PASSWORD, Team
from tests.security.conftest import web_login

CONTENT = b"temperature log\n" * 20_000  # several chunks, so a failure can land mid-way


def _upload(client: TestClient, team: Team) -> Any:
    return client.post(team.url("/items/PAY-001/evidence"), data={"kind": "other"},
                       files={"file": ("temperature-log.txt", CONTENT)})


def _left_behind(app: FastAPI, team: Team) -> dict[str, Any]:
    evidence_dir: Path = app.state.settings.evidence_dir
    events = team.clients["champion"].get(team.url("/audit"), params={"limit": 500}).json()["items"]
    return {
        "files": sorted(p.name for p in evidence_dir.iterdir()) if evidence_dir.exists() else [],
        "rows": team.clients["viewer"].get(team.url("/evidence")).json(),
        "events": [e["action"] for e in events if e["action"].startswith("evidence.")],
    }


NOTHING = {"files": [], "rows": [], "events": []}


def _disk_fills_after(limit: int) -> Any:
    """NamedTemporaryFile whose writes fail with ENOSPC once `limit` bytes are written."""
    real = tempfile.NamedTemporaryFile

    def failing(*args: Any, **kwargs: Any) -> Any:
        handle = real(*args, **kwargs)
        written = 0
        write = handle.write

        def write_until_full(data: bytes) -> int:
            nonlocal written
            if written + len(data) > limit:
                raise OSError(errno.ENOSPC, "No space left on device")
            written += len(data)
            return int(write(data))

        handle.write = write_until_full
        return handle

    return failing


def _refuse_move(*_args: Any) -> None:
    raise PermissionError(errno.EACCES, "Permission denied")


@pytest.mark.parametrize(
    ("target", "name", "replacement", "reason"),
    [
        (tempfile, "NamedTemporaryFile", _disk_fills_after(100_000), "No space left on device"),
        (shutil, "move", _refuse_move, "Permission denied"),
    ],
    ids=["disk-full-mid-write", "final-move-fails"],
)
def test_a_disk_failure_answers_503_naming_the_file_and_leaves_nothing(
    app: FastAPI, team: Team, monkeypatch: pytest.MonkeyPatch, target: Any, name: str, replacement: Any, reason: str
) -> None:
    monkeypatch.setattr(target, name, replacement)
    response = _upload(team.clients["champion"], team)
    monkeypatch.undo()
    assert response.status_code == 503
    assert response.json()["detail"] == f"file: could not be stored ({reason}); nothing was kept, try again"
    assert _left_behind(app, team) == NOTHING  # not even the temporary .part file
    assert _upload(team.clients["champion"], team).status_code == 201


def test_database_failure_after_the_file_is_written_removes_the_file(
    app: FastAPI, team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    def database_gone(*_args: Any, **_kwargs: Any) -> None:
        raise OperationalError("INSERT INTO audit_events", {}, Exception("server closed the connection"))

    monkeypatch.setattr(service, "record_event", database_gone)
    assert _upload(team.clients["champion"], team).status_code == 503
    monkeypatch.undo()
    assert _left_behind(app, team) == NOTHING
    assert _upload(team.clients["champion"], team).status_code == 201
    after = _left_behind(app, team)
    assert len(after["files"]) == len(after["rows"]) == 1 and after["events"] == ["evidence.added"]


def test_the_web_form_shows_a_disk_failure_on_the_item_page(
    app: FastAPI, team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    with TestClient(app, follow_redirects=False) as browser:
        csrf = web_login(browser, "champion@riverside.example", PASSWORD)
        monkeypatch.setattr(files.tempfile, "NamedTemporaryFile", _disk_fills_after(0))
        response = browser.post(f"/programs/{team.program.id}/items/PAY-001/evidence",
                                data={"kind": "other", "csrf_token": csrf}, files={"file": ("log.txt", CONTENT)})
        monkeypatch.undo()
    assert response.status_code == 503 and "could not be stored" in response.text
    assert _left_behind(app, team) == NOTHING
