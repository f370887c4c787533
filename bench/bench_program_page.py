"""The program page of a 300-item program (server time and HTML bytes) and a bulk edit of 100 items, against the
trivial endpoint (`GET /healthz`) in the same run. Targets (issue 17): the page under 150 ms and under 300 KB.

The program: the real hemophilia library's items for a Hemgenix hub, plus bench items up to 300, with owners, due
dates and statuses mixed as a program part-way to readiness. The page is what a champion opens (session cookie);
the bulk edit is `POST /api/programs/{id}/items/bulk` setting the due date of 100 items, each through the
single-item path (permission, version check, audit event), alternating dates so every run changes every row.
SQLite always; PostgreSQL too unless `--postgres ''`.
Run: `python bench/bench_program_page.py [--postgres URL] [--repeats N]`.
"""

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import migrate  # noqa: E402
from app.auth.deps import SESSION_COOKIE  # noqa: E402
from app.auth.roles import Role  # noqa: E402
from app.auth.service import create_api_token, create_user, grant_roles, start_session  # noqa: E402
from app.checklists.schema import CareRole  # noqa: E402
from app.config import PROJECT_ROOT, Settings  # noqa: E402
from app.main import create_app  # noqa: E402
from app.programs import service  # noqa: E402
from app.programs.models import ItemStatus, ProgramItem  # noqa: E402
from app.programs.schemas import ProgramCreate  # noqa: E402
from bench.server import throwaway_database  # noqa: E402
from bench.summary import Headline, record  # noqa: E402

ITEMS = 300
BULK = 100
PASSWORD = "correct horse battery staple"  # noqa: S105 (a bench account in a throwaway database)
TARGET_MS = 150.0
TARGET_KB = 300.0
STATUSES = [ItemStatus.NOT_STARTED, ItemStatus.IN_PROGRESS, ItemStatus.DONE, ItemStatus.SIGNED_OFF,
            ItemStatus.NOT_APPLICABLE]
WEIGHTS = [35, 25, 10, 25, 5]


def build(settings: Settings) -> tuple[Any, str, str, str, list[str]]:
    """The app, a champion's API token and session cookie, the program's id, and the keys of 100 items."""
    migrate.upgrade(settings)
    app = create_app(settings)
    rng = random.Random(17)
    with Session(app.state.engine, expire_on_commit=False) as session:
        institution = service.create_institution(session, "Bench Hospital")
        champion = create_user(session, "champion@bench.example", "Maya Okafor", PASSWORD)
        grant_roles(session, None, institution.id, champion, [Role.CHAMPION])
        staff = []
        for n, role in enumerate((Role.PHARMACY_LEAD, Role.POLICY_LEAD, Role.FINANCE_LEAD, Role.EDUCATION_LEAD)):
            person = create_user(session, f"staff{n}@bench.example", f"Staff Person {n}", PASSWORD)
            grant_roles(session, None, institution.id, person, [role])
            staff.append(person.id)
        _, token = create_api_token(session, champion, "bench")
        cookie = start_session(session, champion).token
        library = app.state.catalog.latest("hemophilia-gt")
        program = service.create_program(session, app.state.catalog, institution.id, ProgramCreate(
            title="Bench program", library_id=library.id, library_version=library.version, products=["hemgenix"],
            care_role=CareRole.HUB,
        ))
        count = len(list(session.exec(select(ProgramItem.key).where(ProgramItem.program_id == program.id))))
        session.add_all(ProgramItem(
            program_id=program.id, key=f"BENCH-{n:03d}", position=1000 + n,
            area=program.areas[n % len(program.areas)]["id"], title=f"Bench item {n} with a title of usual length",
            done_when="x", why="y", criticality=rng.choice(("blocker", "major", "minor")), weight=2,
            signoff_role="pharmacy_lead", depends_on=[], references=["bench"],
        ) for n in range(ITEMS - count))
        session.flush()
        items = list(session.exec(select(ProgramItem).where(ProgramItem.program_id == program.id)))
        for item in items:
            item.status = rng.choices(STATUSES, WEIGHTS)[0]
            item.due_date = date.today() + timedelta(days=rng.randint(-30, 365))
            item.owner_id = rng.choice([None, *staff])
        session.commit()
        changeable = sorted(i.key for i in items if i.status != ItemStatus.SIGNED_OFF)[:BULK]
        return app, token, cookie, str(program.id), changeable


def median_ms(call: Callable[[int], Any], repeats: int) -> float:
    call(-1)  # warm: first-request imports and caches
    times = []
    for run in range(repeats):
        start = time.perf_counter()
        call(run)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def measure(database: str, url: str, data_dir: Path, repeats: int) -> dict[str, Any]:
    settings = Settings(database_url=url, checklists_dir=PROJECT_ROOT / "checklists", data_dir=data_dir)
    app, token, cookie, program_id, keys = build(settings)
    try:
        with TestClient(app) as client:
            web = {"Cookie": f"{SESSION_COOKIE}={cookie}"}
            api = {"Authorization": f"Bearer {token}"}

            def trivial(_: int) -> None:
                assert client.get("/healthz").status_code == 200

            def page(_: int) -> None:
                response = client.get(f"/programs/{program_id}", headers=web)
                assert response.status_code == 200, response.text[:500]

            def bulk(run: int) -> None:
                day = (date.today() + timedelta(days=400 + run)).isoformat()
                response = client.post(f"/api/programs/{program_id}/items/bulk", headers=api,
                                       json={"keys": keys, "change": {"due_date": day}})
                assert response.status_code == 200, response.text[:500]
                assert response.json()["done"] == len(keys), response.text[:500]

            html = client.get(f"/programs/{program_id}", headers=web).text
            trivial_ms = median_ms(trivial, repeats)
            page_ms = median_ms(page, repeats)
            bulk_ms = median_ms(bulk, max(3, repeats // 10))
    finally:
        app.state.engine.dispose()
    return {"database": database, "trivial_ms": trivial_ms, "page_ms": page_ms, "page_kb": len(html.encode()) / 1024,
            "bulk_ms": bulk_ms, "rows": html.count('<tr id="item-')}


def main(postgres_url: str | None, repeats: int) -> list[dict[str, Any]]:
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        rows.append(measure("sqlite", f"sqlite:///{folder}/bench.db", Path(folder) / "data", repeats))
        if postgres_url:
            with throwaway_database(postgres_url, "bench_program_page") as url:
                rows.append(measure("postgresql", url, Path(folder) / "data-pg", repeats))
    print(f"{'database':<11} {'/healthz':>10} {'program page':>13} {'vs trivial':>10} {'HTML':>9} {'rows':>5} "
          f"{'bulk ' + str(BULK):>10} {'per item':>9} {'vs trivial':>10}")
    for row in rows:
        print(f"{row['database']:<11} {row['trivial_ms']:>7.2f} ms {row['page_ms']:>10.1f} ms "
              f"{row['page_ms'] / row['trivial_ms']:>9.1f}x {row['page_kb']:>6.1f} KB {row['rows']:>5} "
              f"{row['bulk_ms']:>7.0f} ms {row['bulk_ms'] / BULK:>6.2f} ms "
              f"{row['bulk_ms'] / row['trivial_ms']:>9.0f}x")
    record("program_page", [
        headline for row in rows for headline in (
            Headline(f"program page, {ITEMS} items ({row['database']})",
                     f"{row['page_ms']:.1f} ms median, {row['page_kb']:.0f} KB "
                     f"({row['page_ms'] / row['trivial_ms']:.0f}x /healthz)",
                     f"< {TARGET_MS:.0f} ms, < {TARGET_KB:.0f} KB",
                     row["page_ms"] < TARGET_MS and row["page_kb"] < TARGET_KB),
            Headline(f"bulk edit, {BULK} items ({row['database']})",
                     f"{row['bulk_ms']:.0f} ms median ({row['bulk_ms'] / BULK:.1f} ms an item)",
                     "(no target)", True),
        )
    ])
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/gtready_bench",
                        help="PostgreSQL server URL ('' to skip)")
    parser.add_argument("--repeats", type=int, default=30)
    arguments = parser.parse_known_args()[0]
    main(arguments.postgres or None, arguments.repeats)
