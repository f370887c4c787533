"""Which address login throttling counts by under `gtready serve`: the socket peer, or the X-Forwarded-For
address only when the trusted-proxy setting names the peer. Otherwise a guesser would pick a fresh address per
request (escaping the count) or the owner's (locking the owner out)."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlmodel import Session, col

from app import migrate
from app.audit.models import AuditEvent
from app.auth.service import LOCKOUT_FAILURES
from app.config import Settings
from app.db import make_engine
from tests import db_harness
from tests.conftest import FIXTURE_CHECKLISTS, PASSWORD
from tests.factories import make_institution, make_user

OWNER = "owner@riverside.example"
GTREADY = Path(sys.executable).parent / "gtready"


@pytest.fixture
def database(tmp_path: Path) -> Iterator[str]:
    url = db_harness.fresh_database_url(tmp_path, "client_address")
    settings = Settings(database_url=url)
    migrate.upgrade(settings)
    engine = make_engine(settings)
    with Session(engine) as session:
        make_user(session, make_institution(session), roles=("viewer",), email=OWNER, password=PASSWORD)
    engine.dispose()
    yield url
    if db_harness.USE_POSTGRES:
        db_harness.drop_postgres_database(url)


@contextmanager
def gtready_serve(database_url: str, data_dir: Path, trusted_proxies: str | None) -> Iterator[httpx.Client]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    env = {key: value for key, value in os.environ.items() if key != "FORWARDED_ALLOW_IPS"}
    env |= {"DATABASE_URL": database_url, "GTREADY_CHECKLISTS_DIR": str(FIXTURE_CHECKLISTS),
            "GTREADY_DATA_DIR": str(data_dir)}
    if trusted_proxies is not None:
        env["GTREADY_TRUSTED_PROXIES"] = trusted_proxies
    process = subprocess.Popen(  # noqa: S603
        [str(GTREADY), "serve", "--host", "127.0.0.1", "--port", str(port)], env=env, stderr=subprocess.DEVNULL
    )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if client.get("/readyz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline and process.poll() is None, "gtready serve did not start"
                time.sleep(0.1)
            yield client
    finally:
        process.terminate()
        process.wait(timeout=10)


def login(client: httpx.Client, password: str, forwarded_for: str) -> int:
    response = client.post("/api/auth/login", json={"email": OWNER, "password": password},
                           headers={"X-Forwarded-For": forwarded_for})
    return response.status_code


def rejected_from(database_url: str) -> list[str]:
    engine = make_engine(Settings(database_url=database_url))
    try:
        with Session(engine) as session:
            query = select(AuditEvent).where(col(AuditEvent.action) == "user.password_rejected")
            return [event.after["client"] for event in session.scalars(query.order_by(col(AuditEvent.seq)))]
    finally:
        engine.dispose()


def test_without_a_trusted_proxy_a_forwarded_address_is_ignored(database: str, tmp_path: Path) -> None:
    with gtready_serve(database, tmp_path / "data", trusted_proxies=None) as client:
        answers = [login(client, "guess", f"203.0.113.{n}") for n in range(LOCKOUT_FAILURES + 1)]
        assert answers == [401] * LOCKOUT_FAILURES + [429]  # one peer, one count, whatever the header says
        assert login(client, PASSWORD, "198.51.100.7") == 429
    assert set(rejected_from(database)) == {"127.0.0.1"}


def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_count(database: str, tmp_path: Path) -> None:
    with gtready_serve(database, tmp_path / "data", trusted_proxies="127.0.0.1") as client:
        answers = [login(client, "guess", "203.0.113.66") for _ in range(LOCKOUT_FAILURES + 1)]
        assert answers == [401] * LOCKOUT_FAILURES + [429]
        assert login(client, PASSWORD, "198.51.100.7") == 200  # the owner, through the same proxy
        # A client cannot pass itself off as another by sending its own header: the proxy's entry is the last.
        assert login(client, "guess", "198.51.100.7, 203.0.113.66") == 429
    assert set(rejected_from(database)) == {"203.0.113.66"}
