"""Password guessing is throttled per (email, client address), per address and per email, with waits that grow;
a stranger's guesses never keep the account's owner out, and simultaneous guesses get no more checks than the
count allows."""

import socket
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import Session, col

from app.audit.models import AuditEvent
from app.auth.models import LoginThrottle
from app.auth.service import LOCKOUT_FAILURES
from app.auth.throttle import FORGET_AFTER, PER_CLIENT, PER_EMAIL, reserve_attempt
from app.clock import frozen_at, utcnow
from app.worker import run_once
from tests.conftest import PASSWORD, Team

OWNER = "pharmacy_lead@riverside.example"


def from_address(app: FastAPI, address: str) -> TestClient:
    """A client whose requests come from this socket address."""
    return TestClient(app, client=(address, 41000))


def login(client: TestClient | httpx.Client, email: str, password: str = PASSWORD) -> httpx.Response:
    return client.post("/api/auth/login", json={"email": email, "password": password})


def rejected_passwords(session: Session, email: str) -> list[AuditEvent]:
    session.expire_all()
    query = select(AuditEvent).where(col(AuditEvent.action) == "user.password_rejected")
    return list(session.scalars(query.where(col(AuditEvent.entity_key) == email).order_by(col(AuditEvent.seq))))


def test_a_stranger_guessing_from_another_address_does_not_keep_the_owner_out(app: FastAPI, team: Team) -> None:
    stranger = from_address(app, "203.0.113.66")
    answers = [login(stranger, OWNER, "guess").status_code for _ in range(LOCKOUT_FAILURES + 5)]
    assert answers == [401] * LOCKOUT_FAILURES + [429] * 5
    assert login(stranger, OWNER).status_code == 429  # the right password too, from the stranger's address
    assert login(from_address(app, "198.51.100.7"), OWNER).status_code == 200  # the owner, at their own desk


def test_waits_grow_after_repeated_failures_and_a_wait_served_allows_one_more_try(app: FastAPI, team: Team) -> None:
    desk = from_address(app, "198.51.100.7")
    start = utcnow()
    with frozen_at(start):
        for _ in range(LOCKOUT_FAILURES):
            assert login(desk, OWNER, "guess").status_code == 401
        refused = login(desk, OWNER)
        assert refused.status_code == 429
        assert refused.json() == {"detail": "too many failed logins; try again in 15 seconds", "retry_after": 15}
    with frozen_at(start + timedelta(seconds=16)):
        assert login(desk, OWNER, "guess").status_code == 401
        assert login(desk, OWNER).json()["retry_after"] == 30  # the wait doubled
    with frozen_at(start + timedelta(seconds=16 + 31)):
        assert login(desk, OWNER).status_code == 200


def test_a_correct_password_clears_that_addresses_count(app: FastAPI, team: Team) -> None:
    desk = from_address(app, "198.51.100.7")
    for _ in range(LOCKOUT_FAILURES - 1):
        assert login(desk, OWNER, "typo").status_code == 401
    assert login(desk, OWNER).status_code == 200
    assert [login(desk, OWNER, "typo").status_code for _ in range(LOCKOUT_FAILURES)] == [401] * LOCKOUT_FAILURES


def test_one_address_guessing_many_accounts_is_slowed_down(app: FastAPI, team: Team, session: Session) -> None:
    sprayer = "203.0.113.9"
    for n in range(PER_CLIENT.free - 1):  # earlier guesses at other accounts from this address
        reserve_attempt(session, f"someone{n}@riverside.example", sprayer)
    client = from_address(app, sprayer)
    assert login(client, "viewer@riverside.example", "guess").status_code == 401
    refused = login(client, "champion@riverside.example")
    assert refused.status_code == 429 and "too many failed logins" in refused.json()["detail"]
    assert login(from_address(app, "198.51.100.7"), "champion@riverside.example").status_code == 200


def test_an_account_guessed_from_many_addresses_reaches_a_ceiling(app: FastAPI, team: Team, session: Session) -> None:
    for n in range(PER_EMAIL.free - 1):  # guesses from a hundred addresses, none reaching its own limit
        reserve_attempt(session, OWNER, f"203.0.113.{n}")
    assert login(from_address(app, "192.0.2.1"), OWNER, "guess").status_code == 401
    assert login(from_address(app, "192.0.2.2"), OWNER, "guess").status_code == 429
    assert login(from_address(app, "192.0.2.2"), "viewer@riverside.example").status_code == 200  # others unaffected


def test_the_invitation_form_counts_toward_the_same_throttle(app: FastAPI, team: Team) -> None:
    admin = team.clients["administrator"]
    created = admin.post(f"/api/institutions/{team.institution.id}/invitations",
                         json={"email": OWNER, "full_name": "P", "roles": ["viewer"]}).json()
    token = str(created["link"]).rsplit("/invitations/", 1)[1]
    desk = from_address(app, "203.0.113.66")
    for _ in range(LOCKOUT_FAILURES):
        assert desk.post("/api/invitations/accept", json={"token": token, "password": "guess"}).status_code == 401
    assert desk.post("/api/invitations/accept", json={"token": token, "password": PASSWORD}).status_code == 429
    assert login(desk, OWNER).status_code == 429


@pytest.fixture
def live_server(app: FastAPI) -> Iterator[str]:
    """The app under uvicorn on 127.0.0.1, X-Forwarded-For not believed (as `gtready serve` runs it by default)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", proxy_headers=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        thread.join(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def test_a_hundred_simultaneous_guesses_get_only_five_password_checks(
    live_server: str, team: Team, session: Session
) -> None:
    start = threading.Barrier(100)

    def guess(n: int) -> int:
        with httpx.Client(base_url=live_server, timeout=120) as client:
            start.wait()
            return login(client, OWNER, f"guess {n}").status_code

    with ThreadPoolExecutor(max_workers=100) as pool:
        answers = list(pool.map(guess, range(100)))
    assert sorted(set(answers)) == [401, 429]
    assert answers.count(401) == LOCKOUT_FAILURES
    assert len(rejected_passwords(session, OWNER)) == LOCKOUT_FAILURES  # each password checked is audited
    with httpx.Client(base_url=live_server, timeout=60) as client:
        assert login(client, OWNER).status_code == 429


def test_failed_logins_are_audited_without_the_password(app: FastAPI, team: Team, session: Session) -> None:
    login(from_address(app, "203.0.113.66"), OWNER, "hunter2 is my secret")
    login(from_address(app, "203.0.113.66"), "nobody@riverside.example", "hunter2 is my secret")
    owner_events = rejected_passwords(session, OWNER)
    ghost_events = rejected_passwords(session, "nobody@riverside.example")
    assert [(e.actor_name, e.after) for e in owner_events] == [
        ("system", {"via": "login", "client": "203.0.113.66"})]  # whoever guessed, it was not the owner
    assert [(e.actor_name, e.after) for e in ghost_events] == [("system", {"via": "login", "client": "203.0.113.66"})]
    assert "hunter2" not in str([(e.before, e.after) for e in owner_events + ghost_events])


def test_the_worker_forgets_counts_untouched_for_a_day_that_make_no_one_wait(
    app: FastAPI, team: Team, session: Session
) -> None:
    desk, stranger = from_address(app, "198.51.100.7"), from_address(app, "203.0.113.66")
    start = utcnow()
    with frozen_at(start):
        assert login(desk, OWNER, "typo").status_code == 401
    with frozen_at(start + FORGET_AFTER - timedelta(minutes=1)):
        for _ in range(LOCKOUT_FAILURES + 30):  # waits doubling to 15 minutes, the last one still running
            login(stranger, "someone@elsewhere.example", "guess")
    keys = set(session.scalars(select(col(LoginThrottle.key))))
    with frozen_at(start + FORGET_AFTER + timedelta(minutes=1)):
        assert run_once(app.state.engine, app.state.settings).throttles_forgotten == 3  # the desk's three keys
    remaining = set(session.scalars(select(col(LoginThrottle.key))))
    assert remaining < keys and all("someone@elsewhere.example" in key or "203.0.113.66" in key for key in remaining)
    assert len(remaining) == 3
