"""The first-patient timeline as server-rendered SVG: no script, readable by a screen reader, scaled to any width."""

from datetime import date, timedelta
from html import escape

from markupsafe import Markup

from app.programs.schemas import Projection

WIDTH, LABEL, ROW, TOP, RIGHT = 320, 72, 22, 36, 8
MAX_ROWS = 8  # a longer critical path is listed in full in the text alternative below the chart
INK, MUTED, BAR, SLIP, LATE = "#1d2733", "#5b6b7b", "#1f5f8b", "#d08a1e", "#b3261e"


def first_patient_timeline(projection: Projection) -> Markup:
    """Today to the projected date (or the target, if later): the critical path's items, oldest cause first, each as a
    marker at its projected finish with a bar over the days it slipped; the projected date and the target as lines."""
    start = projection.as_of
    end = max(d for d in (start + timedelta(days=1), projection.projected_date, projection.target) if d is not None)
    path = list(reversed(projection.critical_path))[:MAX_ROWS]
    height = TOP + ROW * max(len(path), 1) + 22
    span = (end - start).days or 1

    def x(day: date) -> float:
        offset = min(max((day - start).days, 0), span)
        return LABEL + (WIDTH - LABEL - RIGHT) * offset / span

    title = "First-patient timeline"
    if projection.projected_date is None:
        summary = "the first-patient date cannot be projected yet"
    else:
        summary = f"projected first-patient date {projection.projected_date}"
    if projection.target is not None:
        summary += f", target {projection.target}"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="100%" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="timeline-title timeline-desc" style="max-width:480px;display:block" id="timeline">',
        f'<title id="timeline-title">{title}</title>',
        f'<desc id="timeline-desc">From today ({start}): {escape(summary)}; the critical path is listed below.</desc>',
        f'<line x1="{LABEL}" y1="{TOP - 4}" x2="{WIDTH - RIGHT}" y2="{TOP - 4}" stroke="{MUTED}"/>',
        f'<text x="{LABEL}" y="11" font-size="10" fill="{MUTED}">Today {start}</text>',
    ]
    for index, item in enumerate(path):
        y = TOP + index * ROW
        parts.append(f'<text x="0" y="{y + 13}" font-size="11" font-family="monospace" fill="{INK}">'
                     f'{escape(item.key)}</text>')
        if item.finish is None:
            continue
        if item.slipped_days and item.due_date is not None:
            left, right = x(item.due_date), x(item.finish)
            parts.append(f'<rect x="{left:.1f}" y="{y + 4}" width="{right - left:.1f}" height="10" rx="2" '
                         f'fill="{SLIP}" opacity="0.55"/>')
        cx = x(item.finish)
        parts.append(f'<path d="M{cx:.1f} {y + 3} l6 6 l-6 6 l-6 -6 z" fill="{BAR}"/>')
    if projection.projected_date is not None:
        px = x(projection.projected_date)
        parts += [
            f'<line x1="{px:.1f}" y1="{TOP - 4}" x2="{px:.1f}" y2="{height - 16}" stroke="{BAR}" stroke-width="2"/>',
            f'<text x="{max(px, LABEL + 110):.1f}" y="{height - 4}" font-size="10" text-anchor="end" fill="{BAR}">'
            f'Projected {projection.projected_date}</text>',
        ]
    if projection.target is not None:
        tx = x(projection.target)
        label_x = min(max(tx, LABEL + 50), WIDTH - RIGHT - 50)  # centred on the line, kept inside the chart
        colour = LATE if projection.slip_days else MUTED
        parts += [
            f'<line x1="{tx:.1f}" y1="{TOP - 6}" x2="{tx:.1f}" y2="{height - 16}" stroke="{colour}" '
            f'stroke-width="1.5" stroke-dasharray="4 3"/>',
            f'<text x="{label_x:.1f}" y="{TOP - 9}" font-size="10" text-anchor="middle" fill="{colour}">'
            f'Target {projection.target}</text>',
        ]
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  (every interpolated text is escaped or a date)
