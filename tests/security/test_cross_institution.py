"""Another institution's records do not exist for you: every route that names a program, item, sign-off,
evidence, report, scenario, invitation, member or institution answers 404 (403 at most) to a person of another
institution, whatever roles they hold at home, and changes nothing.

The routes come from the app's route table, so an endpoint added later is covered without being listed here; one
whose path parameter the tests cannot fill fails them (see tests/security/routes.py)."""

from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.auth.models import User
from app.auth.roles import Role
from tests.conftest import PASSWORD, Team
from tests.factories import make_user
from tests.security.conftest import Intruder, body_examples, victim_world, web_login
from tests.security.routes import (
    GLOBAL_PARAMETERS,
    Route,
    World,
    app_routes,
    differences,
    form_fields,
    json_body,
    multipart_body,
    required_query,
    snapshot,
)

REFUSED = {403, 404}


def scoped(route: Route) -> bool:
    """A route naming some record by a path parameter (libraries are shared by every institution)."""
    return bool(set(route.path_parameters) - GLOBAL_PARAMETERS)


def _call_api(client: TestClient, route: Route, world: World, team: Team) -> int:
    url = world.path(route)
    query = required_query(route, world)
    multipart = multipart_body(route)
    if multipart is not None:
        data, files = multipart
        return client.request(route.method, url, params=query, data=data, files=files).status_code
    body = json_body(route, body_examples(team))
    return client.request(route.method, url, params=query, json=body).status_code


def test_every_api_route_hides_another_institutions_records(
    app: FastAPI, session: Session, team: Team, intruder: Intruder, client_for: Callable[[User], TestClient]
) -> None:
    world = victim_world(team)
    routes = [r for r in app_routes(app) if r.is_api and scoped(r)]
    assert len(routes) >= 30, "the route table walk found too few API routes"
    for route in routes:  # create A's records first, so the snapshot below holds all of them
        world.path(route)
    data_dir = app.state.settings.data_dir
    before = snapshot(app.state.engine, data_dir)
    answers = {str(route): _call_api(intruder.client, route, world, team) for route in routes}
    leaks = {route: status for route, status in answers.items() if status not in REFUSED}
    assert leaks == {}, f"routes answering another institution with something other than 404/403: {leaks}"
    assert differences(before, snapshot(app.state.engine, data_dir), ignore=("api_tokens",)) == []
    # The same reads by a person of institution A succeed: the ids were real, the refusals were about who asked.
    insider = client_for(make_user(session, team.institution, roles=tuple(role.value for role in Role)))
    for route in routes:
        if route.method == "GET":
            answer = insider.get(world.path(route), params=required_query(route, world))
            assert answer.status_code == 200, f"{route}: {answer.status_code} for its own institution"


def test_every_web_page_and_form_hides_another_institutions_records(
    app: FastAPI, session: Session, team: Team, intruder: Intruder
) -> None:
    world = victim_world(team)
    routes = [r for r in app_routes(app) if r.is_web and scoped(r)]
    assert len(routes) >= 10, "the route table walk found too few web routes"
    for route in routes:
        world.path(route)
    browser = TestClient(app, follow_redirects=False)
    csrf = web_login(browser, intruder.user.email)
    data_dir = app.state.settings.data_dir
    before = snapshot(app.state.engine, data_dir)
    answers: dict[str, int] = {}
    for route in routes:
        if route.method == "GET":
            answers[str(route)] = browser.get(world.path(route)).status_code
        else:  # a valid CSRF token of the intruder's own session: the refusal must come from the access check
            data, files = form_fields(route, {"csrf_token": csrf})
            answers[str(route)] = browser.post(world.path(route), data=data, files=files or None).status_code
    leaks = {route: status for route, status in answers.items() if status not in REFUSED}
    assert leaks == {}, f"pages answering another institution with something other than 404/403: {leaks}"
    assert differences(before, snapshot(app.state.engine, data_dir), ignore=("auth_sessions",)) == []
    browser.close()
    insider = make_user(session, team.institution, roles=tuple(role.value for role in Role), password=PASSWORD)
    with TestClient(app) as own:
        web_login(own, insider.email)
        for route in routes:
            # An API token is its owner's alone (the champion's here): another member rightly gets a 404 for it.
            if route.method == "GET" and "token_id" not in route.path_parameters:
                assert own.get(world.path(route)).status_code == 200, f"{route} fails for its own institution"


def test_a_route_the_walk_cannot_fill_fails_the_walk(app: FastAPI, team: Team) -> None:
    """So a new endpoint naming a new kind of record cannot slip past the tests above."""

    def widget(widget_id: str) -> dict[str, str]:
        return {"widget": widget_id}

    app.router.add_api_route("/api/widgets/{widget_id}", widget, methods=["GET"])
    route = next(r for r in app_routes(app) if r.path == "/api/widgets/{widget_id}")
    with pytest.raises(pytest.fail.Exception, match="widget_id"):
        victim_world(team).path(route)


def test_verifying_another_institutions_report_by_number_reveals_nothing(team: Team, intruder: Intruder) -> None:
    """Report numbers run in sequence, so anyone could guess them: by number alone, only the report's own institution
    learns what it attests. Whoever holds the PDF has its data hash (printed in the footer) and can verify it."""
    report = team.clients["champion"].post(team.url("/reports"), json={"kind": "executive"}).json()
    by_number = intruder.client.get("/api/reports/verify", params={"number": report["number"]}).json()
    assert by_number == {"matches": False, "number": None, "program": None, "institution": None,
                         "generated_at": None, "generated_by": None, "overall_ratio": None, "gate_open": None,
                         "data_sha256": None}
    with_pdf = intruder.client.get("/api/reports/verify", params={"number": report["number"],
                                                                 "data_sha256": report["data_sha256"]}).json()
    assert with_pdf["matches"] is True and with_pdf["institution"] == team.institution.name
    own = team.clients["viewer"].get("/api/reports/verify", params={"number": report["number"]}).json()
    assert own["matches"] is True and own["program"] == team.program.title


def test_the_reports_page_does_not_verify_another_institutions_report_by_number(
    app: FastAPI, session: Session, team: Team, intruder: Intruder
) -> None:
    report = team.clients["champion"].post(team.url("/reports"), json={"kind": "executive"}).json()
    own_program = intruder.client.get("/api/institutions").json()["items"][0]["id"]
    programs = intruder.client.get(f"/api/institutions/{own_program}/programs").json()["items"]
    with TestClient(app) as browser:
        web_login(browser, intruder.user.email)
        page = browser.get(f"/programs/{programs[0]['id']}/reports", params={"verify": report["number"]}).text
    assert team.program.title not in page and team.institution.name not in page


def test_every_search_route_finds_nothing_of_another_institution(
    app: FastAPI, session: Session, team: Team, intruder: Intruder
) -> None:
    """Search routes taking a text `q` (the API's and the page's, and any added later) searched by a person of
    institution B for what identifies institution A's items, files, people and reports: none of it is answered."""
    world = victim_world(team)
    secrets = [world.value(name, next(iter(app_routes(app)))) for name in ("evidence_id", "number")]
    file_name = "minutes.txt"  # the evidence file the world uploads
    person = team.people["policy_lead"]
    routes = [r for r in app_routes(app) if r.method == "GET" and "search" in r.path
              and any(p.alias == "q" for p in r.route.dependant.query_params)]
    assert {r.path for r in routes} >= {"/api/search", "/search"}, routes
    texts = [file_name, secrets[1], person.full_name, person.email, "riverside", team.program.title, "PAY-001"]
    browser = TestClient(app)
    web_login(browser, intruder.user.email)
    for route in routes:
        for text in texts:
            client = intruder.client if route.is_api else browser
            answer = client.get(route.path, params={"q": text})
            assert answer.status_code == 200, f"{route} q={text!r}: {answer.status_code}"
            shown = answer.text.replace(text, "")  # the search text itself is echoed back
            leaked = [fact for fact in (str(team.program.id), team.institution.name, person.email, secrets[0],
                                        secrets[1], team.program.title) if fact in shown]
            assert leaked == [], f"{route} q={text!r} shows institution A's {leaked}"
    browser.close()
    # The same searches by A's own viewer find A's records: the texts were real.
    own = team.clients["viewer"].get("/api/search", params={"q": file_name}).json()
    assert [f["id"] for f in own["evidence"]["results"]] == [secrets[0]]
