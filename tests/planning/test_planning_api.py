"""Planning scenarios over the API: saved per program, validated field by field, run reproducibly."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Team


def defaults(team: Team) -> dict[str, Any]:
    return dict(team.clients["viewer"].get(team.url("/scenarios/defaults")).json())


def save(team: Team, kind: str, inputs: dict[str, Any], client: str = "champion") -> Any:
    return team.clients[client].post(team.url(f"/scenarios/{kind}"), json={"name": f"Base {kind}", "inputs": inputs})


def test_defaults_come_from_the_sourced_file(team: Team) -> None:
    data = defaults(team)
    assert data["reimbursement"]["products"][0] == {"product": "hemgenix", "acquisition_cost": 3500000.0,
                                                    "patients_per_year": 2}
    assert set(data["reimbursement"]["payers"]) == {"commercial", "medicaid", "medicare", "other"}
    assert "E[L] = w·C" in data["methods"]["reimbursement"]


def test_save_run_and_reproduce_both_models(team: Team) -> None:
    data = defaults(team)
    reimbursement = save(team, "reimbursement", data["reimbursement"], client="finance_lead")
    capacity = save(team, "capacity", data["capacity"], client="followup_coordinator")
    assert reimbursement.status_code == capacity.status_code == 201
    viewer = team.clients["viewer"]
    first = viewer.post(f"/api/scenarios/{reimbursement.json()['id']}/run").json()["reimbursement"]
    again = viewer.post(f"/api/scenarios/{reimbursement.json()['id']}/run").json()["reimbursement"]
    assert first == again and first["patients"] == 10 and first["risk_level"] in {"low", "moderate", "high"}
    run = viewer.post(f"/api/scenarios/{capacity.json()['id']}/run").json()["capacity"]
    assert len(run["years"]) == 15 and "first_shortfall_year" in run
    kinds = [s["kind"] for s in viewer.get(team.url("/scenarios")).json()]
    assert sorted(kinds) == ["capacity", "reimbursement"]


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        (lambda i: i["products"][0].update(patients_per_year=-1), ["products", 0, "patients_per_year"]),
        (lambda i: i["payers"]["commercial"].update(denial_probability=1.5),
         ["payers", "commercial", "denial_probability"]),
        (lambda i: i.update(horizon_years=31), ["horizon_years"]),
        (lambda i: i["payers"]["commercial"].update(share=0.9), ["payers"]),
    ],
)
def test_bad_reimbursement_inputs_are_422_naming_the_field(team: Team, change: Any, loc: list[Any]) -> None:
    inputs = defaults(team)["reimbursement"]
    change(inputs)
    response = save(team, "reimbursement", inputs)
    assert response.status_code == 422
    assert ["body", "inputs", *loc] in [e["loc"][: len(loc) + 2] for e in response.json()["detail"]]


def test_payer_mix_error_says_what_is_wrong(team: Team) -> None:
    inputs = defaults(team)["reimbursement"]
    inputs["payers"]["commercial"]["share"] = 0.5
    message = save(team, "reimbursement", inputs).json()["detail"][0]["msg"]
    assert "must sum to 100% (they sum to 90.0%)" in message


def test_bad_capacity_horizon_is_422(team: Team) -> None:
    inputs = defaults(team)["capacity"] | {"horizon_years": 40}
    response = save(team, "capacity", inputs)
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "inputs", "horizon_years"]


def test_who_may_edit_which_model(team: Team, outsider: TestClient) -> None:
    data = defaults(team)
    assert save(team, "reimbursement", data["reimbursement"], client="viewer").status_code == 403
    assert save(team, "capacity", data["capacity"], client="finance_lead").status_code == 403
    saved = save(team, "reimbursement", data["reimbursement"], client="finance_lead").json()
    assert outsider.post(f"/api/scenarios/{saved['id']}/run").status_code == 404
    assert outsider.get(team.url("/scenarios")).status_code == 404


def test_update_and_delete_are_audited(team: Team) -> None:
    data = defaults(team)
    saved = save(team, "reimbursement", data["reimbursement"]).json()
    data["reimbursement"]["cost_of_capital"] = 0.08
    updated = team.clients["champion"].put(f"/api/scenarios/{saved['id']}/reimbursement",
                                           json={"name": "Higher rates", "inputs": data["reimbursement"]})
    assert updated.json()["inputs"]["cost_of_capital"] == 0.08
    assert team.clients["champion"].delete(f"/api/scenarios/{saved['id']}").status_code == 204
    actions = [e["action"] for e in team.clients["champion"].get(team.url("/audit")).json()["items"]]
    assert actions[:3] == ["scenario.deleted", "scenario.updated", "scenario.created"]


def test_readiness_view_shows_payer_risk_and_whether_capacity_holds(team: Team) -> None:
    assert team.clients["viewer"].get(team.url("/readiness")).json()["planning"]["reimbursement_risk"] is None
    data = defaults(team)
    save(team, "reimbursement", data["reimbursement"])
    save(team, "capacity", data["capacity"] | {"visit_slots_per_year": 10})
    planning = team.clients["viewer"].get(team.url("/readiness")).json()["planning"]
    assert planning["reimbursement_scenario"] == "Base reimbursement"
    assert planning["reimbursement_risk"] in {"low", "moderate", "high"}
    assert planning["capacity_holds"] is False and planning["first_shortfall_year"] == 1
