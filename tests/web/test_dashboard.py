"""The dashboard shows what happened lately and how readiness moved, without a query per program."""

import re
import uuid

from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect
from sqlmodel import Session

from app.auth.service import user_by_email
from app.programs.models import Institution
from app.programs.schemas import ItemUpdate
from app.programs.service import update_item
from tests.db_harness import count_queries
from tests.factories import make_institution, make_program, make_user
from tests.web.conftest import PASSWORD, login, screenshot

CHAMPION = "champion@riverside.example"


def riverside(session: Session) -> Institution:
    institution = make_institution(session, "Riverside University Hospital")
    make_user(session, institution, roles=("champion",), email=CHAMPION, full_name="Maya Okafor", password=PASSWORD)
    return institution


def logged_in(app: FastAPI, email: str = CHAMPION) -> TestClient:
    client = TestClient(app)
    response = client.post("/login", data={"email": email, "password": PASSWORD}, follow_redirects=False)
    assert response.status_code == 303
    return client


def worked_program(app: FastAPI, session: Session, institution: Institution) -> uuid.UUID:
    """A program where the champion assigned an item and marked it done (4 of 13 weight complete)."""
    lead = make_user(session, institution, roles=("finance_lead",), full_name="Sam Lindqvist", password=PASSWORD)
    program = make_program(session, app.state.catalog, institution)
    champion = user_by_email(session, CHAMPION)
    update_item(session, program.id, "PAY-001", ItemUpdate(owner_id=lead.id, status="done"), 1, actor=champion)
    return program.id


def test_dashboard_shows_recent_activity_in_plain_words_with_links(app: FastAPI, session: Session) -> None:
    institution = riverside(session)
    program_id = worked_program(app, session, institution)
    html = logged_in(app).get("/").text
    activity = html[html.index('id="activity-heading"'):]
    text = " ".join(re.sub(r"<[^>]+>", " ", activity).split())
    assert ("Maya Okafor updated PAY-001 Prior authorisation workflow : set the status to “done, awaiting sign-off”; "
            "assigned it to Sam Lindqvist") in text.replace("&#34;", '"')
    assert f'href="/programs/{program_id}/items/PAY-001"' in activity


def test_dashboard_draws_readiness_over_time_for_each_program(app: FastAPI, session: Session) -> None:
    institution = riverside(session)
    worked = worked_program(app, session, institution)
    fresh = make_program(session, app.state.catalog, institution).id
    client = logged_in(app)
    html = client.get("/").text
    # Each chart loads after the page (htmx); without JavaScript the same address is a page of its own.
    slots = re.findall(r'<a class="history-slot" href="(/programs/[^"]+/history)" hx-get="\1"', html)
    assert sorted(slots) == sorted(f"/programs/{pid}/history" for pid in (worked, fresh))
    label = r'<svg class="history-chart"[^>]*aria-label="([^"]+)"'
    charts = {pid: client.get(f"/programs/{pid}/history", headers={"HX-Request": "true"}).text
              for pid in (worked, fresh)}
    assert all(chart.startswith("<svg") for chart in charts.values())
    worked_label, fresh_label = (re.findall(label, charts[pid]) for pid in (worked, fresh))
    assert "overall readiness 0% on" in worked_label[0] and "31% now (1 change since)" in worked_label[0]
    assert "0% now (0 changes since)" in fresh_label[0]
    page = client.get(f"/programs/{worked}/history").text
    assert "<h1>Readiness over time</h1>" in page and re.findall(label, page) == worked_label


def test_another_institutions_history_is_not_found(app: FastAPI, session: Session) -> None:
    riverside(session)
    other = make_program(session, app.state.catalog, make_institution(session, "Elsewhere General"))
    assert logged_in(app).get(f"/programs/{other.id}/history", headers={"HX-Request": "true"}).status_code == 404


def test_dashboard_queries_do_not_grow_with_programs_or_history(app: FastAPI, session: Session) -> None:
    institution = riverside(session)
    client = logged_in(app)
    worked_program(app, session, institution)
    with count_queries(app.state.engine) as few:
        assert client.get("/").status_code == 200
    for _ in range(4):
        worked_program(app, session, institution)
    with count_queries(app.state.engine) as many:
        assert client.get("/").status_code == 200
    assert len(few) == len(many), (len(few), len(many))


def test_dashboard_in_the_browser(app: FastAPI, session: Session, live_server: str, page: Page) -> None:
    institution = riverside(session)
    worked_program(app, session, institution)
    login(page, live_server, CHAMPION)
    expect(page.get_by_role("heading", name="Recent activity")).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("overall readiness .* 31% now"))).to_be_visible()
    page.get_by_role("link", name="PAY-001 Prior authorisation workflow").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Prior authorisation workflow")
    page.go_back()
    screenshot(page, "dashboard-activity-history")
