"""Planning defaults (list prices, follow-up schedules, payer assumptions) read from
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


def default_reimbursement_inputs(products: list[str], patients_per_year: int = 2) -> ReimbursementInputs:
    defaults = planning_defaults()
    plans = [
        ProductPlan(product=p, acquisition_cost=_value(defaults["products"][p]["list_price_usd"]),
                    patients_per_year=patients_per_year)
        for p in products
        if p in defaults["products"]
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
            )
            for p in products
        ],
        visit_slots_per_year=120,
        coordinator_hours_per_year=400,
        lab_capacity_per_year=200,
        coordinator_hours_per_visit=_value(defaults["coordinator_hours_per_visit"]),
    )
