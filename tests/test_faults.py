"""PostgreSQL restarted under a running service: requests fail cleanly with 503, then it recovers by itself."""

import httpx
from sqlmodel import Session

from app import migrate
from app.auth.service import create_admin, create_api_token
from app.checklists.loader import load_catalog
from app.config import Settings
from app.db import make_engine
from bench.server import running_server
from tests.conftest import FIXTURE_CHECKLISTS
from tests.factories import make_program
from tests.private_postgres import private_cluster


def test_database_restart_answers_503_then_recovers_without_restarting_the_app() -> None:
    with private_cluster() as cluster:
        settings = Settings(database_url=cluster.url, checklists_dir=FIXTURE_CHECKLISTS)
        migrate.upgrade(settings)
        engine = make_engine(settings)
        with Session(engine, expire_on_commit=False) as session:
            program = make_program(session, load_catalog(FIXTURE_CHECKLISTS))
            _, token = create_api_token(session, create_admin(session, "ops@example.org", "Ops", "ops passphrase"), "t")
        engine.dispose()
        items = f"/api/programs/{program.id}/items"
        server = running_server(cluster.url, env={"GTREADY_CHECKLISTS_DIR": str(FIXTURE_CHECKLISTS)})
        auth = {"Authorization": f"Bearer {token}"}
        with server as base_url, httpx.Client(base_url=base_url, timeout=20, headers=auth) as client:
            assert client.get(items).status_code == 200
            cluster.stop()
            down = [client.get(items) for _ in range(3)]
            assert [r.status_code for r in down] == [503, 503, 503]
            assert down[0].json() == {"detail": "the database is unavailable; try again shortly"}
            assert client.get("/readyz").status_code == 503
            assert client.get("/healthz").status_code == 200  # the process itself is fine
            update = client.patch(f"{items}/PAY-001", json={"notes": "during outage", "version": 1})
            assert update.status_code == 503
            cluster.start()
            assert client.get(items).status_code == 200
            assert client.get("/readyz").json() == {"status": "ready"}
            item = client.get(f"{items}/PAY-001").json()
            assert (item["notes"], item["version"]) == ("", 1)  # the failed write left nothing behind
