"""Readiness over time is rebuilt from the audit trail; recent activity reads as plain words."""

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI
from sqlmodel import Session

from app.audit.service import record_event
from app.auth.models import User
from app.clock import frozen_at
from app.programs.history import readiness_chart, readiness_history, recent_activity
from app.programs.models import Program, ProgramItem
from app.programs.readiness import readiness
from app.programs.schemas import ItemUpdate
from app.programs.service import get_item, update_item
from tests.db_harness import count_queries
from tests.factories import make_institution, make_program, make_user

T0 = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)


def at(days: int) -> datetime:
    return T0 + timedelta(days=days)


def change(session: Session, program: Program, key: str, action: str, before: str, after: str, day: int,
           **extra: Any) -> None:
    """Set an item's status and write the event the services write for that change."""
    item = get_item(session, program.id, key)
    item.status = after
    session.add(item)
    with frozen_at(at(day)):
        record_event(session, None, action, entity="item", entity_key=key, institution_id=program.institution_id,
                     program_id=program.id, before={"status": before}, after={"status": after, **extra})
    session.commit()


def hand_built_history(app: FastAPI, session: Session) -> Program:
    """Mini library, Hemgenix hub: PHARM-001 blocker 3, PHARM-002 major 2, POL-001 blocker 3, POL-002 minor 1,
    PAY-001 major 4 (13 in all)."""
    with frozen_at(T0):
        program = make_program(session, app.state.catalog)
    change(session, program, "PAY-001", "item.updated", "not_started", "done", 1)  # a done major counts: 4/13
    change(session, program, "POL-001", "item.updated", "not_started", "done", 2)  # a done blocker does not
    change(session, program, "POL-001", "item.signed_off", "done", "signed_off", 3, meaning="approved")  # 7/13
    change(session, program, "PHARM-002", "item.updated", "not_started", "in_progress", 4)  # no change
    session.add(ProgramItem(program_id=program.id, key="PAY-002", position=50, area="payer", title="Appeals",
                            done_when="x", why="y", criticality="major", weight=2, signoff_role="finance_lead"))
    with frozen_at(at(5)):  # a library upgrade adds an item worth 2: 7/15
        record_event(session, None, "program.library_upgraded", entity="program", program_id=program.id,
                     institution_id=program.institution_id, before={"library_version": "1.0.0"},
                     after={"library_version": "1.1.0", "added": ["PAY-002"], "retired": [], "changed": []})
    session.commit()
    change(session, program, "POL-001", "signoff.revoked", "signed_off", "done", 6, reason="wrong minutes")  # 4/15
    change(session, program, "POL-002", "item.updated", "not_started", "not_applicable", 7)  # 4/14
    return program


def test_readiness_history_replays_status_changes_signoffs_revocations_and_upgrades(
    app: FastAPI, session: Session
) -> None:
    program = hand_built_history(app, session)
    now = at(30)
    with frozen_at(now):
        series = readiness_history(session, [program])[program.id]
        current = readiness(session, program.id).overall_ratio
    assert [(p.at, p.ratio) for p in series] == [
        (at(0), 0.0),
        (at(1), 0.3077),
        (at(3), 0.5385),
        (at(5), 0.4667),
        (at(6), 0.2667),
        (at(7), 0.2857),
        (now, 0.2857),
    ]
    assert series[-1].ratio == current  # the last point is the dashboard's figure


def test_a_program_without_changes_is_a_flat_line_from_its_opening(app: FastAPI, session: Session) -> None:
    with frozen_at(T0):
        program = make_program(session, app.state.catalog)
    with frozen_at(at(2)):
        series = readiness_history(session, [program])[program.id]
    assert [(p.at, p.ratio) for p in series] == [(at(0), 0.0), (at(2), 0.0)]


def test_history_and_activity_cost_the_same_queries_for_one_program_or_many(app: FastAPI, session: Session) -> None:
    institution = make_institution(session)
    one = [hand_built_history(app, session)]
    many = [hand_built_history(app, session) for _ in range(4)]
    many.append(make_program(session, app.state.catalog, institution))
    counts = []
    for programs in (one, many):
        with count_queries(app.state.engine) as statements:
            readiness_history(session, programs)
            recent_activity(session, programs)
        counts.append(len(statements))
    assert counts[0] == counts[1] <= 4


def test_the_chart_describes_itself_and_steps_between_changes(app: FastAPI, session: Session) -> None:
    program = hand_built_history(app, session)
    with frozen_at(at(30)):
        series = readiness_history(session, [program])[program.id]
    svg = str(readiness_chart(series, "Riverside <hemophilia B>"))
    assert svg.startswith("<svg") and 'role="img"' in svg
    assert "Riverside &lt;hemophilia B&gt;: overall readiness 0% on 2026-09-01, 29% now (5 changes since)" in svg
    assert svg.count("H") >= len(series) - 1  # horizontal then vertical: readiness holds until the next change


def test_recent_activity_says_who_did_what_to_which_item_newest_first(app: FastAPI, session: Session) -> None:
    institution = make_institution(session)
    champion = make_user(session, institution, roles=("champion",), full_name="Maya Okafor")
    lead = make_user(session, institution, roles=("finance_lead",), full_name="Sam Lindqvist")
    with frozen_at(T0):
        program = make_program(session, app.state.catalog, institution)
    with frozen_at(at(1)):
        update_item(session, program.id, "PAY-001", ItemUpdate(owner_id=lead.id, status="in_progress"), 1,
                    actor=champion)
    with frozen_at(at(2)):
        update_item(session, program.id, "PAY-001", ItemUpdate(due_date=at(20).date()), 2, actor=lead)
    activity = recent_activity(session, [program])
    said = [f"{a.actor} {a.verb} {a.target}{a.detail}" for a in activity]
    assert said == [
        "Sam Lindqvist updated PAY-001 Prior authorisation workflow: set the due date to 2026-09-21",
        "Maya Okafor updated PAY-001 Prior authorisation workflow: set the status to “in progress”; "
        "assigned it to Sam Lindqvist",
        f"system opened {program.title}",
    ]
    assert activity[0].link == f"/programs/{program.id}/items/PAY-001" and activity[0].at == at(2)
    assert activity[2].link == f"/programs/{program.id}"
    assert len(recent_activity(session, [program], limit=2)) == 2


def test_recent_activity_only_covers_the_programs_asked_for(app: FastAPI, session: Session) -> None:
    mine, theirs = make_program(session, app.state.catalog), make_program(session, app.state.catalog)
    actor = User(email="x@example.org", full_name="X")
    session.add(actor)
    session.commit()
    update_item(session, theirs.id, "PAY-001", ItemUpdate(status="in_progress"), 1, actor=actor)
    assert [a.program_id for a in recent_activity(session, [mine])] == [mine.id]
