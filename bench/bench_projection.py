"""First-patient projection against readiness, in the same run, on a 300-item program: GET /projection walks every
item's dependencies in Python after one query, GET /readiness aggregates in SQL. Target: the projection costs no
more than three readiness reads (it is shown next to readiness on every program page).

The program: the real hemophilia library's items for a Hemgenix hub, plus bench items up to 300, each depending on one
or two earlier items, with due dates over the next year and statuses mixed as a program part-way to readiness.
SQLite always; PostgreSQL too unless `--postgres ''`.
Run: `python bench/bench_projection.py [--postgres URL] [--repeats N]`.
"""

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import migrate  # noqa: E402
from app.auth.service import create_admin, create_api_token  # noqa: E402
from app.checklists.schema import CareRole  # noqa: E402
from app.config import PROJECT_ROOT, Settings  # noqa: E402
from app.main import create_app  # noqa: E402
from app.programs import service  # noqa: E402
from app.programs.models import ItemStatus, ProgramItem  # noqa: E402
from app.programs.schemas import ProgramCreate  # noqa: E402
from bench.server import throwaway_database  # noqa: E402
from bench.summary import Headline, record  # noqa: E402

ITEMS = 300
TARGET_RATIO = 3.0
STATUSES = [ItemStatus.NOT_STARTED, ItemStatus.IN_PROGRESS, ItemStatus.DONE, ItemStatus.SIGNED_OFF,
            ItemStatus.NOT_APPLICABLE]
WEIGHTS = [35, 25, 10, 25, 5]


def build(settings: Settings) -> tuple[Any, str, str]:
    """The app, a superuser's token, and the 300-item program's id."""
    migrate.upgrade(settings)
    app = create_app(settings)
    rng = random.Random(18)
    with Session(app.state.engine, expire_on_commit=False) as session:
        admin = create_admin(session, "bench@example.org", "Bench Admin", "correct horse battery staple")
        _, token = create_api_token(session, admin, "bench")
        institution = service.create_institution(session, "Bench Hospital")
        library = app.state.catalog.latest("hemophilia-gt")
        program = service.create_program(session, app.state.catalog, institution.id, ProgramCreate(
            title="Bench program", library_id=library.id, library_version=library.version, products=["hemgenix"],
            care_role=CareRole.HUB,
        ))
        keys = list(session.exec(select(ProgramItem.key).where(ProgramItem.program_id == program.id)))
        extra = []
        for n in range(ITEMS - len(keys)):
            key = f"BENCH-{n:03d}"
            deps = rng.sample(keys, k=min(len(keys), rng.choice((1, 2))))
            extra.append(ProgramItem(
                program_id=program.id, key=key, position=1000 + n, area=program.areas[n % len(program.areas)]["id"],
                title=f"Bench item {n}", done_when="x", why="y", criticality=rng.choice(("blocker", "major", "minor")),
                weight=2, signoff_role="pharmacy_lead", depends_on=deps, references=["bench"],
            ))
            keys.append(key)
        session.add_all(extra)
        session.flush()
        for item in session.exec(select(ProgramItem).where(ProgramItem.program_id == program.id)):
            item.status = rng.choices(STATUSES, WEIGHTS)[0]
            item.due_date = date.today() + timedelta(days=rng.randint(-30, 365))
        program.first_patient_target = date.today() + timedelta(days=180)
        session.commit()
        return app, token, str(program.id)


def median_ms(client: TestClient, url: str, repeats: int) -> float:
    client.get(url)  # warm: first-request imports and caches
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.text
    return statistics.median(times)


def measure(database: str, url: str, data_dir: Path, repeats: int) -> dict[str, Any]:
    settings = Settings(database_url=url, checklists_dir=PROJECT_ROOT / "checklists", data_dir=data_dir)
    app, token, program_id = build(settings)
    try:
        with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as client:
            body = client.get(f"/api/programs/{program_id}/projection").json()
            readiness = median_ms(client, f"/api/programs/{program_id}/readiness", repeats)
            projection = median_ms(client, f"/api/programs/{program_id}/projection", repeats)
    finally:
        app.state.engine.dispose()
    return {"database": database, "readiness_ms": readiness, "projection_ms": projection,
            "ratio": projection / readiness, "open_items": len(body["items"]),
            "critical_path": len(body["critical_path"]), "projected": body["projected_date"]}


def main(postgres_url: str | None, repeats: int) -> list[dict[str, Any]]:
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        rows.append(measure("sqlite", f"sqlite:///{folder}/bench.db", Path(folder) / "data", repeats))
        if postgres_url:
            with throwaway_database(postgres_url, "bench_projection") as url:
                rows.append(measure("postgresql", url, Path(folder) / "data-pg", repeats))
    print(f"{'database':<11} {'readiness':>12} {'projection':>12} {'ratio':>7}  open items, path, projected date")
    for row in rows:
        print(f"{row['database']:<11} {row['readiness_ms']:>9.2f} ms {row['projection_ms']:>9.2f} ms "
              f"{row['ratio']:>6.2f}x  {row['open_items']}, {row['critical_path']}, {row['projected']}")
    record("projection", [
        Headline(f"projection vs readiness, {ITEMS} items ({row['database']})",
                 f"{row['projection_ms']:.1f} ms vs {row['readiness_ms']:.1f} ms median ({row['ratio']:.2f}x)",
                 f"<= {TARGET_RATIO:.0f}x readiness", row["ratio"] <= TARGET_RATIO)
        for row in rows
    ])
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/gtready_bench",
                        help="PostgreSQL server URL ('' to skip)")
    parser.add_argument("--repeats", type=int, default=50)
    arguments = parser.parse_known_args()[0]
    main(arguments.postgres or None, arguments.repeats)
