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


def _axis_label(value: float) -> str:
    return f"${value / 1e6:,.1f}M" if abs(value) >= 1e5 else f"{value:,.0f}"


def cash_outstanding_chart(series: Sequence[tuple[int, float, float]], width: int = 480, height: int = 170) -> Markup:
    """Cash outstanding by month: expected (filled) and worst case (dashed), with the expected peak marked."""
    left, bottom, top = 52, 22, 10
    plot_w, plot_h = width - left - 8, height - bottom - top
    top_value = max([max(e, w) for _, e, w in series] + [1.0])
    months = max(len(series) - 1, 1)

    def point(month: int, value: float) -> str:
        return f"{left + plot_w * month / months:.1f},{top + plot_h * (1 - value / top_value):.1f}"

    expected = " ".join(point(m, e) for m, e, _ in series)
    worst = " ".join(point(m, w) for m, _, w in series)
    peak_month, peak_value, _ = max(series, key=lambda p: p[1])
    px, py = point(peak_month, peak_value).split(",")
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="Cash outstanding by month">',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#8795a3"/>',
        f'<text x="{left - 4}" y="{top + 8}" font-size="8" text-anchor="end" fill="{INK}">'
        f"{escape(_axis_label(top_value))}</text>",
        f'<text x="{left - 4}" y="{top + plot_h}" font-size="8" text-anchor="end" fill="{INK}">0</text>',
        f'<polygon points="{left},{top + plot_h} {expected} {left + plot_w},{top + plot_h}" fill="#d6e6f2"/>',
        f'<polyline points="{expected}" fill="none" stroke="{BAR_COLOUR}" stroke-width="1.5"/>',
        f'<polyline points="{worst}" fill="none" stroke="#a3261b" stroke-width="1" stroke-dasharray="4 3"/>',
        f'<circle cx="{px}" cy="{py}" r="3" fill="{BAR_COLOUR}"/>',
        f'<text x="{left}" y="{height - 6}" font-size="8" fill="{INK}">month 0</text>',
        f'<text x="{left + plot_w}" y="{height - 6}" font-size="8" text-anchor="end" fill="{INK}">'
        f"month {months}</text>",
        "</svg>",
    ]
    return Markup("".join(parts))  # noqa: S704  (numbers only, and escaped labels)


def capacity_chart(years: Sequence[tuple[int, float, float, int]], width: int = 480, height: int = 170) -> Markup:
    """Visits needed per year as bars against the visit slots available (a line); short years in red."""
    left, bottom, top = 36, 22, 10
    plot_w, plot_h = width - left - 8, height - bottom - top
    top_value = max([max(v, s) for _, _, v, s in years] + [1.0]) * 1.1
    slot_w = plot_w / max(len(years), 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="Follow-up visits needed and available by year">']
    for index, (year, _patients, visits, slots) in enumerate(years):
        bar_h = plot_h * visits / top_value
        colour = "#a3261b" if visits > slots else BAR_COLOUR
        x = left + index * slot_w + slot_w * 0.15
        parts.append(f'<rect x="{x:.1f}" y="{top + plot_h - bar_h:.1f}" width="{slot_w * 0.7:.1f}" '
                     f'height="{bar_h:.1f}" fill="{colour}"/>')
        if len(years) <= 15 or year % 5 == 0 or year == 1:
            parts.append(f'<text x="{x + slot_w * 0.35:.1f}" y="{height - 8}" font-size="7.5" text-anchor="middle" '
                         f'fill="{INK}">{year}</text>')
    slots_y = top + plot_h * (1 - years[0][3] / top_value) if years else top
    parts += [
        f'<line x1="{left}" y1="{slots_y:.1f}" x2="{left + plot_w}" y2="{slots_y:.1f}" stroke="#1e6b3a" '
        'stroke-width="1.5" stroke-dasharray="5 3"/>',
        f'<text x="{left - 4}" y="{slots_y + 3:.1f}" font-size="8" text-anchor="end" fill="#1e6b3a">'
        f"{years[0][3] if years else 0}</text>",
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#8795a3"/>',
        "</svg>",
    ]
    return Markup("".join(parts))  # noqa: S704  (numbers only)
