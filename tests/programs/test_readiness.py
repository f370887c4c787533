"""Weighted readiness, the first-patient gate, overdue and lapsed items."""

from datetime import date, timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.programs.models import ItemStatus
from app.programs.service import get_item
from tests.factories import make_program


def set_state(session: Session, program_id: object, key: str, **fields: object) -> None:
    item = get_item(session, program_id, key)  # type: ignore[arg-type]
    for name, value in fields.items():
        setattr(item, name, value)
    session.add(item)
    session.commit()


def readiness(client: TestClient, program_id: object) -> dict[str, object]:
    response = client.get(f"/api/programs/{program_id}/readiness")
    assert response.status_code == 200
    return dict(response.json())


def test_empty_program_is_zero_ready_and_gate_lists_every_blocker(
    app: FastAPI, client: TestClient, session: Session
) -> None:
    program = make_program(session, app.state.catalog)
    summary = readiness(client, program.id)
    # PHARM-001 (3) + PHARM-002 (2) + POL-001 (3) + POL-002 (1) + PAY-001 (4)
    assert summary["total_weight"] == 13 and summary["overall_ratio"] == 0
    assert summary["gate"] == {
        "open": False,
        "blocking": [
            {"key": "PHARM-001", "title": "Storage qualified", "area": "pharmacy", "status": "not_started",
             "owner_id": None, "due_date": None, "reason": "blocker not signed off (not started)"},
            {"key": "POL-001", "title": "P&T approval", "area": "policy", "status": "not_started",
             "owner_id": None, "due_date": None, "reason": "blocker not signed off (not started)"},
        ],
    }


def test_done_counts_for_non_blockers_only_sign_off_for_blockers(
    app: FastAPI, client: TestClient, session: Session
) -> None:
    program = make_program(session, app.state.catalog)
    set_state(session, program.id, "PHARM-001", status=ItemStatus.DONE)
    set_state(session, program.id, "PHARM-002", status=ItemStatus.DONE)
    summary = readiness(client, program.id)
    pharmacy = next(a for a in summary["areas"] if a["id"] == "pharmacy")  # type: ignore[attr-defined]
    assert (pharmacy["completed_weight"], pharmacy["total_weight"], pharmacy["ratio"]) == (2, 5, 0.4)
    assert summary["gate"]["blocking"][0]["reason"] == "done, awaiting sign-off"  # type: ignore[index]


def test_gate_opens_when_every_blocker_is_signed_off(app: FastAPI, client: TestClient, session: Session) -> None:
    program = make_program(session, app.state.catalog)
    for key in ("PHARM-001", "POL-001"):
        set_state(session, program.id, key, status=ItemStatus.SIGNED_OFF)
    summary = readiness(client, program.id)
    assert summary["gate"] == {"open": True, "blocking": []}
    assert summary["completed_weight"] == 6 and summary["overall_ratio"] == round(6 / 13, 4)


def test_not_applicable_items_leave_the_denominator(app: FastAPI, client: TestClient, session: Session) -> None:
    program = make_program(session, app.state.catalog)
    set_state(session, program.id, "PAY-001", status=ItemStatus.NOT_APPLICABLE, na_justification="no payer")
    summary = readiness(client, program.id)
    assert summary["total_weight"] == 9
    payer = next(a for a in summary["areas"] if a["id"] == "payer")  # type: ignore[attr-defined]
    assert payer["ratio"] == 1.0 and payer["by_status"] == {"not_applicable": 1}


def test_lapsed_sign_off_no_longer_counts_and_closes_the_gate(
    app: FastAPI, client: TestClient, session: Session
) -> None:
    program = make_program(session, app.state.catalog)
    yesterday = date.today() - timedelta(days=1)
    set_state(session, program.id, "PHARM-001", status=ItemStatus.SIGNED_OFF, lapses_on=yesterday)
    set_state(session, program.id, "POL-001", status=ItemStatus.SIGNED_OFF)
    summary = readiness(client, program.id)
    assert summary["lapsed"] == 1 and summary["completed_weight"] == 3
    assert [b["key"] for b in summary["gate"]["blocking"]] == ["PHARM-001"]  # type: ignore[index]
    assert summary["gate"]["blocking"][0]["reason"].startswith("sign-off lapsed")  # type: ignore[index]
    lapsed = client.get(f"/api/programs/{program.id}/items", params={"lapsed": True}).json()["items"]
    assert [i["key"] for i in lapsed] == ["PHARM-001"]


def test_overdue_counts_only_incomplete_items(app: FastAPI, client: TestClient, session: Session) -> None:
    program = make_program(session, app.state.catalog)
    past = date.today() - timedelta(days=10)
    set_state(session, program.id, "POL-002", due_date=past)
    set_state(session, program.id, "PAY-001", due_date=past, status=ItemStatus.DONE)
    set_state(session, program.id, "PHARM-001", due_date=past, status=ItemStatus.DONE)  # blocker: still overdue
    assert readiness(client, program.id)["overdue"] == 2
