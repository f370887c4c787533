"""Numbers, dates and times as people read them, one format everywhere a person reads one: pages, exports, PDF
reports, packets, dossiers and emails. Dates read "30 Nov 2026"; times "30 Nov 2026, 14:05 EST" in the
institution's time zone (its `time_zone` setting, an IANA name). Machine formats stay ISO 8601 (the JSON API,
`<time datetime>` attributes, iCalendar).

The Jinja filters read the zone from the template's `time_zone` variable (UTC when a template has none), so a
template writes `{{ item.updated_at | when }}` and never names a zone itself."""

from datetime import UTC, date, datetime, tzinfo
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from jinja2 import pass_context
from jinja2.runtime import Context

DEFAULT_TIME_ZONE = "UTC"
DASH = "—"  # what a missing date, time or number reads as

# The zones the admin page offers first (US hospitals); any other IANA name is accepted too.
COMMON_TIME_ZONES = (
    "America/New_York", "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles",
    "America/Anchorage", "Pacific/Honolulu", "America/Puerto_Rico", "UTC",
)


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones()) | {"UTC"}


def valid_time_zone(name: str) -> str:
    """The IANA zone name unchanged, or ValueError naming what was wrong (for a 422 naming the field)."""
    if name not in _known_zones():
        raise ValueError(f"unknown time zone {name[:60]!r}; use an IANA name such as America/New_York or UTC")
    return name


@lru_cache(maxsize=64)
def zone(name: str | None) -> tzinfo:
    """The zone of that name; UTC for None or a name this machine does not know (a snapshot from elsewhere)."""
    if not name or name == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def _as_datetime(value: object) -> datetime | date | None:
    if isinstance(value, str):  # a snapshot's or manifest's ISO text
        try:
            return datetime.fromisoformat(value) if "T" in value or " " in value else date.fromisoformat(value)
        except ValueError:
            return None
    return value if isinstance(value, date) else None


def format_date(value: object, time_zone: str | None = DEFAULT_TIME_ZONE) -> str:
    """'30 Nov 2026'; a time is first moved into the zone (late on the 30th in UTC may be the 30th in New York)."""
    found = _as_datetime(value)
    if found is None:
        return DASH if value is None or value == "" else str(value)
    if isinstance(found, datetime):
        found = _local(found, time_zone).date()
    return f"{found.day} {found:%b %Y}"


def format_datetime(value: object, time_zone: str | None = DEFAULT_TIME_ZONE) -> str:
    """'30 Nov 2026, 14:05 EST' in the zone (its abbreviation follows daylight saving time); a date alone as a date."""
    found = _as_datetime(value)
    if found is None:
        return DASH if value is None or value == "" else str(value)
    if not isinstance(found, datetime):
        return format_date(found)
    local = _local(found, time_zone)
    return f"{local.day} {local:%b %Y, %H:%M} {local.tzname() or 'UTC'}"


def _local(value: datetime, time_zone: str | None) -> datetime:
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)  # the database stores UTC
    return aware.astimezone(zone(time_zone))


def format_money(value: float | int | None) -> str:
    """'$3,500,000' (whole dollars), '-$1,200' below zero."""
    if value is None:
        return DASH
    sign = "-" if value < 0 else ""
    return f"{sign}${abs(value):,.0f}"


def format_count(value: float | int | None) -> str:
    """'1,234'."""
    if value is None:
        return DASH
    return f"{round(value):,}"


def format_percent(ratio: float | None, digits: int = 0) -> str:
    """A fraction as a percentage: 0.6 → '60%'."""
    if ratio is None:
        return DASH
    return f"{ratio * 100:,.{digits}f}%"


def _zone_of(context: Context) -> str:
    found = context.get("time_zone")
    return found if isinstance(found, str) and found else DEFAULT_TIME_ZONE


@pass_context
def when_filter(context: Context, value: object) -> str:
    return format_datetime(value, _zone_of(context))


@pass_context
def day_filter(context: Context, value: object) -> str:
    return format_date(value, _zone_of(context))


def short_hash(value: str | None, length: int = 12) -> str:
    return (value or "")[:length]


FILTERS: dict[str, Any] = {
    "when": when_filter,
    "day": day_filter,
    "money": format_money,
    "count": format_count,
    "percent": format_percent,
    "short_hash": short_hash,
}
