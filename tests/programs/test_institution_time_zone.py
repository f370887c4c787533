"""An institution's time zone: administrators set it (an IANA name, checked), everyone reads it, and pages show
times in it while the API keeps answering UTC."""

from datetime import UTC, datetime

from fastapi import FastAPI
from sqlmodel import Session, col, select

from app.audit.models import AuditEvent
from app.clock import frozen_at
from app.planning import service as planning
from app.planning.defaults import default_reimbursement_inputs
from app.planning.schemas import ScenarioKind
from tests.conftest import Team
from tests.web.form_client import as_role


def test_an_institution_starts_in_utc_and_an_administrator_moves_it(team: Team, session: Session) -> None:
    url = f"/api/institutions/{team.institution.id}"
    assert team.clients["champion"].get(url).json()["time_zone"] == "UTC"
    changed = team.clients["administrator"].patch(url, json={"time_zone": "America/Chicago"})
    assert changed.status_code == 200 and changed.json()["time_zone"] == "America/Chicago"
    assert team.clients["pharmacy_lead"].get(url).json()["time_zone"] == "America/Chicago"
    events = session.exec(select(AuditEvent).where(col(AuditEvent.action) == "institution.settings_changed")).all()
    assert [(e.before, e.after) for e in events] == [({"time_zone": "UTC"}, {"time_zone": "America/Chicago"})]


def test_an_unknown_zone_is_refused_naming_time_zone(team: Team) -> None:
    url = f"/api/institutions/{team.institution.id}"
    for bad in ("Mars/Olympus", "EST ", "", "x" * 65, 5):
        answer = team.clients["administrator"].patch(url, json={"time_zone": bad})
        assert answer.status_code == 422, bad
        assert answer.json()["detail"][0]["loc"] == ["body", "time_zone"]
    assert team.clients["administrator"].get(url).json()["time_zone"] == "UTC"


def test_only_administrators_change_the_time_zone(team: Team) -> None:
    url = f"/api/institutions/{team.institution.id}"
    assert team.clients["champion"].patch(url, json={"time_zone": "America/Denver"}).status_code == 403
    assert team.clients["administrator"].get(url).json()["time_zone"] == "UTC"


def test_pages_show_times_in_the_institution_zone_and_the_api_stays_utc(
    app: FastAPI, team: Team, session: Session
) -> None:
    team.clients["administrator"].patch(f"/api/institutions/{team.institution.id}",
                                        json={"time_zone": "America/New_York"})
    inputs = default_reimbursement_inputs(team.program.products)
    with frozen_at(datetime(2026, 11, 30, 19, 5, tzinfo=UTC)):
        winter = planning.save_scenario(session, team.people["champion"], team.program, ScenarioKind.REIMBURSEMENT,
                                        "Winter", inputs)
    with frozen_at(datetime(2026, 7, 4, 19, 5, tzinfo=UTC)):
        summer = planning.save_scenario(session, team.people["champion"], team.program, ScenarioKind.REIMBURSEMENT,
                                        "Summer", inputs)
    champion = as_role(app, team, "champion")
    assert "saved 30 Nov 2026, 14:05 EST" in champion.get(f"/programs/{team.program.id}/planning/{winter.id}").text
    assert "saved 4 Jul 2026, 15:05 EDT" in champion.get(f"/programs/{team.program.id}/planning/{summer.id}").text
    api = team.clients["champion"].get(f"/api/scenarios/{winter.id}").json()
    assert api["updated_at"].startswith("2026-11-30T19:05:00")


def test_the_admin_page_sets_the_time_zone_and_names_a_wrong_one(app: FastAPI, team: Team) -> None:
    admin = as_role(app, team, "administrator")
    page = f"/institutions/{team.institution.id}/admin"
    assert 'name="time_zone" type="text" list="time-zones" value="UTC"' in admin.get(page).text
    wrong = admin.post(f"{page}/time-zone", {"time_zone": "Eastern"})
    assert wrong.status_code == 422
    assert 'id="time-zone-error" role="alert">unknown time zone &#39;Eastern&#39;' in wrong.text
    assert 'value="Eastern"' in wrong.text  # what was typed stays in the field
    saved = admin.post(f"{page}/time-zone", {"time_zone": "America/Denver"})
    assert saved.status_code == 303
    assert "Time zone saved" in admin.get(saved.headers["location"]).text
    answer = team.clients["viewer"].get(f"/api/institutions/{team.institution.id}").json()
    assert answer["time_zone"] == "America/Denver"
