"""Report data → Jinja2 → HTML → PDF (WeasyPrint), fetching nothing but the packaged template assets.

Chinese, Japanese, Korean and emoji come from system fonts (Debian fonts-noto-cjk, fonts-noto-color-emoji) that
Pango finds by family name through fontconfig, as report.css names them: they never pass through the URL fetcher,
which therefore still serves only the templates folder."""

import io
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from pypdf import PdfReader
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from app.config import PROJECT_ROOT
from app.reports.charts import area_readiness_chart, capacity_chart, cash_outstanding_chart
from app.reports.schemas import ReportData
from app.web.templating import STATUS_LABELS, percent, role_label, when

TEMPLATES = PROJECT_ROOT / "report_templates"


class TemplateAssetFetcher(URLFetcher):  # type: ignore[misc]  # WeasyPrint ships no type hints
    """Serves files from the report templates folder and refuses every other URL (other hosts, other files,
    data: URLs), so text a user typed can never make the renderer read or send anything."""

    def __init__(self, root: Path = TEMPLATES) -> None:
        super().__init__(allowed_protocols=["file"])
        self.root = root.resolve()
        self.served: list[str] = []
        self.refused: list[str] = []

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        path = Path(url.removeprefix("file://").split("?")[0]).resolve() if url.startswith("file://") else None
        if path is None or not path.is_relative_to(self.root) or not path.is_file():
            self.refused.append(url)
            raise ValueError(f"report rendering fetches only packaged template assets, not {url[:80]}")
        self.served.append(str(path))
        return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": _content_type(path)})


def _content_type(path: Path) -> str:
    return {".css": "text/css", ".woff2": "font/woff2", ".ttf": "font/ttf"}.get(path.suffix, "application/octet-stream")


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True), undefined=StrictUndefined
    )
    env.filters.update(percent=percent, role_label=role_label, when=when, delta=_delta, money=_money)
    env.globals.update(STATUS_LABELS=STATUS_LABELS, area_readiness_chart=area_readiness_chart,
                       cash_outstanding_chart=cash_outstanding_chart, capacity_chart=capacity_chart)
    return env


def _delta(value: float | None) -> str:
    if value is None:
        return "—"
    points = round(value * 100)
    return f"{points:+d} points" if points else "no change"


def _money(value: float) -> str:
    return f"${value:,.0f}"


ENVIRONMENT = _environment()


def render_html(data: ReportData, data_sha256: str) -> str:
    template = ENVIRONMENT.get_template(f"{data.kind.value}.html")
    return template.render(report=data, data_sha256=data_sha256)


def html_to_pdf(html: str, fetcher: TemplateAssetFetcher | None = None) -> bytes:
    fetcher = fetcher or TemplateAssetFetcher()
    pdf: bytes = HTML(string=html, base_url=TEMPLATES.as_uri() + "/", url_fetcher=fetcher).write_pdf()
    return pdf


def render_pdf(data: ReportData, data_sha256: str, fetcher: TemplateAssetFetcher | None = None) -> bytes:
    return html_to_pdf(render_html(data, data_sha256), fetcher)


def page_count(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages)
