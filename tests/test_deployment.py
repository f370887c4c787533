"""No Docker engine runs here, so the compose file, the proxy config and the Dockerfile are checked for what a
deployment of several replicas relies on. tests/test_replicas.py proves the app itself keeps no process state."""

import re
from typing import Any

import pytest
import yaml

from app.config import PROJECT_ROOT

DATABASE_URL = "postgresql+psycopg://gtready:gtready@db:5432/gtready"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return dict(yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text()))


def _volume_names(service: dict[str, Any]) -> dict[str, str]:
    """Named volume -> mount point."""
    return dict(entry.split(":")[:2] for entry in service.get("volumes", []))


def test_compose_has_database_migration_app_worker_and_proxy_services(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) == {"db", "migrate", "app", "worker", "proxy"}


def test_the_worker_sends_reminders_after_the_migration_sharing_the_apps_data_volume(compose: dict[str, Any]) -> None:
    worker, app = compose["services"]["worker"], compose["services"]["app"]
    assert worker["command"] == ["gtready", "worker"]
    assert worker["environment"]["DATABASE_URL"] == DATABASE_URL
    assert worker["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    assert _volume_names(worker) == _volume_names(app)  # the unsubscribe links' key (GTREADY_DATA_DIR/secret_key)
    assert worker["environment"]["GTREADY_DATA_DIR"] == app["environment"]["GTREADY_DATA_DIR"]
    assert "ports" not in worker and "expose" not in worker


def test_postgres_16_with_a_health_check_on_a_named_volume(compose: dict[str, Any]) -> None:
    db = compose["services"]["db"]
    assert db["image"] == "postgres:16"
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert _volume_names(db) == {"pgdata": "/var/lib/postgresql/data"}
    assert "pgdata" in compose["volumes"]


def test_migrations_run_once_in_a_one_shot_service_once_the_database_is_healthy(compose: dict[str, Any]) -> None:
    migrate = compose["services"]["migrate"]
    assert migrate["command"] == ["gtready", "db", "upgrade"]
    assert migrate["environment"]["DATABASE_URL"] == DATABASE_URL
    assert migrate["depends_on"] == {"db": {"condition": "service_healthy"}}
    assert migrate.get("restart", "no") == "no"
    assert "deploy" not in migrate and "ports" not in migrate


def test_app_runs_three_replicas_after_the_migration_succeeded(compose: dict[str, Any]) -> None:
    app = compose["services"]["app"]
    assert app["deploy"]["replicas"] == 3
    assert app["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    assert app["depends_on"]["db"] == {"condition": "service_healthy"}
    assert "command" not in app  # the image's own command: serve only, never migrate


def test_replicas_publish_no_host_port_of_their_own(compose: dict[str, Any]) -> None:
    # A fixed host port cannot be bound by three replicas; only the proxy publishes one.
    app = compose["services"]["app"]
    assert "ports" not in app
    assert [str(port) for port in app["expose"]] == ["8000"]
    published = {name: service["ports"] for name, service in compose["services"].items() if "ports" in service}
    assert published == {"proxy": ["8000:8000"]}


def test_replicas_share_the_database_and_the_evidence_volume(compose: dict[str, Any]) -> None:
    app = compose["services"]["app"]
    assert app["environment"]["DATABASE_URL"] == DATABASE_URL
    data_dir = app["environment"]["GTREADY_DATA_DIR"]
    assert _volume_names(app) == {"appdata": data_dir}  # a named volume, the same for every replica
    assert "appdata" in compose["volumes"]
    assert app["environment"]["FORWARDED_ALLOW_IPS"] == "*"  # https and client addresses as the proxy saw them


def test_app_health_check_asks_whether_the_replica_is_ready(compose: dict[str, Any]) -> None:
    assert "/readyz" in " ".join(compose["services"]["app"]["healthcheck"]["test"])


def test_proxy_is_nginx_with_the_repository_config_and_waits_for_healthy_replicas(compose: dict[str, Any]) -> None:
    proxy = compose["services"]["proxy"]
    assert proxy["image"].startswith("nginx:")
    source, target, mode = proxy["volumes"][0].split(":")
    assert (PROJECT_ROOT / source).resolve() == PROJECT_ROOT / "deploy" / "nginx.conf"
    assert (target, mode) == ("/etc/nginx/conf.d/default.conf", "ro")
    assert proxy["depends_on"] == {"app": {"condition": "service_healthy"}}


def test_nginx_round_robins_over_the_app_service_name_and_forwards_the_client() -> None:
    conf = (PROJECT_ROOT / "deploy" / "nginx.conf").read_text()
    assert re.search(r"listen\s+8000;", conf)
    # Resolving through Docker's DNS at request time spreads requests over every replica, including new ones.
    assert re.search(r"resolver\s+127\.0\.0\.11\b", conf)
    assert re.search(r"set\s+\$app\s+http://app:8000;", conf)
    assert re.search(r"proxy_pass\s+\$app;", conf)
    for header in ("Host", "X-Forwarded-For", "X-Forwarded-Proto", "X-Request-ID"):
        assert re.search(rf"proxy_set_header\s+{header}\s", conf), header
    limit = re.search(r"client_max_body_size\s+(\d+)m;", conf)
    assert limit and int(limit.group(1)) * 2**20 > 25 * 2**20  # the app answers oversized uploads itself


def test_dockerfile_serves_with_uvicorn_and_leaves_migrations_to_the_migrate_service() -> None:
    dockerfile = (PROJECT_ROOT / "Dockerfile").read_text()
    cmd = [line for line in dockerfile.splitlines() if line.startswith("CMD")]
    assert cmd == ['CMD ["gtready", "serve", "--host", "0.0.0.0", "--port", "8000"]']
    assert "db upgrade" not in cmd[0]
    # The app finds alembic.ini, migrations/, checklists/ and its templates next to its code: an editable install.
    assert "pip install --no-cache-dir -e ." in dockerfile
    for folder in ("app", "checklists", "migrations", "report_templates"):
        assert re.search(rf"^COPY {folder} {folder}$", dockerfile, re.MULTILINE), folder
