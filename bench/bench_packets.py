"""Committee packets on a 300-item program: for each packet kind, gtready's whole generation (gather the snapshot,
render, store with its audit event) against WeasyPrint alone rendering the same final HTML, in the same run.

The program is bench_projection's: the real hemophilia library's items for a Hemgenix hub plus bench items up to
300 in every area, statuses mixed as a program part-way to readiness. SQLite.
Run: `python bench/bench_packets.py [--repeats N]`.
"""

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlmodel import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.config import PROJECT_ROOT, Settings  # noqa: E402
from app.programs.service import get_program  # noqa: E402
from app.reports.gather import data_hash, gather  # noqa: E402
from app.reports.render import html_to_pdf, render_html  # noqa: E402
from app.reports.schemas import ReportKind  # noqa: E402
from app.reports.service import generate_report  # noqa: E402
from bench.bench_projection import build  # noqa: E402
from bench.summary import Headline, record  # noqa: E402

PACKETS = [kind for kind in ReportKind if kind.is_packet]


def _interleaved(ours: Callable[[], Any], bare: Callable[[], Any], repeats: int) -> tuple[float, float]:
    """Median seconds of each, run turn about, so load from others on a shared machine falls on both alike."""
    mine, theirs = [], []
    for _ in range(repeats):
        for action, times in ((ours, mine), (bare, theirs)):
            started = time.perf_counter()
            action()
            times.append(time.perf_counter() - started)
    return statistics.median(mine), statistics.median(theirs)


def main() -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--postgres", default=None, help="ignored: this bench runs on SQLite")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(database_url=f"sqlite:///{folder}/bench.db", checklists_dir=PROJECT_ROOT / "checklists",
                            data_dir=Path(folder) / "data")
        app, _, program_id = build(settings)
        catalog = app.state.catalog
        with Session(app.state.engine, expire_on_commit=False) as session:
            program = get_program(session, uuid.UUID(program_id))
            for kind in PACKETS:
                generate_report(session, catalog, None, program, kind, "Committee")  # warm templates and fonts
                data = gather(session, catalog, program, number="GTR-2026-999999", kind=kind, prepared_for="Committee",
                              prepared_by="Bench", now=program.created_at)
                html = render_html(data, data_hash(data))
                ours, bare = _interleaved(
                    lambda k=kind: generate_report(session, catalog, None, program, k, "Committee"),
                    lambda h=html: html_to_pdf(h), args.repeats)
                pages = generate_report(session, catalog, None, program, kind, "Committee").pages
                items = sum(len(a.items) for a in data.areas)
                rows.append({"kind": kind.value, "items": items, "pages": pages, "gtready_s": round(ours, 3),
                             "weasyprint_alone_s": round(bare, 3), "ratio": round(ours / bare, 3)})
        app.state.engine.dispose()
    print(f"{'packet (300-item program)':<28} {'items':>5} {'pages':>5} {'gtready s':>10} {'weasy s':>8} {'ratio':>6}")
    for row in rows:
        print(f"{row['kind']:<28} {row['items']:>5} {row['pages']:>5} {row['gtready_s']:>10} "
              f"{row['weasyprint_alone_s']:>8} {row['ratio']:>6}")
    worst = max(rows, key=lambda r: r["ratio"])
    record("packets", [Headline(
        "packets: slowest kind, 300-item program", f"{worst['kind']} {worst['ratio']}x WeasyPrint alone "
        f"({worst['gtready_s']} s, {worst['pages']} pages, gather + render + store)", "<= 1.25x",
        worst["ratio"] <= 1.25)])
    return rows


if __name__ == "__main__":
    main()
