"""The dossier's index PDF: its own template (report_templates/dossier_index.html), the reports' asset fetcher."""

from datetime import datetime
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from app.checklists.schema import evidence_kind_label
from app.formatting import FILTERS
from app.reports.render import TEMPLATES, html_to_pdf
from app.web.templating import STATUS_LABELS, role_label

_ENVIRONMENT = Environment(
    loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True), undefined=StrictUndefined
)
_ENVIRONMENT.filters.update(FILTERS, role_label=role_label, evidence_kind=evidence_kind_label)
_ENVIRONMENT.globals.update(STATUS_LABELS=STATUS_LABELS)


def render_index(manifest: dict[str, Any], generated_at: datetime, time_zone: str = "UTC") -> bytes:
    html = _ENVIRONMENT.get_template("dossier_index.html").render(dossier=manifest, generated_at=generated_at,
                                                                  time_zone=time_zone)
    return html_to_pdf(html)
