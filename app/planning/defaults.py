"""Planning defaults (list prices, follow-up schedules, per-patient resources, payer assumptions) read from
checklists/planning-defaults.yaml, where each value names its source."""

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from app.config import PROJECT_ROOT
from app.followup.schemas import CapacityInputs, ProductFollowUp, SchedulePeriod
from app.risk.schemas import PayerTerms, ProductPlan, ReimbursementInputs

DEFAULTS_FILE = PROJECT_ROOT / "checklists" / "planning-defaults.yaml"


@lru_cache(maxsize=4)
def planning_defaults(path: Path = DEFAULTS_FILE) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or data.get("kind") != "planning-defaults":
        raise ValueError(f"{path}: not a planning-defaults file")
    return data


def _value(entry: Any) -> Any:
    return entry["value"] if isinstance(entry, dict) and "value" in entry else entry


def list_price(product: str) -> float | None:
    """The product's sourced list price; None when the defaults have none (unknown product, or null with a note)."""
    entry = planning_defaults()["products"].get(product, {}).get("list_price_usd")
    value = _value(entry)
    return float(value) if isinstance(value, int | float) else None


def per_patient_resources(product: str) -> dict[str, float]:
    """Shared-resource use per patient from the defaults: infusion-chair sessions, apheresis collections (days
    per collection round × (1 + the failed-collection allowance of extra rounds)) and transplant bed-days."""
    entry = planning_defaults()["products"].get(product, {})
    days = _value(entry.get("apheresis_days_per_cycle")) or 0
    extra = _value(entry.get("extra_collection_cycles")) or 0
    return {
        "infusion_chair_sessions_per_patient": float(_value(entry.get("infusion_chair_sessions")) or 0),
        "apheresis_collections_per_patient": float(days * (1 + extra)),
        "transplant_bed_days_per_patient": float(_value(entry.get("transplant_bed_days")) or 0),
    }


def access_model_defaults() -> dict[str, Any]:
    """The CGT Access Model's covered products and the sourced Medicaid share of people with SCD (form hints)."""
    terms = planning_defaults().get("payment_arrangements", {}).get("cgt_access_model", {})
    return {"products": list(_value(terms.get("products")) or []),
            "medicaid_share": _value(terms.get("medicaid_share_scd"))}


def default_reimbursement_inputs(products: list[str], patients_per_year: int = 2) -> ReimbursementInputs:
    defaults = planning_defaults()
    plans = [
        ProductPlan(product=p, acquisition_cost=price, patients_per_year=patients_per_year)
        for p in products
        if (price := list_price(p)) is not None  # no price found (null with a note): the user enters one
    ]
    payers = {
        name: PayerTerms(**{k: v for k, v in terms.items() if k != "assumption"})
        for name, terms in defaults["payers"].items()
    }
    return ReimbursementInputs(
        products=plans,
        payers=payers,
        cost_of_capital=_value(defaults["cost_of_capital"]),
        wastage_probability=_value(defaults["wastage_probability"]),
    )


def default_capacity_inputs(products: list[str], patients_per_year: int = 2, horizon_years: int = 15) -> CapacityInputs:
    defaults = planning_defaults()["follow_up"]
    schedules = defaults["schedules"]
    return CapacityInputs(
        horizon_years=horizon_years,
        products=[
            ProductFollowUp(
                product=p,
                patients_per_year=[patients_per_year] * min(5, horizon_years),
                schedule=[SchedulePeriod(**period) for period in schedules.get(p, schedules["default"])["periods"]],
                **per_patient_resources(p),
            )
            for p in products
        ],
        visit_slots_per_year=120,
        coordinator_hours_per_year=400,
        lab_capacity_per_year=200,
        coordinator_hours_per_visit=_value(defaults["coordinator_hours_per_visit"]),
    )
