"""Every line `gtready serve` writes is JSON (uvicorn's own startup and shutdown lines included), so a log
collector parses the whole stream."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app import migrate
from app.config import Settings
from tests import db_harness

GTREADY = str(Path(sys.executable).parent / "gtready")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    url = db_harness.fresh_database_url(tmp_path, "logging")
    migrate.upgrade(Settings(database_url=url))
    yield url
    if db_harness.USE_POSTGRES:
        db_harness.drop_postgres_database(url)


def test_every_line_of_a_served_process_is_json(database_url: str, tmp_path: Path) -> None:
    port = free_port()
    environment = {**os.environ, "DATABASE_URL": database_url, "GTREADY_DATA_DIR": str(tmp_path / "data"),
                   "GTREADY_CHECKLISTS_DIR": str(Path(__file__).parent / "fixtures" / "checklists")}
    output = tmp_path / "output.log"
    with output.open("w") as sink:
        server = subprocess.Popen(  # noqa: S603
            [GTREADY, "serve", "--port", str(port)], env=environment, stdout=sink, stderr=subprocess.STDOUT
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:
                assert server.poll() is None, output.read_text()
                try:
                    if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, output.read_text()
                time.sleep(0.2)
            assert httpx.get(f"{base}/api/auth/me", headers={"X-Request-ID": "log-test"}).status_code == 401
            assert httpx.get(f"{base}/no/such/page").status_code == 404
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=30)
    lines = output.read_text().splitlines()
    records = []
    for line in lines:
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            pytest.fail(f"not a JSON log line: {line!r}")
    loggers = {record["logger"] for record in records}
    assert {"gtready", "uvicorn.error"} <= loggers
    assert any(record["message"].startswith("Uvicorn running on") for record in records)
    assert any(record["message"] == "Application shutdown complete." for record in records)
    request = next(record for record in records if record.get("request_id") == "log-test")
    assert request["path"] == "/api/auth/me" and request["status"] == 401
