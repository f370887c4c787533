"""Two replicas of the real service (uvicorn processes on two loopback ports) on one PostgreSQL database and one
data folder, as docker-compose runs them behind a round-robin proxy: whatever one replica starts, the other
honours. A login, its CSRF token, an API token, a report, an evidence file, a logout and a login lockout all
cross from one to the other, so no state lives in a process."""

import hashlib
import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session

from app import migrate
from app.auth.deps import SESSION_COOKIE
from app.auth.service import LOCKOUT_FAILURES
from app.checklists.loader import load_catalog
from app.config import Settings
from app.db import make_engine
from bench.server import running_server
from tests import db_harness
from tests.conftest import FIXTURE_CHECKLISTS
from tests.factories import make_institution, make_program, make_user

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(not db_harness.USE_POSTGRES, reason="replicas share a PostgreSQL database"),
]

PASSWORD = "a long replica passphrase"


@dataclass(frozen=True)
class Deployment:
    a: httpx.Client  # replica A
    b: httpx.Client  # replica B
    program_id: uuid.UUID
    champion: str  # email
    spare: str  # a second champion, for the lockout
    data_dir: Path


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    url = db_harness.postgres_database(f"replicas_{os.getpid()}")
    data_dir = tmp_path_factory.mktemp("shared-volume")
    try:
        settings = Settings(database_url=url, checklists_dir=FIXTURE_CHECKLISTS, data_dir=data_dir)
        migrate.upgrade(settings)
        engine = make_engine(settings)
        with Session(engine, expire_on_commit=False) as session:
            institution = make_institution(session, "Replica General")
            program = make_program(session, load_catalog(FIXTURE_CHECKLISTS), institution)
            for email in ("champion@replica.example", "spare@replica.example"):
                make_user(session, institution, roles=("champion",), email=email, password=PASSWORD)
        engine.dispose()
        env = {"GTREADY_CHECKLISTS_DIR": str(FIXTURE_CHECKLISTS), "GTREADY_DATA_DIR": str(data_dir)}
        with running_server(url, env=env) as base_a, running_server(url, env=env) as base_b, \
                httpx.Client(base_url=base_a, timeout=60) as a, httpx.Client(base_url=base_b, timeout=60) as b:
            assert base_a != base_b
            yield Deployment(a, b, program.id, "champion@replica.example", "spare@replica.example", data_dir)
    finally:
        db_harness.drop_postgres_database(url)


def _log_in(replica: httpx.Client, email: str, password: str = PASSWORD) -> httpx.Response:
    return replica.post("/login", data={"email": email, "password": password, "next": "/"})


def _session_cookie(replica: httpx.Client, email: str) -> dict[str, str]:
    response = _log_in(replica, email)
    assert response.status_code == 303, response.text
    replica.cookies.clear()  # each request below names the cookie it sends; no client keeps one of its own
    return {"Cookie": f"{SESSION_COOKIE}={response.cookies[SESSION_COOKIE]}"}


def _csrf_token(page: httpx.Response) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, "the page carries a CSRF token"
    return found.group(1)


def _new_api_token(replica: httpx.Client, cookie: dict[str, str], csrf: str) -> str:
    created = replica.post("/account/tokens", data={"name": "replica script", "csrf_token": csrf}, headers=cookie)
    assert created.status_code == 201, created.text
    found = re.search(r'id="new-token">([^<]+)<', created.text)
    assert found
    return found.group(1).strip()


def test_a_login_on_one_replica_is_a_login_on_the_other_with_the_same_csrf_token(deployment: Deployment) -> None:
    cookie = _session_cookie(deployment.a, deployment.champion)
    page_on_a = deployment.a.get("/account", headers=cookie)
    page_on_b = deployment.b.get("/account", headers=cookie)
    assert (page_on_a.status_code, page_on_b.status_code) == (200, 200)
    assert _csrf_token(page_on_b) == _csrf_token(page_on_a)
    # A form on B accepts the token A issued, and refuses a wrong one: the check is real, not skipped.
    refused = deployment.b.post("/account/tokens", data={"name": "x", "csrf_token": "forged"}, headers=cookie)
    assert refused.status_code == 403
    assert _new_api_token(deployment.b, cookie, _csrf_token(page_on_a))


def test_an_api_token_created_on_one_replica_works_on_the_other(deployment: Deployment) -> None:
    cookie = _session_cookie(deployment.b, deployment.champion)
    token = _new_api_token(deployment.b, cookie, _csrf_token(deployment.b.get("/account", headers=cookie)))
    bearer = {"Authorization": f"Bearer {token}"}
    on_a = deployment.a.get(f"/api/programs/{deployment.program_id}", headers=bearer)
    assert on_a.status_code == 200
    assert on_a.json()["id"] == str(deployment.program_id)
    assert deployment.a.get("/api/auth/me", headers=bearer).json()["email"] == deployment.champion


def test_a_report_generated_on_one_replica_downloads_from_the_other(deployment: Deployment) -> None:
    cookie = _session_cookie(deployment.a, deployment.champion)
    token = _new_api_token(deployment.a, cookie, _csrf_token(deployment.a.get("/account", headers=cookie)))
    generated = deployment.a.post(f"/api/programs/{deployment.program_id}/reports", json={"kind": "full"},
                                  headers={"Authorization": f"Bearer {token}"})
    assert generated.status_code == 201, generated.text
    number = generated.json()["number"]
    downloaded = deployment.b.get(f"/api/reports/{number}/pdf", headers=cookie)
    assert downloaded.status_code == 200
    assert downloaded.content.startswith(b"%PDF")
    listed = deployment.b.get(f"/api/programs/{deployment.program_id}/reports", headers=cookie).json()
    assert [r["number"] for r in listed] == [number]


def test_an_evidence_file_uploaded_to_one_replica_downloads_from_the_other(deployment: Deployment) -> None:
    cookie = _session_cookie(deployment.b, deployment.champion)
    token = _new_api_token(deployment.b, cookie, _csrf_token(deployment.b.get("/account", headers=cookie)))
    bearer = {"Authorization": f"Bearer {token}"}
    content = f"Receipt SOP, signed copy {uuid.uuid4()}\n".encode()
    uploaded = deployment.b.post(f"/api/programs/{deployment.program_id}/items/PHARM-001/evidence",
                                 files={"file": ("receipt-sop.txt", content)}, data={"kind": "other"}, headers=bearer)
    assert uploaded.status_code == 201, uploaded.text
    downloaded = deployment.a.get(f"/api/evidence/{uploaded.json()['id']}/download", headers=bearer)
    assert downloaded.status_code == 200
    assert hashlib.sha256(downloaded.content).hexdigest() == hashlib.sha256(content).hexdigest()
    assert any(deployment.data_dir.rglob("*")), "the file is on the shared folder, not in a replica"


def test_a_logout_on_one_replica_ends_the_session_on_the_other(deployment: Deployment) -> None:
    cookie = _session_cookie(deployment.a, deployment.champion)
    assert deployment.b.get("/", headers=cookie).status_code == 200
    csrf = _csrf_token(deployment.a.get("/account", headers=cookie))
    assert deployment.b.post("/logout", data={"csrf_token": csrf}, headers=cookie).status_code == 303
    after = deployment.a.get("/", headers=cookie)
    assert after.status_code == 303
    assert after.headers["location"].startswith("/login")


def test_failed_logins_on_both_replicas_count_toward_one_lockout(deployment: Deployment) -> None:
    replicas = [deployment.a, deployment.b]
    for attempt in range(LOCKOUT_FAILURES):
        failed = _log_in(replicas[attempt % 2], deployment.spare, "not the passphrase")
        assert failed.status_code == 401, failed.text
    # The right passphrase is now refused on both: the failures were counted in the database, not per process.
    assert _log_in(deployment.a, deployment.spare).status_code == 429
    assert _log_in(deployment.b, deployment.spare).status_code == 429
    assert _log_in(deployment.b, deployment.champion).status_code == 303  # other accounts are unaffected
