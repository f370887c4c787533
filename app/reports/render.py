"""Report data → Jinja2 → HTML → PDF (WeasyPrint), fetching nothing but the packaged template assets.

Chinese, Japanese, Korean and emoji come from system fonts (Debian fonts-noto-cjk, fonts-noto-color-emoji) that
Pango finds by family name through fontconfig, as report.css names them: they never pass through the URL fetcher,
which therefore still serves only the templates folder.

Every report is a draft until a champion marks it final: a draft's pages carry a diagonal DRAFT watermark, and the
final PDF is rendered again from the same snapshot without it. The institution's logo comes from the snapshot
(app/branding), served to WeasyPrint from memory under one fixed name in the templates folder, never from a URL."""

import base64
import io
import re
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from pypdf import PdfReader
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from app.checklists.schema import evidence_kind_label
from app.config import PROJECT_ROOT
from app.formatting import FILTERS
from app.reports.charts import area_readiness_chart, capacity_chart, cash_outstanding_chart
from app.reports.schemas import ReportData
from app.web.templating import STATUS_LABELS, role_label

TEMPLATES = PROJECT_ROOT / "report_templates"
LOGO = "_branding/logo.png"  # relative to the templates folder; exists only in memory, for the one rendering


class TemplateAssetFetcher(URLFetcher):  # type: ignore[misc]  # WeasyPrint ships no type hints
    """Serves files from the report templates folder and refuses every other URL (other hosts, other files,
    data: URLs), so text a user typed can never make the renderer read or send anything."""

    def __init__(self, root: Path = TEMPLATES, in_memory: Mapping[str, bytes] | None = None) -> None:
        super().__init__(allowed_protocols=["file"])
        self.root = root.resolve()
        self.served: list[str] = []
        self.refused: list[str] = []
        # Assets of this one rendering (the snapshot's logo), by their name relative to the templates folder.
        self.in_memory: dict[str, bytes] = {str(self.root / name): body for name, body in (in_memory or {}).items()}

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        path = Path(url.removeprefix("file://").split("?")[0]).resolve() if url.startswith("file://") else None
        if path is not None and str(path) in self.in_memory:
            self.served.append(str(path))
            return URLFetcherResponse(url, body=self.in_memory[str(path)], headers={"Content-Type": "image/png"})
        if path is None or not path.is_relative_to(self.root) or not path.is_file():
            self.refused.append(url)
            raise ValueError(f"report rendering fetches only packaged template assets, not {url[:80]}")
        self.served.append(str(path))
        return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": _content_type(path)})


def _content_type(path: Path) -> str:
    types = {".css": "text/css", ".woff2": "font/woff2", ".ttf": "font/ttf", ".png": "image/png"}
    return types.get(path.suffix, "application/octet-stream")


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True), undefined=StrictUndefined
    )
    env.filters.update(FILTERS, role_label=role_label, evidence_kind=evidence_kind_label, delta=_delta,
                       colour=_colour)
    env.globals.update(STATUS_LABELS=STATUS_LABELS, area_readiness_chart=area_readiness_chart,
                       cash_outstanding_chart=cash_outstanding_chart, capacity_chart=capacity_chart)
    return env


def _delta(value: float | None) -> str:
    if value is None:
        return "—"
    points = round(value * 100)
    return f"{points:+d} points" if points else "no change"


def _colour(value: str) -> str:
    """A #rrggbb colour, or the report's own blue: a snapshot from elsewhere (an import) cannot inject CSS."""
    return value if re.fullmatch(r"#[0-9a-fA-F]{6}", value or "") else "#174a6d"


ENVIRONMENT = _environment()


def render_html(
    data: ReportData, data_sha256: str, *, draft: bool = True, finalised: tuple[str, datetime] | None = None
) -> str:
    """The report's HTML; `draft` adds the DRAFT watermark, `finalised` (who, when) the final mark instead."""
    template = ENVIRONMENT.get_template(f"{data.kind.value}.html")
    return template.render(report=data, data_sha256=data_sha256, draft=draft, finalised=finalised, logo_url=LOGO,
                           time_zone=data.time_zone or "UTC")


def branding_assets(data: ReportData) -> dict[str, bytes]:
    """The in-memory files a report's HTML refers to: its snapshot's logo, if it has one."""
    if data.branding is None or not data.branding.logo_png_base64:
        return {}
    return {LOGO: base64.b64decode(data.branding.logo_png_base64)}


def html_to_pdf(html: str, fetcher: TemplateAssetFetcher | None = None) -> bytes:
    fetcher = fetcher or TemplateAssetFetcher()
    pdf: bytes = HTML(string=html, base_url=TEMPLATES.as_uri() + "/", url_fetcher=fetcher).write_pdf()
    return pdf


def render_pdf(
    data: ReportData, data_sha256: str, fetcher: TemplateAssetFetcher | None = None, *, draft: bool = True,
    finalised: tuple[str, datetime] | None = None,
) -> bytes:
    fetcher = fetcher or TemplateAssetFetcher()
    fetcher.in_memory.update({str(fetcher.root / name): body for name, body in branding_assets(data).items()})
    return html_to_pdf(render_html(data, data_sha256, draft=draft, finalised=finalised), fetcher)


def page_count(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages)
