"""The one format people read dates, times and numbers in (app/formatting.py): times in the institution's zone,
daylight saving time included, and a dash for what is missing."""

from datetime import UTC, date, datetime

import pytest
from jinja2 import Environment, StrictUndefined

from app.checklists.schema import EVIDENCE_KINDS, evidence_kind_label
from app.formatting import (
    FILTERS,
    format_count,
    format_date,
    format_datetime,
    format_money,
    format_percent,
    valid_time_zone,
)

WINTER = datetime(2026, 11, 30, 19, 5, tzinfo=UTC)
SUMMER = datetime(2026, 7, 4, 19, 5, tzinfo=UTC)


def test_a_time_reads_in_the_zone_with_its_abbreviation_following_daylight_saving_time() -> None:
    assert format_datetime(WINTER, "America/New_York") == "30 Nov 2026, 14:05 EST"
    assert format_datetime(SUMMER, "America/New_York") == "4 Jul 2026, 15:05 EDT"
    assert format_datetime(SUMMER, "America/Phoenix") == "4 Jul 2026, 12:05 MST"  # Arizona keeps standard time
    assert format_datetime(WINTER, "UTC") == "30 Nov 2026, 19:05 UTC"
    assert format_datetime(WINTER) == "30 Nov 2026, 19:05 UTC"


def test_the_day_changes_where_the_zone_says_it_does() -> None:
    late = datetime(2026, 12, 1, 3, 30, tzinfo=UTC)  # still 30 November in Chicago
    assert format_date(late, "America/Chicago") == "30 Nov 2026"
    assert format_date(late, "UTC") == "1 Dec 2026"
    assert format_datetime(late, "America/Los_Angeles") == "30 Nov 2026, 19:30 PST"


def test_the_hour_that_does_not_exist_and_the_one_that_comes_twice() -> None:
    # 8 Mar 2026: New York skips 02:00-03:00; 1 Nov 2026: 01:00-02:00 comes twice (EDT, then EST)
    assert format_datetime(datetime(2026, 3, 8, 7, 0, tzinfo=UTC), "America/New_York") == "8 Mar 2026, 03:00 EDT"
    assert format_datetime(datetime(2026, 11, 1, 5, 30, tzinfo=UTC), "America/New_York") == "1 Nov 2026, 01:30 EDT"
    assert format_datetime(datetime(2026, 11, 1, 6, 30, tzinfo=UTC), "America/New_York") == "1 Nov 2026, 01:30 EST"


def test_dates_stay_dates_and_missing_values_read_as_a_dash() -> None:
    assert format_date(date(2027, 1, 5)) == "5 Jan 2027"
    assert format_datetime(date(2027, 1, 5), "America/New_York") == "5 Jan 2027"  # no time to move
    assert format_date(None) == format_datetime(None) == format_money(None) == format_percent(None) == "—"
    assert format_date("2027-01-05") == "5 Jan 2027"  # a snapshot's ISO text
    assert format_datetime("2026-11-30T19:05:00+00:00", "America/Chicago") == "30 Nov 2026, 13:05 CST"
    naive = datetime(2026, 11, 30, 19, 5)  # what SQLite gives back: UTC
    assert format_datetime(naive, "America/New_York") == "30 Nov 2026, 14:05 EST"


def test_an_unknown_zone_in_a_snapshot_reads_as_utc_and_is_refused_as_a_setting() -> None:
    assert format_datetime(WINTER, "Mars/Olympus") == "30 Nov 2026, 19:05 UTC"
    assert valid_time_zone("Europe/Berlin") == "Europe/Berlin"
    for bad in ("Mars/Olympus", "EST5EDT ", "", "../../etc/passwd"):
        with pytest.raises(ValueError, match="unknown time zone"):
            valid_time_zone(bad)


def test_numbers_carry_thousands_separators_and_rates_read_as_percentages() -> None:
    assert format_money(3_500_000) == "$3,500,000"
    assert format_money(-1200.4) == "-$1,200"
    assert format_count(12345) == "12,345"
    assert format_percent(0.6) == "60%"
    assert format_percent(0.065, 1) == "6.5%"


def test_the_filters_take_the_zone_from_the_template() -> None:
    env = Environment(undefined=StrictUndefined, autoescape=True)
    env.filters.update(FILTERS)
    template = env.from_string("{{ at | when }} · {{ at | day }} · {{ cost | money }}")
    assert template.render(at=WINTER, cost=3500000, time_zone="America/Denver") == (
        "30 Nov 2026, 12:05 MST · 30 Nov 2026 · $3,500,000")
    assert template.render(at=WINTER, cost=0) == "30 Nov 2026, 19:05 UTC · 30 Nov 2026 · $0"


def test_every_evidence_kind_has_words() -> None:
    assert evidence_kind_label("sop") == "Standard operating procedure"
    assert all(evidence_kind_label(kind) != kind for kind in EVIDENCE_KINDS)
