"""API under load: item list, readiness summary (the dashboard's API), the web dashboard page `/` and item update
against a trivial JSON endpoint of the same app, at 1, 10 and 50 concurrent clients, on SQLite and PostgreSQL.
Run: `python bench/bench_api.py`.

Targets (issue #8): item list and dashboard at >= 50% of the trivial endpoint's throughput; p99 < 100 ms at 10.
"""

import argparse
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlmodel import Session, col

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import migrate  # noqa: E402
from app.auth.deps import SESSION_COOKIE  # noqa: E402
from app.auth.roles import Role  # noqa: E402
from app.auth.service import create_api_token, create_user, grant_roles, start_session  # noqa: E402
from app.checklists.loader import load_catalog  # noqa: E402
from app.config import Settings  # noqa: E402
from app.db import make_engine  # noqa: E402
from app.programs import service  # noqa: E402
from app.programs.models import ProgramItem  # noqa: E402
from app.programs.schemas import ProgramCreate  # noqa: E402
from bench.loadgen import LoadResult, run_load  # noqa: E402
from bench.server import running_server, throwaway_database  # noqa: E402
from bench.summary import Headline, record  # noqa: E402

ITEMS = 250
LEVELS = {1: 300, 10: 1500, 50: 3000}  # clients -> request budget (each run is also capped at 15 s)


@dataclass(frozen=True)
class Seeded:
    program_id: uuid.UUID
    keys: list[str]
    token: str  # the champion's API token
    cookie: str  # the champion's browser session, for the web dashboard


def seed(database_url: str) -> Seeded:
    """A program of ITEMS items from the shipped library (padded with generic items if it has fewer)."""
    settings = Settings(database_url=database_url)
    migrate.upgrade(settings)
    catalog = load_catalog(settings.checklists_dir)
    library = max(catalog.all(), key=lambda lib: len(lib.items))
    engine = make_engine(settings)
    with Session(engine, expire_on_commit=False) as session:
        institution = service.create_institution(session, "Benchmark Hospital")
        program = service.create_program(
            session, catalog, institution.id,
            ProgramCreate(title="Load", library_id=library.id, products=[p.id for p in library.products],
                          care_role="hub"),
        )
        in_program = col(ProgramItem.program_id) == program.id
        count = session.scalar(select(func.count()).where(in_program)) or 0
        session.add_all(
            ProgramItem(program_id=program.id, key=f"LOAD-{n:03d}", position=1000 + n, area=library.areas[0].id,
                        title=f"Load item {n}", done_when="x", why="y", criticality="minor", weight=1,
                        signoff_role="champion", references=["bench"])
            for n in range(max(0, ITEMS - count))
        )
        session.commit()
        keys = list(session.scalars(select(col(ProgramItem.key)).where(in_program)))
        champion = create_user(session, "champion@bench.example", "Bench Champion")
        grant_roles(session, None, institution.id, champion, [Role.CHAMPION])
        _, token = create_api_token(session, champion, "bench")
        cookie = start_session(session, champion).token
    engine.dispose()
    return Seeded(program.id, keys, token, cookie)


def measure(base_url: str, seeded: Seeded) -> list[LoadResult]:
    program_id, keys, token = seeded.program_id, seeded.keys, seeded.token
    versions: dict[int, int] = {}
    # The web dashboard is what a champion opens first: their session cookie, and no bearer token (a token
    # would win over the cookie and the page would send them to the login page).
    web = {"Authorization": "", "Cookie": f"{SESSION_COOKIE}={seeded.cookie}"}
    page = httpx.get(f"{base_url}/", headers=web)
    assert page.status_code == 200 and "Readiness dashboard" in page.text, page.status_code

    async def trivial(client: httpx.AsyncClient, _: int) -> httpx.Response:
        return await client.get("/healthz")

    async def item_list(client: httpx.AsyncClient, _: int) -> httpx.Response:
        return await client.get(f"/api/programs/{program_id}/items", params={"limit": 50})

    async def dashboard(client: httpx.AsyncClient, _: int) -> httpx.Response:
        return await client.get(f"/api/programs/{program_id}/readiness")

    async def dashboard_page(client: httpx.AsyncClient, _: int) -> httpx.Response:
        return await client.get("/", headers=web)

    async def item_update(client: httpx.AsyncClient, worker: int) -> httpx.Response:
        key = keys[worker % len(keys)]  # one item per client: measures writes, not conflicts
        url = f"/api/programs/{program_id}/items/{key}"
        if worker not in versions:
            versions[worker] = (await client.get(url)).json()["version"]
        headers = {"If-Match": f'"{versions[worker]}"'}
        response = await client.patch(url, json={"notes": uuid.uuid4().hex}, headers=headers)
        if response.status_code == 200:
            versions[worker] = response.json()["version"]
        return response

    results = []
    for clients, budget in LEVELS.items():
        for name, request in (("trivial", trivial), ("item list", item_list), ("dashboard", dashboard),
                              ("dashboard page", dashboard_page), ("item update", item_update)):
            results.append(run_load(base_url, name, request, clients, budget, max_seconds=15, token=token))
    return results


def report(database: str, results: list[LoadResult]) -> list[dict[str, Any]]:
    rows = []
    baseline = {r.clients: r.rps for r in results if r.name == "trivial"}
    print(f"\n{database}: {ITEMS}-item program, uvicorn 1 worker")
    header = ("endpoint", "clients", "req", "err", "req/s", "p50 ms", "p99 ms", "vs trivial")
    print("{:<14} {:>7} {:>6} {:>4} {:>8} {:>8} {:>8} {:>10}".format(*header))
    for r in results:
        ratio = r.rps / baseline[r.clients] if baseline[r.clients] else 0
        print(f"{r.name:<14} {r.clients:>7} {r.requests:>6} {r.errors:>4} {r.rps:>8.0f} {r.p50_ms:>8.1f} "
              f"{r.p99_ms:>8.1f} {ratio:>9.0%}")
        rows.append({"database": database, "endpoint": r.name, "clients": r.clients, "rps": round(r.rps),
                     "p50_ms": round(r.p50_ms, 1), "p99_ms": round(r.p99_ms, 1), "ratio": round(ratio, 2),
                     "errors": r.errors})
    return rows


def headlines(rows: list[dict[str, Any]]) -> list[Headline]:
    """The targets at 10 clients: >= 50% of the trivial endpoint's throughput and p99 < 100 ms."""
    return [
        Headline(f"api {row['database']}: {row['endpoint']}, 10 clients",
                 f"{row['ratio']:.0%} of trivial req/s, p99 {row['p99_ms']} ms", ">= 50%, p99 < 100 ms",
                 row["ratio"] >= 0.5 and row["p99_ms"] < 100 and not row["errors"])
        for row in rows if row["clients"] == 10 and row["endpoint"] in ("item list", "dashboard", "dashboard page")
    ]


def run_on(database: str, database_url: str) -> list[dict[str, Any]]:
    seeded = seed(database_url)
    with running_server(database_url) as base_url:
        return report(database, measure(base_url, seeded))


def main(postgres_url: str | None = None) -> list[dict[str, Any]]:
    rows = []
    with TemporaryDirectory() as directory:
        rows += run_on("SQLite", f"sqlite:///{directory}/bench.db")
    if postgres_url:
        with throwaway_database(postgres_url, "bench_api") as url:
            rows += run_on("PostgreSQL", url)
    record("api", headlines(rows))
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/gtready_bench",
                        help="PostgreSQL URL whose server to use ('' to skip)")
    main(parser.parse_known_args()[0].postgres or None)
