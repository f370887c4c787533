"""Readiness rules that hold whatever the storage: what counts as complete, which transitions exist."""

from datetime import date

from app.checklists.schema import Criticality
from app.programs.models import ItemStatus

# Signing off is not a status anyone sets: it happens through a sign-off, and leaves through a revocation.
TRANSITIONS: dict[ItemStatus, frozenset[ItemStatus]] = {
    ItemStatus.NOT_STARTED: frozenset({ItemStatus.IN_PROGRESS, ItemStatus.DONE, ItemStatus.NOT_APPLICABLE}),
    ItemStatus.IN_PROGRESS: frozenset({ItemStatus.NOT_STARTED, ItemStatus.DONE, ItemStatus.NOT_APPLICABLE}),
    ItemStatus.DONE: frozenset({ItemStatus.NOT_STARTED, ItemStatus.IN_PROGRESS, ItemStatus.NOT_APPLICABLE}),
    ItemStatus.NOT_APPLICABLE: frozenset({ItemStatus.NOT_STARTED, ItemStatus.IN_PROGRESS}),
    ItemStatus.SIGNED_OFF: frozenset(),
}


def counts_as_complete(status: str, criticality: str, lapses_on: date | None, today: date) -> bool:
    """Signed off, or done for a non-blocker; either way not lapsed. Only a signature completes a blocker."""
    if lapses_on is not None and lapses_on <= today:
        return False
    if status == ItemStatus.SIGNED_OFF:
        return True
    return status == ItemStatus.DONE and criticality != Criticality.BLOCKER


def add_months(day: date, months: int) -> date:
    """`day` plus whole months, clamped to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    next_month_first = date(year + month // 12, month % 12 + 1, 1)
    last_day = (next_month_first - date.resolution).day
    return date(year, month, min(day.day, last_day))
