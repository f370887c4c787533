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

Two optional payment arrangements change the terms above. Instalments (n equal payments, m months apart, the
first at purchase; a user-entered assumption): the hospital carries instalment k (paid at t_k = 30·k·m days) only
until the payer pays, so C·r·D/365 becomes (C/n)·r·Σ_k max(0, D − t_k)/365 for D = E or W; the whole cost is still
owed when a claim is denied or a dose wasted. The CMS Cell and Gene Therapy Access Model (sickle cell disease), for
the products it covers: Medicaid's share of their patients may be set (the other payers keep their proportions),
Medicaid's denial probability may be replaced by the user's assumption for the state's access policy, and the
refund f·ρ·C is not the hospital's for Medicaid patients, because the maker's outcomes-based rebates go to the
state. With instalments, cash outstanding pays each instalment when it is due.
"""

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from app.risk.schemas import (
    CashPoint,
    LossDistribution,
    PayerName,
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
    refunded: bool = True  # whether an outcomes-based refund reaches the hospital for this payer's patients


def _payers(inputs: ReimbursementInputs, product: str | None = None) -> list[_Payer]:
    """The payer mix as it applies to one product's patients (the access model changes it for its products)."""
    def effective_denial(terms: PayerTerms) -> float:
        factor = inputs.prior_authorization_denial_factor if terms.prior_authorization else 1.0
        factor *= inputs.single_case_agreement_denial_factor if terms.single_case_agreement else 1.0
        return terms.denial_probability * factor

    payers = [
        _Payer(t.share, effective_denial(t), t.partial_payment_probability, t.partial_payment_share,
               t.expected_days_to_payment, t.worst_case_days_to_payment)
        for t in inputs.payers.values()
    ]
    terms = inputs.access_model
    if terms is None or product not in terms.products:
        return payers
    names = list(inputs.payers)
    medicaid = names.index(PayerName.MEDICAID)
    shares = [p.share for p in payers]
    if terms.medicaid_share is not None:
        others = sum(shares) - shares[medicaid]
        scale = (1 - terms.medicaid_share) / others if others > 0 else 0.0
        shares = [terms.medicaid_share if i == medicaid else share * scale for i, share in enumerate(shares)]
    adjusted = []
    for i, (payer, share) in enumerate(zip(payers, shares, strict=True)):
        if i == medicaid:
            denial = payer.denial if terms.medicaid_denial_probability is None else terms.medicaid_denial_probability
            payer = replace(payer, denial=denial, refunded=False)
        adjusted.append(replace(payer, share=share))
    return adjusted


def carried_years(inputs: ReimbursementInputs, days: Any) -> Any:
    """Years of carrying cost per dollar of acquisition cost when the payer pays after `days` days.

    Paid in full at purchase: days / 365. In n instalments m months apart: the mean over instalments of the time
    each is carried before the payer pays, max(0, days − 30·k·m) / 365.
    """
    plan = inputs.instalments
    if plan is None or plan.instalments == 1:
        return np.asarray(days, dtype=float) / 365 if isinstance(days, np.ndarray) else days / 365
    values = np.asarray(days, dtype=float)
    carried = np.zeros_like(values)
    for k in range(plan.instalments):  # one pass per instalment: no (runs × doses × instalments) array
        carried += np.maximum(0.0, values - 30 * k * plan.months_between)
    mean = carried / plan.instalments / 365
    return mean if isinstance(days, np.ndarray) else float(mean)


def _refund(inputs: ReimbursementInputs) -> tuple[float, float]:
    oba = inputs.outcomes_agreement
    return (oba.failure_probability, oba.refund_share) if oba else (0.0, 0.0)


def expected_loss_for_cost(inputs: ReimbursementInputs, cost: float, product: str | None = None) -> float:
    """The closed-form expected loss of one patient whose dose of `product` costs `cost`."""
    r, w = inputs.cost_of_capital, inputs.wastage_probability
    failure, refund_share = _refund(inputs)
    total = 0.0
    for p in _payers(inputs, product):
        denied = cost + cost * r * carried_years(inputs, p.worst_days)
        paid = cost * r * carried_years(inputs, p.expected_days) + p.partial_probability * (1 - p.partial_share) * cost
        refund = failure * refund_share * cost if p.refunded else 0.0
        dosed = p.denial * denied + (1 - p.denial) * paid - refund
        total += p.share * (w * cost + (1 - w) * dosed)
    return total


def _patient_costs(inputs: ReimbursementInputs) -> np.ndarray:
    costs = [plan.acquisition_cost for plan in inputs.products for _ in range(plan.patients_per_year)]
    return np.repeat(np.array(costs, dtype=float), inputs.horizon_years) if costs else np.zeros(0)


def _patient_products(inputs: ReimbursementInputs) -> list[str]:
    """Each simulated dose's product, in the order of _patient_costs."""
    return [plan.product for plan in inputs.products for _ in range(plan.patients_per_year * inputs.horizon_years)]


def expected_loss_per_patient(inputs: ReimbursementInputs) -> float:
    """The closed-form expected loss, averaged over the planned patients of every product."""
    patients = sum(plan.patients_per_year for plan in inputs.products)
    if patients == 0:
        return 0.0
    weighted = sum(plan.patients_per_year * expected_loss_for_cost(inputs, plan.acquisition_cost, plan.product)
                   for plan in inputs.products)
    return weighted / patients


def simulate_cohort_losses(inputs: ReimbursementInputs) -> np.ndarray:
    """Total loss over the horizon for each simulated run (seeded: same inputs, same numbers)."""
    costs = _patient_costs(inputs)
    runs = inputs.simulation_runs
    if costs.size == 0:
        return np.zeros(runs)
    rng = np.random.default_rng(inputs.seed)
    by_product = {product: _payers(inputs, product) for product in dict.fromkeys(_patient_products(inputs))}
    columns = [by_product[product] for product in _patient_products(inputs)]

    def per_dose(field: str) -> np.ndarray:  # [payer, dose]: each dose's terms with each payer
        return np.array([[getattr(payer, field) for payer in payers] for payers in columns], dtype=float).T

    shares = per_dose("share")
    if np.allclose(shares, shares[:, :1]):  # one payer mix for every dose
        mix = shares[:, 0]
        chosen = rng.choice(len(mix), size=(runs, costs.size), p=mix / mix.sum())
    else:  # the access model gives its products their own mix
        bounds = np.cumsum(shares, axis=0) / shares.sum(axis=0)
        draws = rng.random((runs, costs.size))
        chosen = np.minimum((draws[None, :, :] > bounds[:, None, :]).sum(axis=0), len(shares) - 1)
    dose = np.arange(costs.size)[None, :]
    denial = per_dose("denial")[chosen, dose]
    partial_p = per_dose("partial_probability")[chosen, dose]
    partial_s = per_dose("partial_share")[chosen, dose]
    expected_days = per_dose("expected_days")[chosen, dose]
    worst_days = per_dose("worst_days")[chosen, dose]
    refunded = per_dose("refunded")[chosen, dose] > 0
    failure, refund_share = _refund(inputs)
    r = inputs.cost_of_capital
    wasted = rng.random((runs, costs.size)) < inputs.wastage_probability
    denied = rng.random((runs, costs.size)) < denial
    partial = rng.random((runs, costs.size)) < partial_p
    failed = rng.random((runs, costs.size)) < failure
    loss = np.where(
        denied,
        costs + costs * r * carried_years(inputs, worst_days),
        costs * r * carried_years(inputs, expected_days) + np.where(partial, (1 - partial_s) * costs, 0.0),
    )
    loss = loss - np.where(failed & refunded, refund_share * costs, 0.0)
    loss = np.where(wasted, costs, loss)
    totals: np.ndarray = loss.sum(axis=1)
    return totals


def cash_outstanding(inputs: ReimbursementInputs) -> list[CashPoint]:
    """Expected cash out minus cash received, by month, for expected and worst-case days to payment."""
    w = inputs.wastage_probability
    plan = inputs.instalments
    instalments, months_between = (plan.instalments, plan.months_between) if plan else (1, 1)
    tail_months = max(p.worst_days for p in _payers(inputs)) // 30 + 2
    months = inputs.horizon_years * 12 + max(tail_months, (instalments - 1) * months_between + 1)
    paid_out = np.zeros(months)
    received = {"expected": np.zeros(months), "worst_case": np.zeros(months)}
    for product in inputs.products:
        monthly_cost = product.acquisition_cost * product.patients_per_year / 12
        payers = _payers(inputs, product.product)
        for month in range(inputs.horizon_years * 12):
            for k in range(instalments):  # paid in full at purchase unless instalments are planned
                paid_out[month + k * months_between] += monthly_cost / instalments
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
