"""Report rendering: a 300-item program with 150 sign-offs and 100 evidence files. The full report must render in
at most 1.25x the time WeasyPrint alone takes for the same final HTML. Run: `python bench/bench_render.py`."""

import hashlib
import statistics
import sys
import time
import tracemalloc
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.reports.render import html_to_pdf, page_count, render_html, render_pdf  # noqa: E402
from app.reports.schemas import (  # noqa: E402
    EvidenceEntry,
    RegisterEntry,
    ReportArea,
    ReportChanges,
    ReportData,
    ReportItem,
    ReportKind,
    ReportSignature,
)
from bench.summary import Headline, record  # noqa: E402

AREAS = [("pharmacy", "Pharmacy handling"), ("policy", "Policy drafting"), ("education", "Provider education"),
         ("followup", "15-year follow-up capacity"), ("payer", "Payer reimbursement risk")]
REPEATS = 3


def sample_report(items: int = 300, signoffs: int = 150, evidence: int = 100) -> ReportData:
    now = datetime(2026, 11, 24, 12, tzinfo=UTC)
    areas = []
    per_area = items // len(AREAS)
    for index, (area_id, title) in enumerate(AREAS):
        rows = []
        for n in range(per_area):
            number = index * per_area + n
            signed = number < signoffs
            rows.append(ReportItem(
                key=f"{area_id[:4].upper()}-{n:03d}", title=f"Readiness step {number} for {title.lower()}",
                criticality=("blocker", "major", "minor")[number % 3], status="signed_off" if signed else "in_progress",
                owner_name="Sam Lindqvist, PharmD", due_date=now.date() + timedelta(days=n), overdue=n % 17 == 0,
                lapsed=False, lapses_on=None, notes="Draft circulated for comment." if n % 4 == 0 else "",
                signature=ReportSignature(signer_name="Sam Lindqvist", role="pharmacy_lead", meaning="approved",
                                          signed_at=now) if signed else None,
            ))
        areas.append(ReportArea(id=area_id, title=title, ratio=0.5, completed_weight=50, total_weight=100,
                                overdue=2, lapsed=0, items=rows))
    keys = [i.key for a in areas for i in a.items]
    return ReportData(
        number="GTR-2026-000001", kind=ReportKind.FULL, generated_at=now, prepared_for="Steering committee",
        prepared_by="Benchmark", institution="Benchmark Hospital", program_id=uuid.uuid4(),
        program_title="Commercial gene therapy for hemophilia B", products=["Hemgenix"], care_role="hub",
        library="hemophilia-gt 1.0.0", overall_ratio=0.5, areas=areas, gate_open=False, blocking=[], overdue=10,
        lapsed=0, top_risks=[], changes=ReportChanges(previous_number=None, previous_date=None, newly_signed=[],
                                                      overall_delta=None, area_deltas={}),
        signoff_register=[RegisterEntry(item_key=keys[n], signer_name="Sam Lindqvist", role="pharmacy_lead",
                                        meaning="approved", statement="Checked.", signed_at=now, revoked=None)
                          for n in range(signoffs)],
        evidence=[EvidenceEntry(item_key=keys[n], file=f"evidence-{n}.pdf", kind="sop",
                                sha256=hashlib.sha256(str(n).encode()).hexdigest(), uploaded_by="Sam Lindqvist",
                                uploaded_at=now, expires_on=None) for n in range(evidence)],
    )


def _median_seconds(action: Any) -> float:
    times = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> list[dict[str, Any]]:
    data = sample_report()
    digest = "0" * 64
    html = render_html(data, digest)
    render_pdf(data, digest)  # warm caches (fonts, templates) for both measurements alike
    full = _median_seconds(lambda: render_pdf(data, digest))
    weasy = _median_seconds(lambda: html_to_pdf(html))
    tracemalloc.start()
    pdf = render_pdf(data, digest)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    row = {"benchmark": "full report, 300 items / 150 sign-offs / 100 evidence", "pages": page_count(pdf),
           "gtready_s": round(full, 3), "weasyprint_alone_s": round(weasy, 3), "ratio": round(full / weasy, 3),
           "peak_mb": round(peak / 2**20, 1), "target_ratio": 1.25}
    print(f"{'benchmark':<55} {'pages':>5} {'gtready s':>10} {'weasy s':>8} {'ratio':>6} {'peak MB':>8}")
    print(f"{row['benchmark']:<55} {row['pages']:>5} {row['gtready_s']:>10} {row['weasyprint_alone_s']:>8} "
          f"{row['ratio']:>6} {row['peak_mb']:>8}   (target ratio <= 1.25)")
    record("render", [Headline("render: full PDF report, 300 items", f"{row['ratio']}x WeasyPrint alone "
                               f"({row['gtready_s']} s, {row['pages']} pages)", "<= 1.25x", full / weasy <= 1.25)])
    return [row]


if __name__ == "__main__":
    main()
