"""Inputs and results of the payer reimbursement exposure model."""

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from app.text import Slug

Probability = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
Days = Annotated[int, Field(ge=0, le=1825)]
SEEDS = 2**32  # numpy's generators take seeds 0 .. 2**32 - 1 (and refuse negative ones)
MAX_SIMULATED_DOSES = 2_000_000  # runs × doses over the horizon: about 200 MB and a second of simulation


class PayerName(StrEnum):
    COMMERCIAL = "commercial"
    MEDICAID = "medicaid"
    MEDICARE = "medicare"
    OTHER = "other"


class PayerTerms(BaseModel):
    model_config = ConfigDict(extra="forbid")

    share: Probability = Field(description="Share of the planned patients this payer covers")
    denial_probability: Probability
    partial_payment_probability: Probability = Field(description="Chance a paid claim is paid only in part")
    partial_payment_share: Probability = Field(description="Share of the cost paid when payment is partial")
    expected_days_to_payment: Days
    worst_case_days_to_payment: Days
    prior_authorization: bool = True
    single_case_agreement: bool = False

    @model_validator(mode="after")
    def _worst_case_is_not_sooner(self) -> "PayerTerms":
        if self.worst_case_days_to_payment < self.expected_days_to_payment:
            raise ValueError("worst_case_days_to_payment must not be sooner than expected_days_to_payment")
        return self


class ProductPlan(BaseModel):
    model_config = ConfigDict(extra="forbid")

    product: Slug
    acquisition_cost: Annotated[float, Field(gt=0, le=20_000_000, allow_inf_nan=False)]
    patients_per_year: Annotated[int, Field(ge=0, le=200)]


class OutcomesAgreement(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refund_share: Probability = Field(description="Share of the cost the manufacturer refunds if the therapy fails")
    failure_probability: Probability = Field(description="Chance the therapy fails within the agreement's years")
    within_years: Annotated[int, Field(ge=1, le=15)]


class InstalmentPlan(BaseModel):
    """The hospital pays the maker in equal instalments, the first at purchase, instead of in full.

    A user-entered assumption: the pay-over-time offers found in public (Zolgensma, Luxturna) were made to payers;
    no instalment terms for a buy-and-bill hospital were found.
    """

    model_config = ConfigDict(extra="forbid")

    instalments: Annotated[int, Field(ge=1, le=60, description="Equal payments, the first at purchase")]
    months_between: Annotated[int, Field(ge=1, le=24, description="Months between two payments")]


class AccessModelTerms(BaseModel):
    """The CMS Cell and Gene Therapy Access Model in the patients' state (sickle cell disease, Medicaid).

    In a participating state Medicaid covers the products under a standard access policy, and the maker's
    outcomes-based rebates go to the state, not to the hospital: a refund of `outcomes_agreement` is not the
    hospital's for these products' Medicaid patients. What the state's policy does to denials is not public:
    `medicaid_denial_probability` is the user's assumption (None keeps the Medicaid payer's terms).
    """

    model_config = ConfigDict(extra="forbid")

    products: Annotated[list[Slug], Field(min_length=1, max_length=10, description=(
        "Planned products the state's outcomes-based agreements cover (Casgevy, Lyfgenia)"))]
    medicaid_share: Probability | None = Field(default=None, description=(
        "Share of these products' patients Medicaid covers (the other payers share the rest as in the mix); "
        "none: the payer mix's"))
    medicaid_denial_probability: Probability | None = Field(default=None, description=(
        "Medicaid's denial probability for these products under the state's access policy (your assumption); "
        "none: the Medicaid payer's"))


class RiskThresholds(BaseModel):
    """Expected net loss per patient as a share of the mean acquisition cost: at or above `moderate` the risk is
    moderate, at or above `high` it is high. Institutions set their own."""

    model_config = ConfigDict(extra="forbid")

    moderate: Probability = 0.05
    high: Probability = 0.15

    @model_validator(mode="after")
    def _ordered(self) -> "RiskThresholds":
        if self.high < self.moderate:
            raise ValueError("high must not be below moderate")
        return self


class ReimbursementInputs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    products: Annotated[list[ProductPlan], Field(min_length=1, max_length=10)]
    payers: Annotated[dict[PayerName, PayerTerms], Field(min_length=1)]
    horizon_years: Annotated[int, Field(ge=1, le=30)] = 5
    cost_of_capital: Probability = Field(default=0.06, description="Annual rate")
    wastage_probability: Probability = 0.02
    prior_authorization_denial_factor: Probability = Field(
        default=0.5, description="Denial probability is multiplied by this when prior authorization is in place")
    single_case_agreement_denial_factor: Probability = Field(
        default=0.25, description="... and by this when a single-case agreement is in place")
    outcomes_agreement: OutcomesAgreement | None = None
    instalments: InstalmentPlan | None = None
    access_model: AccessModelTerms | None = None
    thresholds: RiskThresholds = RiskThresholds()
    simulation_runs: Annotated[int, Field(ge=100, le=100_000)] = 10_000
    seed: Annotated[int, Field(ge=0, lt=SEEDS)] = 2026

    @field_validator("payers")
    @classmethod
    def _payer_mix_is_whole(cls, payers: dict[PayerName, PayerTerms]) -> dict[PayerName, PayerTerms]:
        total = sum(terms.share for terms in payers.values())
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"the payer shares must sum to 100% (they sum to {total:.1%})")
        return payers

    @model_validator(mode="after")
    def _access_model_fits_the_plan(self) -> "ReimbursementInputs":
        terms = self.access_model
        if terms is None:
            return self
        planned = {plan.product for plan in self.products}
        unplanned = [product for product in terms.products if product not in planned]
        if unplanned:
            raise ValueError(f"access_model.products: {', '.join(unplanned)} is not among the planned products")
        if PayerName.MEDICAID not in self.payers:
            raise ValueError("access_model: the payer mix has no medicaid payer for the model to apply to")
        others = sum(t.share for name, t in self.payers.items() if name != PayerName.MEDICAID)
        if terms.medicaid_share is not None and terms.medicaid_share < 1 and others <= 0:
            raise ValueError("access_model.medicaid_share: no other payer in the mix to cover the remaining patients")
        return self

    @field_validator("simulation_runs")
    @classmethod
    def _simulation_fits(cls, runs: int, info: ValidationInfo) -> int:
        """Every run draws each dose of the horizon: bound their product by what the simulation holds in memory."""
        products, horizon = info.data.get("products"), info.data.get("horizon_years")
        if products is None or horizon is None:
            return runs  # reported on their own fields
        doses = sum(plan.patients_per_year for plan in products) * horizon
        if doses * runs > MAX_SIMULATED_DOSES:
            most = MAX_SIMULATED_DOSES // doses
            fix = f"use at most {most} runs" if most >= 100 else "plan fewer patients or a shorter horizon"
            raise ValueError(f"{runs} runs of {doses} doses is more than the model simulates at once "
                             f"({MAX_SIMULATED_DOSES:,} doses in all): {fix}")
        return runs


class LossDistribution(BaseModel):
    mean: float
    median: float
    p90: float
    p95: float


class CashPoint(BaseModel):
    month: int
    expected: float
    worst_case: float


class Sensitivity(BaseModel):
    input: str
    low_value: float
    high_value: float
    low_expected_loss: float
    high_expected_loss: float
    swing: float


class ReimbursementResult(BaseModel):
    patients: int
    expected_loss_per_patient: float
    expected_loss_per_year: float
    cohort_loss: LossDistribution  # total over the horizon, from the seeded simulation
    simulated_mean_per_patient: float
    peak_cash_outstanding: float
    peak_cash_month: int
    peak_cash_outstanding_worst_case: float
    cash_outstanding: list[CashPoint]
    sensitivity: list[Sensitivity]
    risk_level: str
    loss_share_of_cost: float
