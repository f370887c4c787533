"""Jinja2 for the web pages: autoescaped, strict about undefined names, with the few filters pages share."""

from datetime import date, datetime
from pathlib import Path

from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from app.auth.roles import ROLE_LABELS, Role
from app.checklists.schema import evidence_kind_label
from app.formatting import DEFAULT_TIME_ZONE, FILTERS, format_datetime, format_percent

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"

STATUS_LABELS = {
    "not_started": "Not started",
    "in_progress": "In progress",
    "done": "Done, awaiting sign-off",
    "signed_off": "Signed off",
    "not_applicable": "Not applicable",
}


percent = format_percent


def role_label(role: str) -> str:
    try:
        return ROLE_LABELS[Role(role)]
    except ValueError:
        return role


def when(value: datetime | date | None, time_zone: str | None = DEFAULT_TIME_ZONE) -> str:
    """For Python callers; templates use the `when` filter, which takes the zone from the page."""
    return format_datetime(value, time_zone)


def make_templates() -> Jinja2Templates:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR), autoescape=select_autoescape(default=True), undefined=StrictUndefined
    )
    templates = Jinja2Templates(env=env)
    templates.env.filters.update(FILTERS, role_label=role_label, evidence_kind=evidence_kind_label)
    templates.env.globals.update(STATUS_LABELS=STATUS_LABELS)
    return templates
