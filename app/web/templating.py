"""Jinja2 for the web pages: autoescaped, strict about undefined names, with the few filters pages share."""

from datetime import date, datetime
from pathlib import Path

from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from app.auth.roles import ROLE_LABELS, Role

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"

STATUS_LABELS = {
    "not_started": "Not started",
    "in_progress": "In progress",
    "done": "Done, awaiting sign-off",
    "signed_off": "Signed off",
    "not_applicable": "Not applicable",
}


def percent(ratio: float) -> str:
    return f"{ratio * 100:.0f}%"


def role_label(role: str) -> str:
    try:
        return ROLE_LABELS[Role(role)]
    except ValueError:
        return role


def when(value: datetime | date | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    return value.isoformat()


def make_templates() -> Jinja2Templates:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR), autoescape=select_autoescape(default=True), undefined=StrictUndefined
    )
    templates = Jinja2Templates(env=env)
    templates.env.filters.update(percent=percent, role_label=role_label, when=when)
    templates.env.globals.update(STATUS_LABELS=STATUS_LABELS)
    return templates
