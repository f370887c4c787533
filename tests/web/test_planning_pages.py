"""Planning pages over HTTP: scenarios created from the defaults, saved with field errors kept in place, run with
the API's numbers, and editable only by the roles the API lets edit."""

import re

from fastapi import FastAPI
from playwright.sync_api import Page, expect
from sqlmodel import Session

from app.planning import service
from app.planning.defaults import default_capacity_inputs, default_reimbursement_inputs
from app.planning.models import PlanningScenario
from app.planning.schemas import ScenarioKind
from tests.conftest import PASSWORD, Team
from tests.factories import make_institution, make_user
from tests.web.conftest import login, screenshot
from tests.web.form_client import FormClient, as_role


def form_values(html: str) -> dict[str, str]:
    """The text inputs and checked boxes of the scenario form, as a browser would post them."""
    values = dict(re.findall(r'<input id="[^"]*" name="([^"]+)" type="text" value="([^"]*)"', html))
    values |= dict(re.findall(r'type="hidden" name="(products\.\d+\.product)" value="([^"]*)"', html))
    values |= {name: "on" for name in re.findall(r'type="checkbox" name="([^"]+)" value="on" checked', html)}
    return values


def field_error(html: str, name: str) -> str:
    found = re.search(rf'id="f-{re.escape(name.replace(".", "-"))}-error">([^<]*)<', html)
    return found.group(1) if found else ""


def saved(session: Session, team: Team, kind: ScenarioKind) -> PlanningScenario:
    inputs = (default_reimbursement_inputs(team.program.products) if kind == ScenarioKind.REIMBURSEMENT
              else default_capacity_inputs(team.program.products))
    return service.save_scenario(session, team.people["champion"], team.program, kind, f"Base {kind.value}", inputs)


def test_new_scenario_form_starts_from_the_defaults_and_saves(app: FastAPI, team: Team, session: Session) -> None:
    finance = as_role(app, team, "finance_lead")
    page = finance.get(f"/programs/{team.program.id}/planning/new/reimbursement")
    assert page.status_code == 200
    form = form_values(page.text)
    assert form["products.0.acquisition_cost"] == "3500000" and form["payers.commercial.share"] == "60"
    assert form["payers.commercial.prior_authorization"] == "on"
    assert "payers.commercial.single_case_agreement" not in form
    form |= {"name": "Two a year, stricter payers", "payers.commercial.denial_probability": "30"}
    response = finance.post(f"/programs/{team.program.id}/planning/new/reimbursement", form)
    assert response.status_code == 303
    [scenario] = service.list_scenarios(session, team.program.id)
    assert scenario.name == "Two a year, stricter payers"
    assert scenario.inputs == default_reimbursement_inputs(team.program.products).model_dump(mode="json") | {
        "payers": scenario.inputs["payers"]}
    assert scenario.inputs["payers"]["commercial"]["denial_probability"] == 0.3
    assert response.headers["location"] == f"/programs/{team.program.id}/planning/{scenario.id}?saved=1"
    listing = finance.get(f"/programs/{team.program.id}/planning").text
    assert "Two a year, stricter payers" in listing


def test_field_errors_are_shown_next_to_the_field_keeping_what_was_typed(
    app: FastAPI, team: Team, session: Session
) -> None:
    scenario = saved(session, team, ScenarioKind.REIMBURSEMENT)
    champion = as_role(app, team, "champion")
    form = form_values(champion.get(f"/programs/{team.program.id}/planning/{scenario.id}").text)
    typed = form | {"payers.medicaid.denial_probability": "150", "products.0.patients_per_year": "two",
                    "horizon_years": ""}
    response = champion.post(f"/programs/{team.program.id}/planning/{scenario.id}", typed)
    assert response.status_code == 422
    html = response.text
    assert field_error(html, "payers.medicaid.denial_probability") == "must be at most 100%"
    assert "valid integer" in field_error(html, "products.0.patients_per_year")
    assert field_error(html, "horizon_years") == "enter a number"
    kept = form_values(html)
    assert kept["payers.medicaid.denial_probability"] == "150" and kept["products.0.patients_per_year"] == "two"
    assert kept["horizon_years"] == "" and kept["name"] == "Base reimbursement"
    mix = form | {"payers.other.share": "30"}
    html = champion.post(f"/programs/{team.program.id}/planning/{scenario.id}", mix).text
    assert field_error(html, "payers") == "the payer shares must sum to 100% (they sum to 120.0%)"
    assert form_values(html)["payers.other.share"] == "30"
    session.expire_all()
    assert service.get_scenario(session, scenario.id).inputs == scenario.inputs  # nothing saved


def test_capacity_schedule_rows_and_yearly_plan_map_errors_to_the_row_typed_in(
    app: FastAPI, team: Team, session: Session
) -> None:
    scenario = saved(session, team, ScenarioKind.CAPACITY)
    coordinator = as_role(app, team, "followup_coordinator")
    form = form_values(coordinator.get(f"/programs/{team.program.id}/planning/{scenario.id}").text)
    assert form["products.0.patients_per_year"] == "2, 2, 2, 2, 2"
    # clear period 2 (removed), add a bad period in the first empty row (row 5), a negative count in year 3
    form |= {f"products.0.schedule.1.{f}": "" for f in ("from_month", "to_month", "visits", "labs")}
    form |= {"products.0.schedule.4.from_month": "60", "products.0.schedule.4.to_month": "24",
             "products.0.schedule.4.visits": "1", "products.0.schedule.4.labs": "1",
             "products.0.patients_per_year": "2, 2, -1"}
    html = coordinator.post(f"/programs/{team.program.id}/planning/{scenario.id}", form).text
    assert field_error(html, "products.0.schedule.4") == "to_month must be after from_month"
    assert field_error(html, "products.0.patients_per_year") == "year 3: Input should be greater than or equal to 0"
    form |= {"products.0.schedule.4.to_month": "72", "products.0.patients_per_year": "3, 3, 3"}
    assert coordinator.post(f"/programs/{team.program.id}/planning/{scenario.id}", form).status_code == 303
    session.expire_all()
    inputs = service.get_scenario(session, scenario.id).inputs
    assert inputs["products"][0]["patients_per_year"] == [3, 3, 3]
    assert [(p["from_month"], p["to_month"]) for p in inputs["products"][0]["schedule"]] == [
        (0, 3), (12, 60), (60, 180), (60, 72)]


def test_an_error_about_the_whole_scenario_is_listed_at_the_top(app: FastAPI, team: Team, session: Session) -> None:
    scenario = saved(session, team, ScenarioKind.CAPACITY)
    champion = as_role(app, team, "champion")
    form = form_values(champion.get(f"/programs/{team.program.id}/planning/{scenario.id}").text)
    response = champion.post(f"/programs/{team.program.id}/planning/{scenario.id}", form | {"horizon_years": "3"})
    assert response.status_code == 422
    summary = re.search(r'class="flash error error-summary".*?</div>', response.text, re.S)
    assert summary and "hemgenix plans dosing for 5 years, beyond the 3-year horizon" in summary.group(0)
    assert form_values(response.text)["horizon_years"] == "3"


def test_run_shows_the_same_numbers_as_the_api_with_the_report_chart(
    app: FastAPI, team: Team, session: Session
) -> None:
    scenario = saved(session, team, ScenarioKind.REIMBURSEMENT)
    api = team.clients["viewer"].post(f"/api/scenarios/{scenario.id}/run").json()["reimbursement"]
    html = as_role(app, team, "viewer").get(f"/programs/{team.program.id}/planning/{scenario.id}?run=1").text
    assert f'id="expected-loss-per-patient">${api["expected_loss_per_patient"]:,.0f}<' in html
    assert f'id="expected-loss-per-year">${api["expected_loss_per_year"]:,.0f}<' in html
    assert f'id="peak-cash">${api["peak_cash_outstanding"]:,.0f}<' in html
    for value in api["cohort_loss"].values():
        assert f"${value:,.0f}" in html
    assert f"Risk level <span class=\"badge risk-{api['risk_level']}\">" in html
    ranking = re.findall(r'<tr><td data-label="Rank">\d+</td><td data-label="Input">([^<]+)</td>', html)
    assert ranking == [row["input"] for row in api["sensitivity"]]
    assert 'aria-label="Cash outstanding by month"' in html


def test_capacity_run_shows_years_shortfall_and_what_closes_the_gap(
    app: FastAPI, team: Team, session: Session
) -> None:
    inputs = default_capacity_inputs(team.program.products).model_copy(update={"visit_slots_per_year": 40})
    scenario = service.save_scenario(session, team.people["champion"], team.program, ScenarioKind.CAPACITY,
                                     "Small clinic", inputs)
    api = team.clients["viewer"].post(f"/api/scenarios/{scenario.id}/run").json()["capacity"]
    assert api["first_shortfall_year"] is not None
    html = as_role(app, team, "viewer").get(f"/programs/{team.program.id}/planning/{scenario.id}?run=1").text
    assert f'id="first-shortfall-year">{api["first_shortfall_year"]}<' in html
    assert f'id="extra-visit-slots">{api["extra_visit_slots_needed"]:,}<' in html
    assert len(re.findall(r'<tr (?:class="short")?\s*><td data-label="Year">\d+</td>', html)) == len(api["years"]) == 15
    assert 'aria-label="Follow-up visits needed and available by year"' in html


def test_only_the_apis_editors_may_change_a_scenario(app: FastAPI, team: Team, session: Session) -> None:
    reimbursement = saved(session, team, ScenarioKind.REIMBURSEMENT)
    capacity = saved(session, team, ScenarioKind.CAPACITY)
    base = f"/programs/{team.program.id}/planning"
    viewer, finance = as_role(app, team, "viewer"), as_role(app, team, "finance_lead")
    page = viewer.get(f"{base}/{reimbursement.id}").text
    assert "<fieldset class=\"plain\" disabled>" in page and "Save scenario" not in page and "Delete" not in page
    assert "New reimbursement scenario" not in viewer.get(base).text
    assert viewer.get(f"{base}/new/reimbursement").status_code == 403
    form = form_values(page) | {"name": "Viewer's attempt"}
    assert viewer.post(f"{base}/{reimbursement.id}", form).status_code == 403
    assert viewer.post(f"{base}/{reimbursement.id}/delete", {}).status_code == 403
    # a finance lead edits reimbursement but only reads capacity
    assert "Save scenario" in finance.get(f"{base}/{reimbursement.id}").text
    assert "disabled" in finance.get(f"{base}/{capacity.id}").text
    assert finance.post(f"{base}/{capacity.id}/delete", {}).status_code == 403
    session.expire_all()
    assert service.get_scenario(session, reimbursement.id).name == "Base reimbursement"


def test_forms_need_the_csrf_token(app: FastAPI, team: Team, session: Session) -> None:
    scenario = saved(session, team, ScenarioKind.REIMBURSEMENT)
    champion = as_role(app, team, "champion")
    champion.get(f"/programs/{team.program.id}/planning")
    champion.csrf = "forged"
    assert champion.post(f"/programs/{team.program.id}/planning/{scenario.id}/delete", {}).status_code == 403
    assert len(service.list_scenarios(session, team.program.id)) == 1


def test_delete_removes_the_scenario(app: FastAPI, team: Team, session: Session) -> None:
    scenario = saved(session, team, ScenarioKind.CAPACITY)
    champion = as_role(app, team, "champion")
    champion.get(f"/programs/{team.program.id}/planning/{scenario.id}")
    response = champion.post(f"/programs/{team.program.id}/planning/{scenario.id}/delete", {})
    assert response.status_code == 303
    assert "deleted" in champion.get(response.headers["location"]).text
    assert service.list_scenarios(session, team.program.id) == []


def test_another_institution_sees_nothing(app: FastAPI, team: Team, session: Session) -> None:
    scenario = saved(session, team, ScenarioKind.REIMBURSEMENT)
    other = make_user(session, make_institution(session), roles=("champion",), email="c@elsewhere.example",
                      password=PASSWORD)
    outsider = FormClient(app, other.email)
    assert outsider.get(f"/programs/{team.program.id}/planning").status_code == 404
    assert outsider.get(f"/programs/{team.program.id}/planning/{scenario.id}").status_code == 404
    outsider.client.close()


def test_finance_lead_creates_changes_and_runs_a_scenario_in_the_browser(
    team: Team, session: Session, live_server: str, page: Page
) -> None:
    login(page, live_server, team.people["finance_lead"].email)
    page.goto(f"{live_server}/programs/{team.program.id}")
    page.get_by_role("link", name="Planning scenarios").click()
    page.get_by_role("link", name="New reimbursement scenario").click()
    expect(page.get_by_label("Commercial: denial probability")).to_have_value("15")
    page.get_by_label("Name").fill("Stricter commercial payers")
    page.get_by_label("Commercial: denial probability").fill("130")
    page.get_by_role("button", name="Save and run").click()
    expect(page.locator("#f-payers-commercial-denial_probability-error")).to_have_text(
        "must be at most 100%")
    expect(page.get_by_label("Commercial: denial probability")).to_have_value("130")
    screenshot(page, "planning-field-error")

    page.get_by_label("Commercial: denial probability").fill("30")
    page.get_by_role("button", name="Save and run").click()
    expect(page.get_by_role("status")).to_have_text("Scenario saved.")
    [scenario] = service.list_scenarios(session, team.program.id)
    api = team.clients["finance_lead"].post(f"/api/scenarios/{scenario.id}/run").json()["reimbursement"]
    expect(page.locator("#expected-loss-per-patient")).to_have_text(f"${api['expected_loss_per_patient']:,.0f}")
    expect(page.locator("#peak-cash")).to_have_text(f"${api['peak_cash_outstanding']:,.0f}")
    expect(page.get_by_role("img", name="Cash outstanding by month")).to_be_visible()
    expect(page.locator("#sensitivity tbody tr")).to_have_count(len(api["sensitivity"]))
    assert scenario.inputs["payers"]["commercial"]["denial_probability"] == 0.3
    screenshot(page, "planning-reimbursement-results")


def test_capacity_results_page_in_the_browser(team: Team, session: Session, live_server: str, page: Page) -> None:
    inputs = default_capacity_inputs(team.program.products).model_copy(update={"visit_slots_per_year": 40})
    scenario = service.save_scenario(session, team.people["champion"], team.program, ScenarioKind.CAPACITY,
                                     "Small clinic", inputs)
    login(page, live_server, team.people["followup_coordinator"].email)
    page.goto(f"{live_server}/programs/{team.program.id}/planning")
    screenshot(page, "planning-list")
    page.get_by_role("link", name="Run Small clinic").click()
    expect(page.locator("#first-shortfall-year")).to_have_text("4")
    expect(page.get_by_role("img", name="Follow-up visits needed and available by year")).to_be_visible()
    screenshot(page, "planning-capacity-results")
    page.set_viewport_size({"width": 820, "height": 1100})  # a tablet
    page.goto(f"{live_server}/programs/{team.program.id}/planning/{scenario.id}")
    screenshot(page, "planning-capacity-form-tablet")
