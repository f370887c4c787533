"""Scale: 1,000 programs x 250 items (250,000 items) in PostgreSQL. Targets (issue #8): the dashboard of an
institution with 20 programs and an item list page (50 items) under 50 ms; creating a program from a 300-item
library under 500 ms. Baselines in the same run: a `SELECT 1` round trip and a primary-key fetch of one item.

A throwaway database is created on the given server, migrated with Alembic (every index and constraint), bulk
loaded with COPY on the real tables, measured, and dropped at the end, also on error.
Run: `python bench/bench_scale.py [--postgres URL] [--programs N] [--repeats N]`.
"""

import argparse
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import make_url, select, text
from sqlmodel import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import migrate  # noqa: E402
from app.audit.models import AuditEvent  # noqa: E402
from app.audit.service import GENESIS, event_hash  # noqa: E402
from app.auth.roles import Role  # noqa: E402
from app.auth.service import (  # noqa: E402
    create_admin,
    create_api_token,
    institution_ids_of,
    start_session,
    user_by_email,
)
from app.checklists.loader import load_catalog  # noqa: E402
from app.checklists.schema import (
    CareRole,
    Library,  # noqa: E402
)
from app.config import PROJECT_ROOT, Settings  # noqa: E402
from app.main import create_app  # noqa: E402
from app.pagination import PageParams  # noqa: E402
from app.programs import service  # noqa: E402
from app.programs.history import readiness_history, recent_activity  # noqa: E402
from app.programs.models import ItemStatus, Program, ProgramItem  # noqa: E402
from app.programs.readiness import readiness_of_programs  # noqa: E402
from app.programs.schemas import ItemFilters, ProgramCreate  # noqa: E402
from bench.server import throwaway_database  # noqa: E402
from bench.summary import Headline, record  # noqa: E402

PROGRAMS = 1000
ITEMS = 250
HOME_PROGRAMS = 20  # the institution whose dashboard is measured
PROGRAMS_PER_INSTITUTION = 20
LIBRARY_ITEMS = 300
TARGET_MS = {"dashboard": 50.0, "item list": 50.0, "create program": 500.0}
STATUS_SHARES = [  # a network part-way to readiness
    (ItemStatus.NOT_STARTED, 0.35), (ItemStatus.IN_PROGRESS, 0.25), (ItemStatus.DONE, 0.10),
    (ItemStatus.SIGNED_OFF, 0.25), (ItemStatus.NOT_APPLICABLE, 0.05),
]
# The status changes (item.updated events) an item went through to reach its current status.
STEPS: dict[ItemStatus, list[tuple[str, str]]] = {
    ItemStatus.NOT_STARTED: [],
    ItemStatus.IN_PROGRESS: [("not_started", "in_progress")],
    ItemStatus.DONE: [("not_started", "in_progress"), ("in_progress", "done")],
    ItemStatus.SIGNED_OFF: [("not_started", "in_progress"), ("in_progress", "done")],
    ItemStatus.NOT_APPLICABLE: [("not_started", "not_applicable")],
}
STAFF = [Role.CHAMPION, Role.PHARMACY_LEAD, Role.POLICY_LEAD, Role.EDUCATION_LEAD, Role.FOLLOWUP_COORDINATOR,
         Role.FINANCE_LEAD]
NOW = datetime.now(UTC)
# Audit events in seq order, one every 30 s up to now (the network's last four months, at 1,000 programs): the
# measured institution was loaded first, so its latest event is older than most of the trail (a quiet hospital).
EVENT_INTERVAL = timedelta(seconds=30)
HISTORY_START = NOW - timedelta(days=120)


# --- a 300-item library ---------------------------------------------------------------------------------


def padded_library_dir(folder: Path, size: int, products: Sequence[str], care_role: str) -> Path:
    """Copy the shipped checklists to `folder` and add a part file of generic items to the largest library, so
    that `size` items apply to `products` at a `care_role` centre."""
    target = folder / "checklists"
    shutil.copytree(PROJECT_ROOT / "checklists", target)
    library = max(load_catalog(target).all(), key=lambda lib: len(lib.items))
    missing = size - len(library.applicable_items(list(products), care_role))
    areas = [area.id for area in library.areas]
    padding = [
        {"id": f"BENCH-{n:03d}", "area": areas[n % len(areas)], "title": f"Benchmark readiness step {n}",
         "done_when": "A written procedure exists and is filed.", "why": "Scale benchmark padding.",
         "criticality": ("blocker", "major", "minor")[n % 3], "signoff_role": "champion", "evidence": ["sop"],
         "references": ["bench"]}
        for n in range(1, missing + 1)
    ]
    (target / library.id / library.version / "bench-padding.yaml").write_text(yaml.safe_dump({"items": padding}))
    return target


# --- bulk load ----------------------------------------------------------------------------------------


@dataclass
class Loaded:
    home_institution: uuid.UUID
    home_programs: list[uuid.UUID]
    champion_email: str
    items: int
    signoffs: int
    events: int
    seconds: float


def _definitions(library: Library, products: list[str], care_role: str, count: int) -> list[dict[str, Any]]:
    """Exactly `count` item definitions: the library's applicable items, then generic ones if it has fewer."""
    rows = [{"key": d.id, **service.item_definition(d)} for d in service.applicable_definitions(
        library, products, care_role, "us")][:count]
    areas = [area.id for area in library.areas]
    for n in range(count - len(rows)):
        rows.append({"key": f"SCALE-{n:03d}", "area": areas[n % len(areas)], "title": f"Local readiness step {n}",
                     "done_when": "A local procedure is filed.", "why": "Site-specific step.",
                     "criticality": ("major", "minor")[n % 2], "weight": 3, "signoff_role": "champion",
                     "evidence_kinds": ["sop"], "depends_on": [], "renewal_months": None, "references": ["local"]})
    return rows


class _Copier:
    """COPY rows into one table, column order taken from the migrated table itself."""

    def __init__(self, cursor: psycopg.Cursor[Any], table: str) -> None:
        columns = [c for (c,) in cursor.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s ORDER BY ordinal_position",
            (table,)).fetchall()]
        self.columns = columns
        self.rows: list[tuple[Any, ...]] = []
        self.cursor, self.table = cursor, table
        self.count = 0

    def add(self, **values: Any) -> None:
        self.rows.append(tuple(
            json.dumps(v) if isinstance(v, dict | list) else v for v in (values.get(c) for c in self.columns)
        ))

    def flush(self) -> None:
        columns = ", ".join(f'"{c}"' for c in self.columns)
        with self.cursor.copy(f'COPY "{self.table}" ({columns}) FROM STDIN') as copy:
            for row in self.rows:
                copy.write_row(row)
        self.count += len(self.rows)
        self.rows = []


def bulk_load(database_url: str, library: Library, programs: int, items: int, seed: int = 8) -> Loaded:
    """Institutions of 20 programs each (the first is the one measured), six staff each, programs of `items`
    items with realistic statuses, owners, due dates, sign-offs and the audit events that go with them."""
    started = time.perf_counter()
    rng = random.Random(seed)
    plain = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    statuses, shares = zip(*STATUS_SHARES, strict=True)
    product_sets = [[p.id] for p in library.products] + [[library.products[0].id, library.products[1].id]]
    templates = {(tuple(ps), role): _definitions(library, ps, role, items)
                 for ps in product_sets for role in ("hub", "spoke")}
    areas = [{"id": a.id, "title": a.title} for a in library.areas]
    today = NOW.date()
    home: uuid.UUID | None = None
    home_programs: list[uuid.UUID] = []
    head = {"seq": 0, "hash": GENESIS}

    with psycopg.connect(plain) as connection, connection.cursor() as cursor:
        copiers = {t: _Copier(cursor, t) for t in (
            "institutions", "users", "memberships", "programs", "program_items", "signoffs", "audit_events")}

        def flush_all() -> None:
            for copier in copiers.values():  # parents before children: the dict keeps the order above
                copier.flush()

        def audit(actor: tuple[uuid.UUID, str] | None, action: str, **fields: Any) -> None:
            seq = int(head["seq"]) + 1
            event = AuditEvent(id=uuid.uuid4(), seq=seq, at=HISTORY_START + seq * EVENT_INTERVAL,
                               actor_id=actor[0] if actor else None,
                               actor_name=actor[1] if actor else "system", prev_hash=str(head["hash"]),
                               action=action, hash="", **fields)
            event.hash = event_hash(event)
            head["seq"], head["hash"] = event.seq, event.hash
            copiers["audit_events"].add(**event.model_dump())

        for number in range(-(-programs // PROGRAMS_PER_INSTITUTION)):
            institution = uuid.uuid4()
            home = home or institution
            copiers["institutions"].add(id=institution, name=f"Scale Hospital {number:03d}", created_at=NOW)
            staff: dict[Role, tuple[uuid.UUID, str]] = {}
            for role in STAFF:
                user = (uuid.uuid4(), f"{role.label} {number:03d}")
                staff[role] = user
                copiers["users"].add(id=user[0], email=f"{role.value}.{number:03d}@scale.example",
                                     full_name=user[1], is_superuser=False, is_active=True, created_at=NOW)
                copiers["memberships"].add(id=uuid.uuid4(), user_id=user[0], institution_id=institution,
                                           role=role.value, created_at=NOW)
            owners = [user for user, _ in staff.values()]
            for _ in range(min(PROGRAMS_PER_INSTITUTION, programs - number * PROGRAMS_PER_INSTITUTION)):
                program = uuid.uuid4()
                if institution == home:
                    home_programs.append(program)
                products, care_role = rng.choice(product_sets), rng.choice(("hub", "hub", "spoke"))
                copiers["programs"].add(
                    id=program, institution_id=institution, title=f"{care_role.title()} program {len(home_programs)}",
                    products=products, care_role=care_role, jurisdiction="us", library_id=library.id,
                    library_version=library.version, areas=areas, created_at=NOW, updated_at=NOW)
                audit(staff[Role.CHAMPION], "program.created", entity="program", institution_id=institution,
                      program_id=program, after={"items": items, "care_role": care_role})
                for position, definition in enumerate(templates[(tuple(products), care_role)]):
                    status = rng.choices(statuses, shares)[0]
                    item = uuid.uuid4()
                    finished = status in (ItemStatus.DONE, ItemStatus.SIGNED_OFF)
                    lapses = today + timedelta(days=rng.randint(-30, 700)) if (
                        status == ItemStatus.SIGNED_OFF and rng.random() < 0.2) else None
                    copiers["program_items"].add(
                        id=item, program_id=program, position=position, **definition,
                        status=status.value, owner_id=rng.choice(owners) if rng.random() < 0.75 else None,
                        due_date=today + timedelta(days=rng.randint(-60, 180)) if rng.random() < 0.6 else None,
                        notes="Draft circulated for comment." if rng.random() < 0.2 else "",
                        na_justification="Not offered at this centre." if status == ItemStatus.NOT_APPLICABLE
                        else None,
                        completed_at=NOW - timedelta(days=rng.randint(1, 300)) if finished else None,
                        lapses_on=lapses, retired=False, version=rng.randint(1, 6), updated_at=NOW)
                    owner = staff[Role(definition["signoff_role"])] if Role(definition["signoff_role"]) in staff \
                        else staff[Role.CHAMPION]
                    for version, (before, after) in enumerate(STEPS[status], start=1):
                        audit(owner, "item.updated", entity="item", entity_key=definition["key"],
                              institution_id=institution, program_id=program,
                              before={"status": before, "version": version},
                              after={"status": after, "version": version + 1})
                    if status == ItemStatus.SIGNED_OFF:
                        signer = owner
                        copiers["signoffs"].add(
                            id=uuid.uuid4(), program_id=program, item_id=item, item_key=definition["key"],
                            signer_id=signer[0], signer_name=signer[1], role=definition["signoff_role"],
                            meaning="approved", statement="Checked against the SOP.", signed_at=NOW,
                            item_snapshot={**definition, "status": ItemStatus.DONE.value}, evidence=[])
                        audit(signer, "item.signed_off", entity="item", entity_key=definition["key"],
                              institution_id=institution, program_id=program,
                              before={"status": ItemStatus.DONE.value}, after={"status": status.value})
                if len(copiers["program_items"].rows) >= 20_000:
                    flush_all()
        flush_all()
        connection.commit()
    with psycopg.connect(plain, autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")  # what autovacuum does soon after a load of this size
    assert home is not None
    return Loaded(home, home_programs, f"{Role.CHAMPION.value}.000@scale.example", copiers["program_items"].count,
                  copiers["signoffs"].count, copiers["audit_events"].count, time.perf_counter() - started)


# --- measuring ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    name: str
    runs: int
    median_ms: float
    p95_ms: float
    target_ms: float | None = None

    @property
    def holds(self) -> bool:
        return self.target_ms is None or self.median_ms < self.target_ms


def timed(name: str, action: Callable[[], object], runs: int, target: str | None = None, warmup: int = 3) -> Timing:
    for _ in range(warmup):
        action()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, round(len(times) * 0.95) - 1)]
    return Timing(name, runs, statistics.median(times), p95, TARGET_MS[target] if target else None)


def measure(database_url: str, catalog_dir: Path, loaded: Loaded, repeats: int) -> list[Timing]:
    settings = Settings(database_url=database_url, checklists_dir=catalog_dir,
                        data_dir=catalog_dir.parent / "data")
    app = create_app(settings)
    engine, catalog = app.state.engine, app.state.catalog
    library: Library = max(catalog.all(), key=lambda lib: len(lib.items))
    products = [library.products[0].id]
    with Session(engine, expire_on_commit=False) as session:
        champion = user_by_email(session, loaded.champion_email)
        cookie = start_session(session, champion).token
        _, champion_token = create_api_token(session, champion, "bench")
        admin = create_admin(session, "scale-admin@scale.example", "Scale Admin", "a long bench passphrase")
        _, admin_token = create_api_token(session, admin, "bench")
        newcomer = service.create_institution(session, "Scale New Programs")
        assert len(library.applicable_items(products, "hub")) == LIBRARY_ITEMS
    program_id = loaded.home_programs[0]
    item_id = _first_item_id(engine, program_id)
    results: list[Timing] = []

    def in_session(action: Callable[[Session], object]) -> Callable[[], object]:
        def run() -> object:
            with Session(engine, expire_on_commit=False) as session:
                return action(session)
        return run

    def home_programs(session: Session) -> list[Program]:
        programs = [program for _, program in service.programs_of(session, institution_ids_of(session, champion))]
        assert len(programs) == HOME_PROGRAMS
        return programs

    def dashboard(session: Session) -> object:
        return readiness_of_programs(session, home_programs(session))

    def item_page(session: Session) -> object:
        items, total = service.list_items(session, program_id, ItemFilters(), PageParams(limit=50))
        assert (len(items), total) == (50, ITEMS)
        return items

    created = []

    def create(session: Session) -> object:
        program = service.create_program(session, catalog, newcomer.id, ProgramCreate(
            title=f"New program {len(created)}", library_id=library.id, products=products, care_role=CareRole.HUB),
            actor=admin)
        created.append(program.id)
        return program

    results.append(timed("baseline: SELECT 1 round trip", in_session(lambda s: s.execute(text("SELECT 1"))),
                         repeats * 4))
    results.append(timed("baseline: item by primary key", in_session(
        lambda s: s.execute(select(ProgramItem).where(ProgramItem.id == item_id)).one()), repeats * 4))
    results.append(timed(f"dashboard readiness, {HOME_PROGRAMS} programs (services)", in_session(dashboard),
                         repeats, "dashboard"))
    results.append(timed("  of which readiness over time: readiness_history", in_session(
        lambda s: readiness_history(s, home_programs(s))), repeats // 2))
    results.append(timed("  of which recent activity: recent_activity", in_session(
        lambda s: recent_activity(s, home_programs(s))), repeats // 2))
    results.append(timed("item list page of 50 (service)", in_session(item_page), repeats * 2, "item list"))
    results.append(timed(f"create program, {LIBRARY_ITEMS}-item library (service)", in_session(create),
                         max(10, repeats // 4), "create program"))
    with TestClient(app) as client:
        web = {"Cookie": f"gtready_session={cookie}"}
        champion_api = {"Authorization": f"Bearer {champion_token}"}
        admin_api = {"Authorization": f"Bearer {admin_token}"}

        def get(url: str, headers: dict[str, str], check: str) -> Callable[[], object]:
            def run() -> object:
                response = client.get(url, headers=headers)
                assert response.status_code == 200 and check in response.text, (url, response.status_code)
                return response
            return run

        def post_program() -> object:
            body = {"title": f"New program {len(created)}", "library_id": library.id, "products": products,
                    "care_role": "hub"}
            response = client.post(f"/api/institutions/{newcomer.id}/programs", json=body, headers=admin_api)
            assert response.status_code == 201, response.text
            created.append(uuid.UUID(response.json()["id"]))
            return response

        results.append(timed("baseline: GET /healthz (ASGI)", get("/healthz", {}, "ok"), repeats * 2))
        results.append(timed(f"dashboard page, {HOME_PROGRAMS} programs: GET / (ASGI)",
                             get("/", web, "Readiness dashboard"), repeats, "dashboard"))
        # The dashboard page loads each program's readiness-over-time chart afterwards (htmx), one request each.
        results.append(timed("  then one program's history chart: GET /programs/{id}/history (ASGI)",
                             get(f"/programs/{program_id}/history", web | {"HX-Request": "true"}, "history-chart"),
                             repeats))
        results.append(timed("readiness of one program: GET /api/.../readiness (ASGI)",
                             get(f"/api/programs/{program_id}/readiness", champion_api, "overall_ratio"), repeats))
        results.append(timed("item list page of 50: GET /api/.../items (ASGI)",
                             get(f"/api/programs/{program_id}/items?limit=50", champion_api, '"total":250'),
                             repeats * 2, "item list"))
        results.append(timed("item list page of 50, page 4 (ASGI)",
                             get(f"/api/programs/{program_id}/items?limit=50&offset=150", champion_api,
                                 '"total":250'), repeats, "item list"))
        results.append(timed(f"create program, {LIBRARY_ITEMS}-item library: POST (ASGI)", post_program,
                             max(10, repeats // 4), "create program"))
    with Session(engine) as session:
        counts = session.execute(select(ProgramItem.program_id).where(
            ProgramItem.program_id.in_(created)).distinct()).all()  # type: ignore[attr-defined]
        assert len(counts) == len(created), "every created program has its items"
        assert session.get(Program, created[-1]) is not None
    engine.dispose()
    return results


def _first_item_id(engine: Any, program_id: uuid.UUID) -> uuid.UUID:
    with Session(engine) as session:
        found = session.scalar(select(ProgramItem.id).where(ProgramItem.program_id == program_id).limit(1))
    assert found is not None
    return found


# --- output ---------------------------------------------------------------------------------------------


def report(loaded: Loaded, results: list[Timing]) -> list[Headline]:
    print(f"\nPostgreSQL: {loaded.items:,} items in {len(loaded.home_programs)}-program home institution of "
          f"{loaded.items // ITEMS:,} programs; {loaded.signoffs:,} sign-offs; {loaded.events:,} audit events; "
          f"loaded in {loaded.seconds:.1f} s")
    baseline = next(r.median_ms for r in results if r.name.startswith("baseline: SELECT 1"))
    header = ("measurement", "runs", "median ms", "p95 ms", "target ms", "vs target", "vs SELECT 1", "holds")
    print(f"{header[0]:<58} {header[1]:>4} {header[2]:>9} {header[3]:>8} {header[4]:>9} {header[5]:>9} "
          f"{header[6]:>11} {header[7]:>5}")
    for r in results:
        target = f"{r.target_ms:.0f}" if r.target_ms else "-"
        ratio = f"{r.median_ms / r.target_ms:.0%}" if r.target_ms else "-"
        holds = ("yes" if r.holds else "NO") if r.target_ms else ""
        print(f"{r.name:<58} {r.runs:>4} {r.median_ms:>9.2f} {r.p95_ms:>8.2f} {target:>9} {ratio:>9} "
              f"{r.median_ms / baseline:>10.0f}x {holds:>5}")
    print("holds: median under target; p95 shown for the tail (figures are noisy on a shared machine).")
    return [
        Headline(f"scale: {r.name}", f"{r.median_ms:.1f} ms median (p95 {r.p95_ms:.1f})", f"< {r.target_ms:.0f} ms",
                 r.holds)
        for r in results if r.target_ms is not None and "ASGI" in r.name
    ]


def main(server_url: str, programs: int, repeats: int) -> list[Timing]:
    with tempfile.TemporaryDirectory() as folder, throwaway_database(server_url, "scale") as database_url:
        migrate.upgrade(Settings(database_url=database_url))
        shipped = max(load_catalog(PROJECT_ROOT / "checklists").all(), key=lambda lib: len(lib.items))
        catalog_dir = padded_library_dir(Path(folder), LIBRARY_ITEMS, [shipped.products[0].id], "hub")
        library = max(load_catalog(catalog_dir).all(), key=lambda lib: len(lib.items))
        loaded = bulk_load(database_url, library, programs, ITEMS)
        results = measure(database_url, catalog_dir, loaded, repeats)
        record("scale", report(loaded, results))
        return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
                        help="a PostgreSQL URL whose server hosts the throwaway database ('' to skip)")
    parser.add_argument("--programs", type=int, default=PROGRAMS)
    parser.add_argument("--repeats", type=int, default=60, help="runs per read measurement")
    args, _ = parser.parse_known_args()
    if args.postgres:
        main(args.postgres, args.programs, args.repeats)
    else:
        print("bench_scale: skipped (no PostgreSQL URL)")
