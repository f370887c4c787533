"""The planning models' latest results, shaped for the report's payer and follow-up sections."""

import uuid

from sqlmodel import Session

from app.followup.model import METHOD_NOTE as CAPACITY_METHOD
from app.followup.schemas import CapacityInputs, CapacityResult
from app.planning.schemas import ScenarioRead
from app.planning.service import latest_results
from app.reports.schemas import Assumption, CapacitySection, ReimbursementSection, UnreadableScenarioSection
from app.risk.model import METHOD_NOTE as REIMBURSEMENT_METHOD
from app.risk.schemas import ReimbursementInputs, ReimbursementResult


def _money(value: float) -> str:
    return f"${value:,.0f}"


def planning_sections(
    session: Session, program_id: uuid.UUID
) -> tuple[ReimbursementSection | None, CapacitySection | None, list[UnreadableScenarioSection]]:
    """Each model's section from its latest scenario; a latest scenario that cannot be run is named with why."""
    latest = latest_results(session, program_id)
    unreadable = [UnreadableScenarioSection(kind=s.kind, scenario=s.name, problem=s.problem or "cannot be run")
                  for s in latest.unreadable]
    return (
        _reimbursement(*latest.reimbursement) if latest.reimbursement else None,
        _capacity(*latest.capacity) if latest.capacity else None,
        unreadable,
    )


def _reimbursement(scenario: ScenarioRead, result: ReimbursementResult) -> ReimbursementSection:
    inputs = ReimbursementInputs.model_validate(scenario.inputs)
    assumptions = [Assumption(label=f"{p.product} acquisition cost", value=_money(p.acquisition_cost))
                   for p in inputs.products]
    assumptions += [Assumption(label=f"{p.product} patients per year", value=str(p.patients_per_year))
                    for p in inputs.products]
    assumptions += [
        Assumption(label="Planning horizon", value=f"{inputs.horizon_years} years"),
        Assumption(label="Cost of capital", value=f"{inputs.cost_of_capital:.1%} a year"),
        Assumption(label="Wastage probability", value=f"{inputs.wastage_probability:.1%}"),
    ]
    for name, terms in inputs.payers.items():
        assumptions.append(Assumption(
            label=f"{name.value.capitalize()} payer",
            value=(f"{terms.share:.0%} of patients; denial {terms.denial_probability:.0%}; partial payment "
                   f"{terms.partial_payment_probability:.0%} at {terms.partial_payment_share:.0%}; paid in "
                   f"{terms.expected_days_to_payment} days (worst {terms.worst_case_days_to_payment})"),
        ))
    if inputs.outcomes_agreement:
        oba = inputs.outcomes_agreement
        assumptions.append(Assumption(label="Outcomes-based agreement", value=(
            f"{oba.refund_share:.0%} refund if the therapy fails within {oba.within_years} years "
            f"(chance {oba.failure_probability:.0%})")))
    if inputs.instalments:
        plan = inputs.instalments
        assumptions.append(Assumption(label="Instalments (user's assumption)", value=(
            f"{plan.instalments} equal payments, {plan.months_between} months apart, the first at purchase")))
    if inputs.access_model:
        model = inputs.access_model
        share = "the payer mix's" if model.medicaid_share is None else f"{model.medicaid_share:.0%}"
        denial = ("the Medicaid payer's" if model.medicaid_denial_probability is None
                  else f"{model.medicaid_denial_probability:.0%} (user's assumption)")
        assumptions.append(Assumption(label="CMS Cell and Gene Therapy Access Model", value=(
            f"{', '.join(model.products)}: Medicaid share {share}; Medicaid denial {denial}; outcomes-based "
            "rebates go to the state, not to the hospital")))
    return ReimbursementSection(
        scenario=scenario.name, patients=result.patients,
        expected_loss_per_patient=result.expected_loss_per_patient,
        expected_loss_per_year=result.expected_loss_per_year,
        loss_mean=result.cohort_loss.mean, loss_median=result.cohort_loss.median, loss_p90=result.cohort_loss.p90,
        loss_p95=result.cohort_loss.p95, peak_cash_outstanding=result.peak_cash_outstanding,
        peak_cash_month=result.peak_cash_month,
        peak_cash_outstanding_worst_case=result.peak_cash_outstanding_worst_case,
        risk_level=result.risk_level, loss_share_of_cost=result.loss_share_of_cost,
        top_sensitivity=[Assumption(label=row.input, value=_money(row.swing)) for row in result.sensitivity[:5]],
        cash_series=[(p.month, p.expected, p.worst_case) for p in result.cash_outstanding],
        assumptions=assumptions, method=REIMBURSEMENT_METHOD,
    )


def _capacity(scenario: ScenarioRead, result: CapacityResult) -> CapacitySection:
    inputs = CapacityInputs.model_validate(scenario.inputs)
    assumptions = [
        Assumption(label=f"{p.product} patients dosed per year", value=", ".join(map(str, p.patients_per_year)))
        for p in inputs.products
    ]
    for p in inputs.products:
        per_patient = [(p.infusion_chair_sessions_per_patient, "infusion-chair sessions"),
                       (p.apheresis_collections_per_patient, "apheresis collections"),
                       (p.transplant_bed_days_per_patient, "transplant bed-days")]
        if any(amount for amount, _ in per_patient):
            assumptions.append(Assumption(label=f"{p.product} shared resources per patient", value="; ".join(
                f"{amount:g} {what}" for amount, what in per_patient if amount)))
    assumptions += [
        Assumption(label="Visit slots per year", value=str(inputs.visit_slots_per_year)),
        Assumption(label="Coordinator hours per year", value=f"{inputs.coordinator_hours_per_year:,.0f}"),
        Assumption(label="Lab capacity per year", value=str(inputs.lab_capacity_per_year)),
        Assumption(label="Coordinator hours per visit", value=f"{inputs.coordinator_hours_per_visit:g}"),
        Assumption(label="Annual attrition", value=f"{inputs.annual_attrition:.0%}"),
    ]
    return CapacitySection(
        scenario=scenario.name, capacity_holds=result.capacity_holds,
        first_shortfall_year=result.first_shortfall_year, extra_visit_slots_needed=result.extra_visit_slots_needed,
        extra_coordinator_fte_needed=result.extra_coordinator_fte_needed,
        extra_lab_capacity_needed=result.extra_lab_capacity_needed,
        years=[(y.year, y.patients_in_follow_up, y.visits_needed, y.visits_available) for y in result.years],
        assumptions=assumptions, method=CAPACITY_METHOD,
    )
