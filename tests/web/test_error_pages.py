"""A refused or missing page is a page for a browser, and the same JSON as ever for API clients."""

import uuid

from fastapi import FastAPI

from tests.conftest import Team
from tests.web.form_client import as_role

BROWSER = {"accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


def test_a_browser_refused_a_page_sees_a_page_naming_the_role(app: FastAPI, team: Team) -> None:
    viewer = as_role(app, team, "viewer")
    response = viewer.client.get(f"/institutions/{team.institution.id}/admin", headers=BROWSER)
    assert response.status_code == 403 and response.headers["content-type"].startswith("text/html")
    assert "<h1>Not allowed</h1>" in response.text and "administrator" in response.text
    assert "Back to the dashboard" in response.text


def test_a_browser_asking_for_a_missing_program_sees_not_found(app: FastAPI, team: Team) -> None:
    response = as_role(app, team, "champion").client.get(f"/programs/{uuid.uuid4()}", headers=BROWSER)
    assert response.status_code == 404 and "<h1>Not found</h1>" in response.text


def test_api_errors_stay_json_even_for_a_browser(app: FastAPI, team: Team) -> None:
    viewer = as_role(app, team, "viewer")
    response = viewer.client.get(f"/api/programs/{uuid.uuid4()}", headers=BROWSER)
    assert response.status_code == 404 and response.headers["content-type"] == "application/json"
    assert "not found" in response.json()["detail"]
    scripted = viewer.client.get(f"/institutions/{team.institution.id}/admin")  # no text/html in Accept
    assert scripted.status_code == 403 and "administrator" in scripted.json()["detail"]


def test_an_address_nothing_answers_is_a_page_for_browsers_and_json_for_scripts(app: FastAPI, team: Team) -> None:
    viewer = as_role(app, team, "viewer")
    page = viewer.client.get("/no/such/page", headers=BROWSER)
    assert page.status_code == 404 and "<h1>Not found</h1>" in page.text
    assert "There is no page at this address" in page.text and '<html lang="en">' in page.text
    scripted = viewer.client.get("/no/such/page")
    assert scripted.status_code == 404 and scripted.json() == {"detail": "Not Found"}
