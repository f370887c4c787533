"""Planning scenario inputs as a flat HTML form and back.

Form fields are named by their path in the scenario schema (`payers.commercial.denial_probability`,
`products.0.schedule.2.to_month`), so pydantic's error locations name the field to show each error next to.
The values stay strings until the schema validates them: on an error the page shows exactly what was typed.

Shares, probabilities, rates and factors are fractions (0.6) in the scenario and the API, but people read and type
percentages (60): the form shows them as percentages and turns them back into fractions here, at its boundary.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError

from app.planning.schemas import CapacityScenarioBody, ReimbursementScenarioBody, ScenarioKind
from app.risk.schemas import (
    AccessModelTerms,
    InstalmentPlan,
    OutcomesAgreement,
    PayerName,
    PayerTerms,
    RiskThresholds,
)

Form = dict[str, str]

PAYER_FIELDS = [name for name, info in PayerTerms.model_fields.items() if info.annotation is not bool]
PAYER_FLAGS = [name for name, info in PayerTerms.model_fields.items() if info.annotation is bool]
OUTCOMES_FIELDS = list(OutcomesAgreement.model_fields)
INSTALMENT_FIELDS = list(InstalmentPlan.model_fields)
ACCESS_MODEL_FIELDS = list(AccessModelTerms.model_fields)
RESOURCE_FIELDS = ["infusion_chair_sessions_per_patient", "apheresis_collections_per_patient",
                   "transplant_bed_days_per_patient"]
SHARED_CAPACITY_FIELDS = ["infusion_chair_sessions_per_year", "apheresis_slots_per_year",
                          "transplant_bed_days_per_year"]
THRESHOLD_FIELDS = list(RiskThresholds.model_fields)
PERIOD_FIELDS = ["from_month", "to_month", "visits", "labs"]
BLANK_PERIOD_ROWS = 2  # empty schedule rows offered to add periods
# Fractions from 0 to 1 the form shows and takes as percentages.
PAYER_PERCENT_FIELDS = {"share", "denial_probability", "partial_payment_probability", "partial_payment_share"}
PERCENT_FIELDS = {
    "cost_of_capital", "wastage_probability", "prior_authorization_denial_factor",
    "single_case_agreement_denial_factor", "outcomes_agreement.refund_share", "outcomes_agreement.failure_probability",
    "access_model.medicaid_share", "access_model.medicaid_denial_probability", "thresholds.moderate",
    "thresholds.high", "annual_attrition",
}


def is_percent(name: str) -> bool:
    """Whether the form field is a fraction shown as a percentage."""
    parts = name.split(".")
    return name in PERCENT_FIELDS or (len(parts) == 3 and parts[0] == "payers" and parts[2] in PAYER_PERCENT_FIELDS)


def _scaled(text: str, factor: Decimal) -> str | None:
    """The number in `text` multiplied by `factor`, written plainly (no float noise, no exponent); None if no number."""
    try:
        value = Decimal(text.strip().removesuffix("%").strip()) * factor
    except InvalidOperation:
        return None
    if not value.is_finite():
        return None
    plain = format(value.normalize(), "f")
    return "0" if plain in {"-0", ""} else plain


def as_percentages(form: Form) -> Form:
    """Saved fractions → the percentages the form shows (0.6 → 60)."""
    return {name: (_scaled(value, Decimal(100)) or value) if is_percent(name) else value
            for name, value in form.items()}


def as_fractions(form: Mapping[str, str]) -> Form:
    """Typed percentages → the fractions the schema takes (60 or 60% → 0.6); what is not a number stays as typed,
    for the schema to refuse by name."""
    return {name: (_scaled(value, Decimal("0.01")) or value) if is_percent(name) and value.strip() else value
            for name, value in form.items()}


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def flatten(inputs: Mapping[str, Any]) -> Form:
    """Scenario inputs (as saved) to form values, fractions as percentages."""
    return as_percentages(_flatten(inputs))


def _flatten(inputs: Mapping[str, Any], prefix: str = "") -> Form:
    """Lists of numbers become one comma-separated field."""
    form: Form = {}
    for key, value in inputs.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            form |= _flatten(value, f"{name}.")
        elif isinstance(value, list) and all(isinstance(v, Mapping) for v in value):
            for index, row in enumerate(value):
                form |= _flatten(row, f"{name}.{index}.")
        elif isinstance(value, list):
            form[name] = ", ".join(_text(v) for v in value)
        elif isinstance(value, bool):
            if value:
                form[name] = "on"
        elif value is not None:
            form[name] = _text(value)
    return form


def row_indices(form: Mapping[str, str], prefix: str) -> list[int]:
    """The row numbers present on the form under `prefix` (`products.` -> 0, 1, ...)."""
    pattern = re.compile(rf"^{re.escape(prefix)}(\d+)\.")
    return sorted({int(match.group(1)) for key in form if (match := pattern.match(key))})


def _pick(form: Mapping[str, str], prefix: str, names: list[str]) -> dict[str, str]:
    return {name: form.get(f"{prefix}{name}", "").strip() for name in names}


def _blank(values: Mapping[str, str]) -> bool:
    return not any(values.values())


@dataclass
class Payload:
    """Nested inputs ready for the schema, and where each list entry came from on the form."""

    body: dict[str, Any]
    # (list path) -> form row index of each list entry, for lists whose blank rows were dropped
    rows: dict[str, list[int]] = field(default_factory=dict)


def _reimbursement_payload(form: Mapping[str, str]) -> Payload:
    common = ["horizon_years", "cost_of_capital", "wastage_probability", "prior_authorization_denial_factor",
              "single_case_agreement_denial_factor", "simulation_runs", "seed"]
    inputs: dict[str, Any] = _pick(form, "", common)
    inputs["products"] = [_pick(form, f"products.{i}.", ["product", "acquisition_cost", "patients_per_year"])
                          for i in row_indices(form, "products.")]
    payers: dict[str, Any] = {}
    for payer in PayerName:
        terms: dict[str, Any] = _pick(form, f"payers.{payer.value}.", PAYER_FIELDS)
        if _blank(terms):  # a payer left blank is not part of the mix
            continue
        payers[payer.value] = terms | {flag: f"payers.{payer.value}.{flag}" in form for flag in PAYER_FLAGS}
    inputs["payers"] = payers
    outcomes = _pick(form, "outcomes_agreement.", OUTCOMES_FIELDS)
    inputs["outcomes_agreement"] = None if _blank(outcomes) else outcomes
    instalments = _pick(form, "instalments.", INSTALMENT_FIELDS)
    inputs["instalments"] = None if _blank(instalments) else instalments
    access: dict[str, Any] = _pick(form, "access_model.", ACCESS_MODEL_FIELDS)
    if _blank(access):
        inputs["access_model"] = None
    else:  # products as a comma-separated list; an empty optional number keeps the payer mix's value
        access["products"] = _numbers(access["products"])
        inputs["access_model"] = {k: v for k, v in access.items() if v != ""}
    inputs["thresholds"] = _pick(form, "thresholds.", THRESHOLD_FIELDS)
    return Payload({"name": form.get("name", ""), "inputs": inputs})


def _numbers(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[,;\s]+", text.strip()) if part.strip()]


def _capacity_payload(form: Mapping[str, str]) -> Payload:
    common = ["horizon_years", "visit_slots_per_year", "coordinator_hours_per_year", "lab_capacity_per_year",
              "coordinator_hours_per_visit", "annual_attrition", "hours_per_fte"]
    inputs: dict[str, Any] = _pick(form, "", common)
    # the institution's shared resources: optional, a blank one is not stated
    inputs |= {k: v for k, v in _pick(form, "", SHARED_CAPACITY_FIELDS).items() if v != ""}
    payload = Payload({"name": form.get("name", ""), "inputs": inputs})
    products: list[dict[str, Any]] = []
    for i in row_indices(form, "products."):
        prefix = f"products.{i}."
        kept = [j for j in row_indices(form, f"{prefix}schedule.")
                if not _blank(_pick(form, f"{prefix}schedule.{j}.", PERIOD_FIELDS))]
        payload.rows[f"products.{len(products)}.schedule"] = kept
        products.append({
            "product": form.get(f"{prefix}product", ""),
            "patients_per_year": _numbers(form.get(f"{prefix}patients_per_year", "")),
            "schedule": [_pick(form, f"{prefix}schedule.{j}.", PERIOD_FIELDS) for j in kept],
        } | {k: v for k, v in _pick(form, prefix, RESOURCE_FIELDS).items() if v != ""})
    inputs["products"] = products
    return payload


BODIES: dict[ScenarioKind, type[ReimbursementScenarioBody] | type[CapacityScenarioBody]] = {
    ScenarioKind.REIMBURSEMENT: ReimbursementScenarioBody,
    ScenarioKind.CAPACITY: CapacityScenarioBody,
}


def _field_of(loc: tuple[int | str, ...], payload: Payload) -> tuple[str, str]:
    """The form field an error location points at, and a prefix for the message if it names part of a field."""
    path = [str(part) for part in loc]
    if path[:1] == ["inputs"]:
        path = path[1:]
    for index in range(len(path) - 1):  # schedule rows: list position -> the row the user typed in
        rows = payload.rows.get(".".join(path[: index + 1]))
        if rows is not None and path[index + 1].isdigit() and int(path[index + 1]) < len(rows):
            path[index + 1] = str(rows[int(path[index + 1])])
    if len(path) >= 4 and path[0] == "products" and path[2] == "patients_per_year":
        return ".".join(path[:3]), f"year {int(path[3]) + 1}: "
    return ".".join(path), ""


BOUND_WORDS = {"less_than_equal": ("le", "at most"), "less_than": ("lt", "less than"),
               "greater_than_equal": ("ge", "at least"), "greater_than": ("gt", "more than")}


def _message(error: Mapping[str, Any], percent: bool = False) -> str:
    if error["type"] in {"float_parsing", "int_parsing", "missing"} and error.get("input") in ("", None):
        return "enter a number"
    if percent and error["type"] in BOUND_WORDS:  # the schema's bound is a fraction; the person typed a percentage
        key, words = BOUND_WORDS[error["type"]]
        bound = _scaled(str(error.get("ctx", {}).get(key, "")), Decimal(100))
        if bound is not None:
            return f"must be {words} {bound}%"
    if percent and error["type"] in {"float_parsing", "float_type"}:
        return "enter a percentage, e.g. 60"
    return str(error["msg"]).removeprefix("Value error, ")


ScenarioBody = ReimbursementScenarioBody | CapacityScenarioBody


def validate(kind: ScenarioKind, form: Mapping[str, str]) -> tuple[ScenarioBody | None, dict[str, str]]:
    """The scenario body if the form is valid; otherwise the errors by field name ("" for the form as a whole)."""
    form = as_fractions(form)
    payload = _reimbursement_payload(form) if kind == ScenarioKind.REIMBURSEMENT else _capacity_payload(form)
    try:
        return BODIES[kind].model_validate(payload.body), {}
    except ValidationError as error:
        errors: dict[str, str] = {}
        for detail in error.errors():
            name, prefix = _field_of(detail["loc"], payload)
            message = prefix + _message(detail, is_percent(name))
            errors[name] = f"{errors[name]}; {message}" if name in errors else message
        return None, errors


def blank_schedule_rows(form: Mapping[str, str], product_index: int) -> list[int]:
    """Row indices to render for a product's schedule: the rows on the form, then a few empty ones."""
    rows = row_indices(form, f"products.{product_index}.schedule.")
    start = rows[-1] + 1 if rows else 0
    return rows + list(range(start, start + BLANK_PERIOD_ROWS))


def field_label(name: str) -> str:
    """A readable name for an error summary: `payers.commercial.share` -> `Payers › commercial › share`."""
    if not name:
        return "Scenario"
    parts = [part.replace("_", " ") for part in name.split(".")]
    parts = [f"row {int(p) + 1}" if p.isdigit() else p for p in parts]
    return " › ".join(parts).capitalize()
