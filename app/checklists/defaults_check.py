"""Validate checklists/planning-defaults.yaml the way libraries are validated: every problem with its line.

The planning models turn these numbers into dollars and clinic hours a finance lead signs off on, so each number
must say where it came from (`source`) or admit that it is a planning guess (`assumption: true`), and a billing
code is either a real code or an explicit null with a note saying why there is none yet.
"""

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from app.checklists.yaml_source import Problem, YamlSource, read_yaml

DEFAULTS_KIND = "planning-defaults"
# HCPCS Level II codes (J1411) and CPT codes (96365), the codes a payer item or a claim names.
BILLING_CODE = re.compile(r"^(?:[A-Z]\d{4}|\d{4}[0-9A-Z])$")
REQUIRED_TOP = ("version", "products", "follow_up", "payers", "cost_of_capital", "wastage_probability")
REQUIRED_PRODUCT = ("list_price_usd",)
PERIOD_KEYS = ("from_month", "to_month", "visits", "labs")

Loc = tuple[str | int, ...]


def _has_source(entry: dict[str, Any]) -> bool:
    source = entry.get("source")
    if isinstance(source, str):
        return bool(source.strip())
    if isinstance(source, list):
        return bool(source) and all(isinstance(s, str) and s.strip() for s in source)
    return False


class _Checker:
    def __init__(self, source: YamlSource) -> None:
        self.source = source
        self.problems: list[Problem] = []

    def add(self, loc: Sequence[str | int], message: str) -> None:
        self.problems.append(self.source.problem(loc, message))

    def mapping(self, value: Any, loc: Loc, what: str) -> dict[str, Any] | None:
        if isinstance(value, dict):
            return value
        self.add(loc, f"{what}: expected a mapping")
        return None

    def sourced(self, entry: dict[str, Any], loc: Loc, what: str) -> None:
        """A value, or a block of values, must name a source or say it is an assumption."""
        if entry.get("assumption") is True or _has_source(entry):
            return
        self.add(loc, f"{what}: needs a source or 'assumption: true'")

    def value(self, entry: Any, loc: Loc, what: str, *, number: bool = True) -> None:
        if not isinstance(entry, dict) or "value" not in entry:
            self.add(loc, f"{what}: expected a mapping with 'value' and 'source' (or 'assumption: true')")
            return
        if number and (isinstance(entry["value"], bool) or not isinstance(entry["value"], int | float)):
            self.add((*loc, "value"), f"{what}.value: expected a number, got {entry['value']!r}")
        self.sourced(entry, loc, what)

    def billing_code(self, entry: Any, loc: Loc, what: str) -> None:
        if not isinstance(entry, dict) or "value" not in entry:
            self.add(loc, f"{what}: expected a mapping with 'value' (a code, or null with a 'note')")
            return
        code = entry["value"]
        if code is None:
            note = entry.get("note")
            if not (isinstance(note, str) and note.strip()):
                self.add(loc, f"{what}: a null billing code needs a 'note' saying why there is none")
            return
        if not (isinstance(code, str) and BILLING_CODE.match(code)):
            self.add((*loc, "value"), f"{what}.value: '{code}' is not a billing code such as J1411 (or null)")
            return
        self.sourced(entry, loc, what)

    def unknown_price(self, entry: dict[str, Any], loc: Loc, what: str) -> None:
        """No price found is said explicitly: null with a note saying why (the models leave the product out)."""
        note = entry.get("note")
        if not (isinstance(note, str) and note.strip()):
            self.add(loc, f"{what}: a null price needs a 'note' saying why there is none")
        self.sourced(entry, loc, what)

    def check(self, data: Any) -> None:
        top = self.mapping(data, (), "planning defaults")
        if top is None:
            return
        if top.get("kind") != DEFAULTS_KIND:
            self.add(("kind",), f"kind: expected '{DEFAULTS_KIND}'")
        for key in REQUIRED_TOP:
            if key not in top:
                self.add((), f"{key}: required")
        for key in ("cost_of_capital", "wastage_probability"):
            if key in top:
                self.value(top[key], (key,), key)
        self._products(top.get("products"))
        self._follow_up(top.get("follow_up"))
        self._payers(top.get("payers"))

    def _products(self, value: Any) -> None:
        if value is None:
            return
        products = self.mapping(value, ("products",), "products")
        for product_id, entry in (products or {}).items():
            loc: Loc = ("products", product_id)
            product = self.mapping(entry, loc, f"products.{product_id}")
            if product is None:
                continue
            for key in REQUIRED_PRODUCT:
                if key not in product:
                    self.add(loc, f"products.{product_id}.{key}: required")
            for key, field in product.items():
                what = f"products.{product_id}.{key}"
                if key == "billing_code":
                    self.billing_code(field, (*loc, key), what)
                elif key in REQUIRED_PRODUCT and isinstance(field, dict) and field.get("value", 0) is None:
                    self.unknown_price(field, (*loc, key), what)
                elif isinstance(field, dict):
                    self.value(field, (*loc, key), what, number=key in REQUIRED_PRODUCT)

    def _follow_up(self, value: Any) -> None:
        if value is None:
            return
        follow_up = self.mapping(value, ("follow_up",), "follow_up")
        if follow_up is None:
            return
        if "coordinator_hours_per_visit" not in follow_up:
            self.add(("follow_up",), "follow_up.coordinator_hours_per_visit: required")
        else:
            what = "follow_up.coordinator_hours_per_visit"
            self.value(follow_up["coordinator_hours_per_visit"], ("follow_up", "coordinator_hours_per_visit"), what)
        schedules = self.mapping(follow_up.get("schedules"), ("follow_up", "schedules"), "follow_up.schedules")
        if schedules is None:
            return
        if "default" not in schedules:
            self.add(("follow_up", "schedules"), "follow_up.schedules.default: required")
        for name, entry in schedules.items():
            loc: Loc = ("follow_up", "schedules", name)
            schedule = self.mapping(entry, loc, f"follow_up.schedules.{name}")
            if schedule is None:
                continue
            self.sourced(schedule, loc, f"follow_up.schedules.{name}")
            periods = schedule.get("periods")
            if not isinstance(periods, list) or not periods:
                self.add(loc, f"follow_up.schedules.{name}.periods: expected a list of periods")
                continue
            for index, period in enumerate(periods):
                missing = [k for k in PERIOD_KEYS if not isinstance(period, dict) or not isinstance(period.get(k), int)]
                if missing:
                    message = f"follow_up.schedules.{name}.periods[{index}]: needs whole numbers {', '.join(missing)}"
                    self.add((*loc, "periods", index), message)

    def _payers(self, value: Any) -> None:
        if value is None:
            return
        payers = self.mapping(value, ("payers",), "payers")
        for name, entry in (payers or {}).items():
            terms = self.mapping(entry, ("payers", name), f"payers.{name}")
            if terms is not None:
                self.sourced(terms, ("payers", name), f"payers.{name}")


def check_planning_defaults(path: Path) -> list[Problem]:
    """Every problem of a planning-defaults file, each with its line; none means the file is sound."""
    source, problems = read_yaml(path)
    if source is None:
        return problems
    checker = _Checker(source)
    checker.check(source.data)
    return [*problems, *checker.problems]


def is_planning_defaults(path: Path) -> bool:
    source, _ = read_yaml(path)
    return source is not None and isinstance(source.data, dict) and source.data.get("kind") == DEFAULTS_KIND
