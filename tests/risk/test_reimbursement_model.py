"""The reimbursement exposure model: hand-checked cases, the simulation against the closed form, properties."""

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.risk.model import expected_loss_per_patient, run_reimbursement_model, simulate_cohort_losses
from app.risk.schemas import ReimbursementInputs

MILLION = 1_000_000.0


def one_patient(**overrides: Any) -> ReimbursementInputs:
    """One patient, one payer: C = $1M, 10% denial, half the paid claims paid at 60%, 73 days (worst 365), 10%/yr."""
    payer = {"share": 1.0, "denial_probability": 0.1, "partial_payment_probability": 0.5,
             "partial_payment_share": 0.6, "expected_days_to_payment": 73, "worst_case_days_to_payment": 365,
             "prior_authorization": False} | overrides.pop("payer", {})
    data = {"products": [{"product": "hemgenix", "acquisition_cost": MILLION, "patients_per_year": 1}],
            "payers": {"commercial": payer}, "horizon_years": 1, "cost_of_capital": 0.1,
            "wastage_probability": 0.0} | overrides
    return ReimbursementInputs.model_validate(data)


def test_one_patient_one_payer_by_hand() -> None:
    # denied: 1,000,000 + 1,000,000 x 0.1 x 365/365 = 1,100,000
    # paid:   1,000,000 x 0.1 x 73/365 + 0.5 x (1 - 0.6) x 1,000,000 = 20,000 + 200,000 = 220,000
    # expected: 0.1 x 1,100,000 + 0.9 x 220,000 = 308,000
    assert expected_loss_per_patient(one_patient()) == pytest.approx(308_000)


def test_wastage_and_outcomes_agreement_by_hand() -> None:
    assert expected_loss_per_patient(one_patient(wastage_probability=0.1)) == pytest.approx(100_000 + 0.9 * 308_000)
    oba = {"refund_share": 0.5, "failure_probability": 0.2, "within_years": 5}
    assert expected_loss_per_patient(one_patient(outcomes_agreement=oba)) == pytest.approx(308_000 - 100_000)


def test_prior_authorization_scales_denial_by_the_documented_factor() -> None:
    with_pa = one_patient(payer={"prior_authorization": True}, prior_authorization_denial_factor=0.5)
    # denial 0.05: 0.05 x 1,100,000 + 0.95 x 220,000 = 264,000
    assert expected_loss_per_patient(with_pa) == pytest.approx(264_000)


def test_simulation_mean_matches_the_closed_form() -> None:
    inputs = one_patient(simulation_runs=100_000, products=[
        {"product": "hemgenix", "acquisition_cost": MILLION, "patients_per_year": 5}])
    totals = simulate_cohort_losses(inputs)
    per_patient = totals / 5
    standard_error = per_patient.std() / np.sqrt(per_patient.size)
    assert abs(per_patient.mean() - expected_loss_per_patient(inputs)) < 4 * standard_error


def test_same_seed_same_numbers_other_seed_other_numbers() -> None:
    first, again = run_reimbursement_model(one_patient()), run_reimbursement_model(one_patient())
    assert first == again
    assert run_reimbursement_model(one_patient(seed=7)).cohort_loss != first.cohort_loss


def test_cash_outstanding_by_hand() -> None:
    # 12 patients a year (one a month), always paid in full after 60 days: two months of doses stay outstanding.
    inputs = one_patient(payer={"denial_probability": 0.0, "partial_payment_probability": 0.0,
                                "expected_days_to_payment": 60, "worst_case_days_to_payment": 60},
                         products=[{"product": "hemgenix", "acquisition_cost": MILLION, "patients_per_year": 12}])
    result = run_reimbursement_model(inputs)
    assert result.peak_cash_outstanding == pytest.approx(2 * MILLION)
    assert result.cash_outstanding[-1].expected == pytest.approx(0.0, abs=1e-6)


def test_risk_level_uses_the_institutions_thresholds() -> None:
    assert run_reimbursement_model(one_patient()).risk_level == "high"  # 30.8% of cost
    relaxed = one_patient(thresholds={"moderate": 0.3, "high": 0.5})
    assert run_reimbursement_model(relaxed).risk_level == "moderate"


def test_sensitivity_ranks_the_inputs_that_matter_most() -> None:
    rows = run_reimbursement_model(one_patient()).sensitivity
    assert rows[0].input == "hemgenix acquisition cost"
    assert [r.swing for r in rows] == sorted((r.swing for r in rows), reverse=True)


@settings(max_examples=60, deadline=None)
@given(st.floats(0, 0.9), st.floats(0.01, 0.1), st.floats(0, 1), st.floats(0, 1))
def test_more_denial_never_lowers_expected_loss(denial: float, more: float, partial: float, share: float) -> None:
    lower = one_patient(payer={"denial_probability": denial, "partial_payment_probability": partial,
                               "partial_payment_share": share})
    higher = one_patient(payer={"denial_probability": min(1.0, denial + more), "partial_payment_probability": partial,
                                "partial_payment_share": share})
    assert expected_loss_per_patient(higher) >= expected_loss_per_patient(lower) - 1e-6


def test_sensitivity_inputs_are_named_in_words() -> None:
    names = [row.input for row in run_reimbursement_model(one_patient()).sensitivity]
    assert "cost of capital" in names and "wastage probability" in names
    assert not [name for name in names if "_" in name]
