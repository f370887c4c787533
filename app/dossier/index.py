"""The dossier's index PDF: its own template (report_templates/dossier_index.html), the reports' asset fetcher."""

from datetime import datetime
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from app.reports.render import TEMPLATES, html_to_pdf
from app.web.templating import STATUS_LABELS, role_label, when

_ENVIRONMENT = Environment(
    loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True), undefined=StrictUndefined
)
_ENVIRONMENT.filters.update(role_label=role_label, when=when)
_ENVIRONMENT.globals.update(STATUS_LABELS=STATUS_LABELS)


def render_index(manifest: dict[str, Any], generated_at: datetime) -> bytes:
    html = _ENVIRONMENT.get_template("dossier_index.html").render(dossier=manifest, generated_at=generated_at)
    return html_to_pdf(html)
