"""Payer reimbursement exposure: what a buy-and-bill gene therapy program can expect to lose, and how badly.

Per patient, with acquisition cost C, payer terms (effective denial probability d, partial-payment probability q
and share s, expected and worst-case days to payment E and W), annual cost of capital r, wastage probability w, and an
outcomes-based agreement refunding a share ρ of C with probability f:

    effective denial  d = denial × (prior-authorization factor if PA is in place) × (single-case factor if an SCA is)
    wasted dose       loss = C                       (bought, never given, never billed)            probability w
    denied claim      loss = C + C·r·W/365           (carried until the last appeal fails)         (1−w)·d
    paid in part      loss = C − s·C + C·r·E/365 − refund                                           (1−w)(1−d)·q
    paid in full      loss = C·r·E/365 − refund                                                     (1−w)(1−d)(1−q)
    refund            = ρ·C with probability f, for any dosed patient

so the expected loss per patient of a payer is
    E[L] = w·C + (1−w)·[ d·(C + C·r·W/365) + (1−d)·(C·r·E/365 + q·(1−s)·C) − f·ρ·C ],
averaged over the payer mix and the products' patients. The seeded simulation draws every patient's payer and each
event above; its mean converges to this closed form (a test checks it). Cash outstanding is paid-out minus received,
month by month, patients dosed evenly through each year, payment arriving after the expected (or worst-case) days;
denied and wasted doses are never received. Sensitivity moves each input by ±25% (within its valid range) and
reports the change in expected loss per patient, largest first.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from app.risk.schemas import (
    CashPoint,
    LossDistribution,
    PayerTerms,
    ReimbursementInputs,
    ReimbursementResult,
    Sensitivity,
)

METHOD_NOTE = __doc__ or ""
SWING = 0.25


@dataclass(frozen=True)
class _Payer:
    share: float
    denial: float
    partial_probability: float
    partial_share: float
    expected_days: int
    worst_days: int


def _payers(inputs: ReimbursementInputs) -> list[_Payer]:
    def effective_denial(terms: PayerTerms) -> float:
        factor = inputs.prior_authorization_denial_factor if terms.prior_authorization else 1.0
        factor *= inputs.single_case_agreement_denial_factor if terms.single_case_agreement else 1.0
        return terms.denial_probability * factor

    return [
        _Payer(t.share, effective_denial(t), t.partial_payment_probability, t.partial_payment_share,
               t.expected_days_to_payment, t.worst_case_days_to_payment)
        for t in inputs.payers.values()
    ]


def _refund(inputs: ReimbursementInputs) -> tuple[float, float]:
    oba = inputs.outcomes_agreement
    return (oba.failure_probability, oba.refund_share) if oba else (0.0, 0.0)


def expected_loss_for_cost(inputs: ReimbursementInputs, cost: float) -> float:
    """The closed-form expected loss of one patient whose dose costs `cost`."""
    r, w = inputs.cost_of_capital, inputs.wastage_probability
    failure, refund_share = _refund(inputs)
    total = 0.0
    for p in _payers(inputs):
        denied = cost + cost * r * p.worst_days / 365
        paid = cost * r * p.expected_days / 365 + p.partial_probability * (1 - p.partial_share) * cost
        dosed = p.denial * denied + (1 - p.denial) * paid - failure * refund_share * cost
        total += p.share * (w * cost + (1 - w) * dosed)
    return total


def _patient_costs(inputs: ReimbursementInputs) -> np.ndarray:
    costs = [plan.acquisition_cost for plan in inputs.products for _ in range(plan.patients_per_year)]
    return np.repeat(np.array(costs, dtype=float), inputs.horizon_years) if costs else np.zeros(0)


def expected_loss_per_patient(inputs: ReimbursementInputs) -> float:
    """The closed-form expected loss, averaged over the planned patients of every product."""
    patients = sum(plan.patients_per_year for plan in inputs.products)
    if patients == 0:
        return 0.0
    weighted = sum(plan.patients_per_year * expected_loss_for_cost(inputs, plan.acquisition_cost)
                   for plan in inputs.products)
    return weighted / patients


def simulate_cohort_losses(inputs: ReimbursementInputs) -> np.ndarray:
    """Total loss over the horizon for each simulated run (seeded: same inputs, same numbers)."""
    costs = _patient_costs(inputs)
    runs = inputs.simulation_runs
    if costs.size == 0:
        return np.zeros(runs)
    rng = np.random.default_rng(inputs.seed)
    payers = _payers(inputs)
    shares = np.array([p.share for p in payers])
    chosen = rng.choice(len(payers), size=(runs, costs.size), p=shares / shares.sum())
    denial = np.array([p.denial for p in payers])[chosen]
    partial_p = np.array([p.partial_probability for p in payers])[chosen]
    partial_s = np.array([p.partial_share for p in payers])[chosen]
    expected_days = np.array([p.expected_days for p in payers])[chosen]
    worst_days = np.array([p.worst_days for p in payers])[chosen]
    failure, refund_share = _refund(inputs)
    r = inputs.cost_of_capital
    wasted = rng.random((runs, costs.size)) < inputs.wastage_probability
    denied = rng.random((runs, costs.size)) < denial
    partial = rng.random((runs, costs.size)) < partial_p
    failed = rng.random((runs, costs.size)) < failure
    loss = np.where(
        denied,
        costs + costs * r * worst_days / 365,
        costs * r * expected_days / 365 + np.where(partial, (1 - partial_s) * costs, 0.0),
    )
    loss = loss - np.where(failed, refund_share * costs, 0.0)
    loss = np.where(wasted, costs, loss)
    totals: np.ndarray = loss.sum(axis=1)
    return totals


def cash_outstanding(inputs: ReimbursementInputs) -> list[CashPoint]:
    """Expected cash out minus cash received, by month, for expected and worst-case days to payment."""
    payers = _payers(inputs)
    w = inputs.wastage_probability
    monthly_cost = sum(plan.acquisition_cost * plan.patients_per_year for plan in inputs.products) / 12
    tail_months = max(p.worst_days for p in payers) // 30 + 2
    months = inputs.horizon_years * 12 + tail_months
    paid_out = np.zeros(months)
    received = {"expected": np.zeros(months), "worst_case": np.zeros(months)}
    for month in range(inputs.horizon_years * 12):
        paid_out[month] += monthly_cost
        for p in payers:
            paid_share = 1 - p.partial_probability * (1 - p.partial_share)
            amount = monthly_cost * p.share * (1 - w) * (1 - p.denial) * paid_share
            for case, days in (("expected", p.expected_days), ("worst_case", p.worst_days)):
                arrival = month + days // 30
                if arrival < months:
                    received[case][arrival] += amount
    out = np.cumsum(paid_out)
    expected, worst = out - np.cumsum(received["expected"]), out - np.cumsum(received["worst_case"])
    return [CashPoint(month=m, expected=round(float(expected[m]), 2), worst_case=round(float(worst[m]), 2))
            for m in range(months)]


def _vary(inputs: ReimbursementInputs) -> list[tuple[str, float, Callable[[float], ReimbursementInputs]]]:
    """Each numeric input with its current value and a function that rebuilds the inputs with a new value."""

    def field(name: str) -> tuple[str, float, Callable[[float], ReimbursementInputs]]:
        label = name.replace("_", " ")  # labels read the same as the payer inputs' ("commercial denial probability")
        return label, float(getattr(inputs, name)), lambda v: inputs.model_copy(update={name: v})

    def payer_field(payer: str, name: str) -> tuple[str, float, Callable[[float], ReimbursementInputs]]:
        terms = inputs.payers[payer]  # type: ignore[index]

        def rebuild(v: float) -> ReimbursementInputs:
            value = int(round(v)) if "days" in name else v
            payers = dict(inputs.payers) | {payer: terms.model_copy(update={name: value})}
            return inputs.model_copy(update={"payers": payers})

        return f"{payer} {name.replace('_', ' ')}", float(getattr(terms, name)), rebuild

    def cost(index: int) -> tuple[str, float, Callable[[float], ReimbursementInputs]]:
        plan = inputs.products[index]

        def rebuild(v: float) -> ReimbursementInputs:
            products = list(inputs.products)
            products[index] = plan.model_copy(update={"acquisition_cost": v})
            return inputs.model_copy(update={"products": products})

        return f"{plan.product} acquisition cost", plan.acquisition_cost, rebuild

    varied = [cost(i) for i in range(len(inputs.products))]
    varied += [field("cost_of_capital"), field("wastage_probability")]
    for payer in inputs.payers:
        for name in ("denial_probability", "partial_payment_probability", "partial_payment_share",
                     "expected_days_to_payment"):
            varied.append(payer_field(payer, name))
    return varied


def sensitivity(inputs: ReimbursementInputs) -> list[Sensitivity]:
    rows = []
    for name, value, rebuild in _vary(inputs):
        ceiling = 1.0 if ("probability" in name or "share" in name or name == "cost of capital") else float("inf")
        low, high = max(0.0, value * (1 - SWING)), min(ceiling, value * (1 + SWING))
        low_loss = expected_loss_per_patient(rebuild(low))
        high_loss = expected_loss_per_patient(rebuild(high))
        rows.append(Sensitivity(input=name, low_value=round(low, 4), high_value=round(high, 4),
                                low_expected_loss=round(low_loss, 2), high_expected_loss=round(high_loss, 2),
                                swing=round(abs(high_loss - low_loss), 2)))
    return sorted(rows, key=lambda row: row.swing, reverse=True)


def risk_level(inputs: ReimbursementInputs, loss_share: float) -> str:
    if loss_share >= inputs.thresholds.high:
        return "high"
    return "moderate" if loss_share >= inputs.thresholds.moderate else "low"


def run_reimbursement_model(inputs: ReimbursementInputs) -> ReimbursementResult:
    costs = _patient_costs(inputs)
    patients = int(costs.size)
    per_patient = expected_loss_per_patient(inputs)
    totals = simulate_cohort_losses(inputs)
    cash = cash_outstanding(inputs)
    peak = max(cash, key=lambda point: point.expected)
    mean_cost = float(costs.mean()) if patients else 1.0
    share = per_patient / mean_cost
    return ReimbursementResult(
        patients=patients,
        expected_loss_per_patient=round(per_patient, 2),
        expected_loss_per_year=round(per_patient * patients / inputs.horizon_years, 2),
        cohort_loss=LossDistribution(
            mean=round(float(totals.mean()), 2), median=round(float(np.median(totals)), 2),
            p90=round(float(np.percentile(totals, 90)), 2), p95=round(float(np.percentile(totals, 95)), 2),
        ),
        simulated_mean_per_patient=round(float(totals.mean()) / patients, 2) if patients else 0.0,
        peak_cash_outstanding=peak.expected,
        peak_cash_month=peak.month,
        peak_cash_outstanding_worst_case=max(point.worst_case for point in cash),
        cash_outstanding=cash,
        sensitivity=sensitivity(inputs),
        risk_level=risk_level(inputs, share),
        loss_share_of_cost=round(share, 4),
    )
