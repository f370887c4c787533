"""Listing and summarising a program costs the same number of SQL statements at 10 items or 500."""

import uuid

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.programs.models import ProgramItem
from tests.db_harness import count_queries
from tests.factories import make_institution, make_program, make_user


def program_with(app: FastAPI, session: Session, extra: int) -> uuid.UUID:
    """A mini-library program (5 items) plus `extra` owned items."""
    institution = make_institution(session)
    owner = make_user(session, institution, roles=("finance_lead",))
    program = make_program(session, app.state.catalog, institution)
    session.add_all(
        ProgramItem(
            program_id=program.id, key=f"EXTRA-{n:03d}", position=100 + n, area="payer", title=f"Extra {n}",
            done_when="x", why="y", criticality="minor", weight=1, signoff_role="finance_lead",
            owner_id=owner.id, references=["Seed article"],
        )
        for n in range(extra)
    )
    session.commit()
    return program.id


def statements_for(app: FastAPI, client: TestClient, url: str, **params: object) -> int:
    with count_queries(app.state.engine) as statements:
        response = client.get(url, params=params)
        assert response.status_code == 200
    return len(statements)


def test_item_list_and_readiness_query_count_does_not_grow_with_items(
    app: FastAPI, client: TestClient, session: Session
) -> None:
    small, large = program_with(app, session, 5), program_with(app, session, 495)
    listed = client.get(f"/api/programs/{large}/items", params={"limit": 500}).json()
    assert listed["total"] == 500 and len(listed["items"]) == 500
    for path in ("items", "readiness"):
        small_count = statements_for(app, client, f"/api/programs/{small}/{path}", limit=500)
        large_count = statements_for(app, client, f"/api/programs/{large}/{path}", limit=500)
        assert small_count == large_count <= 7, path  # auth: token + membership; data; planning scenarios
