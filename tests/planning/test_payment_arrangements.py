"""Payment arrangements as optional inputs of the reimbursement model, against hand calculations.

One Casgevy patient at C = $2,200,000, cost of capital r = 10%, no wastage, no partial payments, no prior
authorisation or single-case agreement (denial factors 1), an outcomes-based refund of ρ = 50% with probability
f = 20%. Commercial: share 0.5, denial 0.2, paid after E = 73 days (0.2 year), denied after W = 365 days.
Medicaid: share 0.5, denial 0.4, E = 146 days (0.4 year), W = 365 days. C·r = 220,000.
"""

from typing import Any

import pytest
from fastapi import FastAPI
from pydantic import ValidationError
from sqlmodel import Session

from app.planning import service
from app.risk.model import cash_outstanding, expected_loss_per_patient, simulate_cohort_losses
from app.risk.schemas import ReimbursementInputs
from tests.conftest import Team
from tests.web.form_client import as_role
from tests.web.test_planning_pages import form_values

C, CR = 2_200_000, 220_000
REFUND = 0.2 * 0.5 * C  # f·ρ·C = 220,000


def payer(share: float, denial: float, expected: int) -> dict[str, Any]:
    return {"share": share, "denial_probability": denial, "partial_payment_probability": 0.0,
            "partial_payment_share": 1.0, "expected_days_to_payment": expected, "worst_case_days_to_payment": 365,
            "prior_authorization": False}


def inputs(**extra: Any) -> ReimbursementInputs:
    return ReimbursementInputs.model_validate({
        "products": [{"product": "casgevy", "acquisition_cost": C, "patients_per_year": 1}],
        "payers": {"commercial": payer(0.5, 0.2, 73), "medicaid": payer(0.5, 0.4, 146)},
        "horizon_years": 1, "cost_of_capital": 0.1, "wastage_probability": 0.0,
        "outcomes_agreement": {"refund_share": 0.5, "failure_probability": 0.2, "within_years": 2},
        **extra,
    })


def test_without_arrangements_the_refund_reaches_the_hospital_for_every_payer() -> None:
    denied = C + CR * 1.0  # carried a whole year: 2,420,000
    commercial = 0.2 * denied + 0.8 * (CR * 0.2) - REFUND  # 484,000 + 35,200 − 220,000 = 299,200
    medicaid = 0.4 * denied + 0.6 * (CR * 0.4) - REFUND  # 968,000 + 52,800 − 220,000 = 800,800
    assert commercial == pytest.approx(299_200) and medicaid == pytest.approx(800_800)
    assert expected_loss_per_patient(inputs()) == pytest.approx(0.5 * commercial + 0.5 * medicaid)  # 550,000


def test_access_model_sets_medicaid_share_and_denial_and_keeps_the_rebate_from_the_hospital() -> None:
    model = {"products": ["casgevy"], "medicaid_share": 0.75, "medicaid_denial_probability": 0.1}
    # Commercial keeps its terms at share 0.25; Medicaid at share 0.75 is denied 10% of the time and its patients'
    # refund goes to the state: 0.1 × 2,420,000 + 0.9 × 88,000 = 242,000 + 79,200 = 321,200.
    commercial, medicaid = 299_200, 0.1 * (C + CR) + 0.9 * (CR * 0.4)
    assert medicaid == pytest.approx(321_200)
    assert expected_loss_per_patient(inputs(access_model=model)) == pytest.approx(
        0.25 * commercial + 0.75 * medicaid)  # 74,800 + 240,900 = 315,700


def test_access_model_leaves_products_it_does_not_cover_alone() -> None:
    two = inputs().model_dump() | {"products": [
        {"product": "casgevy", "acquisition_cost": C, "patients_per_year": 1},
        {"product": "zynteglo", "acquisition_cost": C, "patients_per_year": 1}]}
    model = {"products": ["casgevy"], "medicaid_share": 0.75, "medicaid_denial_probability": 0.1}
    covered = ReimbursementInputs.model_validate(two | {"access_model": model})
    assert expected_loss_per_patient(covered) == pytest.approx((315_700 + 550_000) / 2)


def test_instalments_carry_each_payment_only_until_the_payer_pays() -> None:
    # Two instalments two months apart: paid at day 0 and day 60. Carried until the payer pays:
    # commercial E = 73: (73 + 13) / 2 = 43 days; Medicaid E = 146: (146 + 86) / 2 = 116 days;
    # denied (W = 365): (365 + 305) / 2 = 335 days. The whole cost is still owed on a denial.
    denied = C + CR * 335 / 365
    commercial = 0.2 * denied + 0.8 * (CR * 43 / 365) - REFUND
    medicaid = 0.4 * denied + 0.6 * (CR * 116 / 365) - REFUND
    planned = inputs(instalments={"instalments": 2, "months_between": 2})
    assert expected_loss_per_patient(planned) == pytest.approx(0.5 * commercial + 0.5 * medicaid)
    assert expected_loss_per_patient(planned) < expected_loss_per_patient(inputs())


def test_instalments_spread_the_cash_paid_out() -> None:
    # One patient a year, dosed evenly: C / 12 a month, half of it paid at once, half two months later; nothing is
    # received before month 2 (73 days // 30).
    month = C / 12
    cash = cash_outstanding(inputs(instalments={"instalments": 2, "months_between": 2}))
    assert cash[0].expected == pytest.approx(month / 2, abs=0.01)
    assert cash[1].expected == pytest.approx(month, abs=0.01)
    assert cash_outstanding(inputs())[0].expected == pytest.approx(month, abs=0.01)


def test_simulation_agrees_with_the_closed_form_under_both_arrangements() -> None:
    planned = inputs(simulation_runs=100_000, instalments={"instalments": 3, "months_between": 1},
                     access_model={"products": ["casgevy"], "medicaid_share": 0.75, "medicaid_denial_probability": 0.1})
    assert simulate_cohort_losses(planned).mean() == pytest.approx(expected_loss_per_patient(planned), rel=0.03)


@pytest.mark.parametrize(
    ("model", "message"),
    [
        ({"products": ["lyfgenia"]}, "access_model.products: lyfgenia is not among the planned products"),
        ({"products": ["casgevy"], "medicaid_share": 1.5}, "less than or equal to 1"),
    ],
)
def test_access_model_inputs_are_checked(model: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        inputs(access_model=model)


def test_access_model_needs_a_medicaid_payer() -> None:
    body = inputs().model_dump() | {"payers": {"commercial": payer(1.0, 0.2, 73)}}
    with pytest.raises(ValidationError, match="no medicaid payer"):
        ReimbursementInputs.model_validate(body | {"access_model": {"products": ["casgevy"]}})


def test_saved_scenarios_without_arrangements_still_read() -> None:
    """API compatibility: inputs saved before the arrangements existed validate and give the same numbers."""
    old = inputs().model_dump(exclude={"instalments", "access_model"})
    assert expected_loss_per_patient(ReimbursementInputs.model_validate(old)) == pytest.approx(550_000)


def test_planning_form_saves_and_shows_the_arrangements(app: FastAPI, team: Team, session: Session) -> None:
    """Through the web form: percentages in, fractions saved, the same values shown again; blank means none."""
    finance = as_role(app, team, "finance_lead")
    base = f"/programs/{team.program.id}/planning"
    form = form_values(finance.get(f"{base}/new/reimbursement").text)
    assert form["access_model.products"] == form["instalments.instalments"] == ""  # none by default
    form |= {"name": "Access model state", "access_model.products": "hemgenix", "access_model.medicaid_share": "75",
             "access_model.medicaid_denial_probability": "", "instalments.instalments": "4",
             "instalments.months_between": "3"}
    assert finance.post(f"{base}/new/reimbursement", form).status_code == 303
    [scenario] = service.list_scenarios(session, team.program.id)
    assert scenario.inputs["access_model"] == {"products": ["hemgenix"], "medicaid_share": 0.75,
                                               "medicaid_denial_probability": None}
    assert scenario.inputs["instalments"] == {"instalments": 4, "months_between": 3}
    shown = form_values(finance.get(f"{base}/{scenario.id}").text)
    assert shown["access_model.products"] == "hemgenix" and shown["access_model.medicaid_share"] == "75"
    wrong = finance.post(f"{base}/{scenario.id}", shown | {"access_model.products": "casgevy"})
    assert wrong.status_code == 422 and "access_model.products: casgevy is not among the planned products" in wrong.text
