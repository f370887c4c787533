"""Twenty people sign the same item at the same moment: exactly one signature stands, the rest get a clean 409."""

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.auth.service import create_api_token
from tests.conftest import PASSWORD, Team
from tests.factories import make_user
from tests.signoffs.test_signoff_rules import mark_done

SIGNERS = 20


def test_twenty_simultaneous_signers_one_signature_nineteen_conflicts(
    app: FastAPI, session: Session, team: Team
) -> None:
    version = mark_done(team, "PAY-001")
    tokens = []
    for n in range(SIGNERS):
        user = make_user(session, team.institution, roles=("finance_lead",), password=PASSWORD, full_name=f"Lead {n}")
        tokens.append(create_api_token(session, user, "race")[1])
    barrier = Barrier(SIGNERS)

    def attempt(token: str) -> tuple[int, str]:
        with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as client:
            barrier.wait()
            response = client.post(team.url("/items/PAY-001/signoffs"),
                                   json={"password": PASSWORD, "meaning": "approved", "version": version})
            return response.status_code, response.text

    with ThreadPoolExecutor(max_workers=SIGNERS) as pool:
        results = list(pool.map(attempt, tokens))
    codes = sorted(code for code, _ in results)
    assert codes == [201] + [409] * (SIGNERS - 1), results
    assert not any("locked" in text for _, text in results)
    assert len(team.clients["viewer"].get(team.url("/signoffs")).json()) == 1
    assert team.clients["administrator"].get("/api/audit/verify").json()["valid"] is True
