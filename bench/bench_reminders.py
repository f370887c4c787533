"""Reminders at scale: computing every reminder due across 1,000 programs x 250 items (the scale bench's data, COPY-
loaded into a throwaway PostgreSQL database) takes a bounded number of queries, whatever the number of programs,
and well under a minute. Baseline in the same run: a `SELECT 1` round trip.

Two passes are measured: the first records every reminder due that day (a backlog: tens of thousands of rows,
inserted by one statement of column arrays), the second finds nothing new (what the worker does on every later
pass of the day). Statements are counted with a SQLAlchemy `before_cursor_execute` event: the same few for any
number of programs (tests/notifications/test_reminders.py holds that on small sizes).
Run: `python bench/bench_reminders.py [--postgres URL] [--programs N]`.
"""

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from sqlalchemy import Engine, event, func, select, text
from sqlmodel import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import migrate  # noqa: E402
from app.checklists.loader import load_catalog  # noqa: E402
from app.clock import today  # noqa: E402
from app.config import PROJECT_ROOT, Settings  # noqa: E402
from app.db import make_engine  # noqa: E402
from app.notifications.models import Notification  # noqa: E402
from app.notifications.scheduled import compute_reminders  # noqa: E402
from bench.bench_scale import ITEMS, LIBRARY_ITEMS, PROGRAMS, bulk_load, padded_library_dir  # noqa: E402
from bench.server import throwaway_database  # noqa: E402
from bench.summary import Headline, record  # noqa: E402

TARGET_SECONDS = 60.0
MAX_READS = 12  # the statements that read, per pass, for any number of programs


@contextmanager
def counted(engine: Engine) -> Iterator[dict[str, int]]:
    counts = {"reads": 0, "writes": 0}

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        counts["writes" if statement.lstrip().upper().startswith("INSERT") else "reads"] += 1

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield counts
    finally:
        event.remove(engine, "before_cursor_execute", count)


def champions_digest_today(engine: Engine, on: date) -> None:
    """Every champion's digest day is today, so the digest (the heaviest reminder) is part of the pass."""
    statement = text("INSERT INTO notification_settings (user_id, channels, digest_weekday, updated_at) "
                     "SELECT user_id, CAST('{}' AS json), :day, now() FROM "
                     "(SELECT DISTINCT user_id FROM memberships WHERE role = 'champion') AS champions")
    with engine.begin() as connection:
        connection.execute(statement, {"day": on.weekday()})


def measure(database_url: str) -> list[tuple[str, float, dict[str, int], int]]:
    engine = make_engine(Settings(database_url=database_url))
    on = today()
    champions_digest_today(engine, on)
    baseline = []
    with Session(engine) as session:
        for _ in range(200):
            started = time.perf_counter()
            session.execute(text("SELECT 1"))
            baseline.append(time.perf_counter() - started)
    results = [("baseline: SELECT 1 round trip", statistics.median(baseline), {"reads": 1, "writes": 0}, 0)]
    for name in ("first pass: records every reminder due", "second pass: nothing new"):
        with Session(engine) as session, counted(engine) as counts:
            started = time.perf_counter()
            added = compute_reminders(session, on)
            seconds = time.perf_counter() - started
        results.append((name, seconds, dict(counts), added))
    with Session(engine) as session:
        total = session.scalar(select(func.count()).select_from(Notification))
        by_kind = session.execute(select(Notification.kind, func.count()).group_by(Notification.kind)).all()
    print(f"notifications recorded: {total:,} ({', '.join(f'{k} {n:,}' for k, n in sorted(by_kind))})")
    engine.dispose()
    return results


def report(programs: int, results: list[tuple[str, float, dict[str, int], int]]) -> list[Headline]:
    baseline = results[0][1]
    print(f"\nPostgreSQL: {programs:,} programs x {ITEMS} items")
    print(f"{'measurement':<42} {'seconds':>9} {'reads':>6} {'inserts':>8} {'new rows':>9} {'vs SELECT 1':>12}")
    for name, seconds, counts, added in results:
        print(f"{name:<42} {seconds:>9.3f} {counts['reads']:>6} {counts['writes']:>8} {added:>9,} "
              f"{seconds / baseline:>11,.0f}x")
    print(f"inserts: one statement (column arrays, unnested); reads must stay <= {MAX_READS}.")
    headlines = []
    for name, seconds, counts, _ in results[1:]:
        holds = seconds < TARGET_SECONDS and counts["reads"] <= MAX_READS and counts["writes"] <= 1
        headlines.append(Headline(f"reminders: {name}", f"{seconds:.2f} s, {counts['reads'] + counts['writes']} "
                                  "statements", f"< {TARGET_SECONDS:.0f} s, <= {MAX_READS + 1} statements", holds))
    return headlines


def main(server_url: str, programs: int) -> None:
    with tempfile.TemporaryDirectory() as folder, throwaway_database(server_url, "reminders") as database_url:
        migrate.upgrade(Settings(database_url=database_url))
        shipped = max(load_catalog(PROJECT_ROOT / "checklists").all(), key=lambda lib: len(lib.items))
        catalog_dir = padded_library_dir(Path(folder), LIBRARY_ITEMS, [shipped.products[0].id], "hub")
        library = max(load_catalog(catalog_dir).all(), key=lambda lib: len(lib.items))
        loaded = bulk_load(database_url, library, programs, ITEMS)
        print(f"loaded {loaded.items:,} items, {loaded.signoffs:,} sign-offs in {loaded.seconds:.1f} s")
        results = measure(database_url)
        headlines = report(programs, results)
        record("reminders", headlines)
        if not all(h.holds for h in headlines):
            sys.exit(1)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
                        help="a PostgreSQL URL whose server hosts the throwaway database ('' to skip)")
    parser.add_argument("--programs", type=int, default=PROGRAMS)
    args, _ = parser.parse_known_args()
    if args.postgres:
        main(args.postgres, args.programs)
    else:
        print("bench_reminders: skipped (no PostgreSQL URL)")
