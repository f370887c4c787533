"""Charts as inline SVG, drawn here so the PDF needs no charting library and fetches nothing."""

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

from app.reports.schemas import ReportArea

BAR_COLOUR = "#1f5f8b"
TRACK_COLOUR = "#e6ebf0"
INK = "#1d2733"


def area_readiness_chart(areas: Sequence[ReportArea], width: int = 480, row: int = 26) -> Markup:
    """Horizontal bars, one per area, labelled with the area and its percentage."""
    label_width, value_width = 170, 44
    bar_width = width - label_width - value_width
    height = row * len(areas) + 6
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="Readiness by area">'
    ]
    for index, area in enumerate(areas):
        y = index * row + 4
        filled = max(0.0, min(1.0, area.ratio)) * bar_width
        parts += [
            f'<text x="0" y="{y + 13}" font-size="10.5" fill="{INK}">{escape(area.title)}</text>',
            f'<rect x="{label_width}" y="{y + 3}" width="{bar_width}" height="13" rx="3" fill="{TRACK_COLOUR}"/>',
            f'<rect x="{label_width}" y="{y + 3}" width="{filled:.1f}" height="13" rx="3" fill="{BAR_COLOUR}"/>',
            f'<text x="{width}" y="{y + 13}" font-size="10.5" font-weight="bold" text-anchor="end" '
            f'fill="{INK}">{area.ratio:.0%}</text>',
        ]
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  (every interpolated text is escaped above)
