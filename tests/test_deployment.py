"""No Docker engine runs here, so the compose file is checked for what a deployment relies on."""

import yaml

from app.config import PROJECT_ROOT


def test_compose_runs_app_against_a_healthy_postgres_with_a_named_volume() -> None:
    compose = yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text())
    db, app = compose["services"]["db"], compose["services"]["app"]
    assert int(db["image"].split(":")[1]) >= 15
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert db["volumes"][0].split(":")[0] in compose["volumes"]
    assert app["environment"]["DATABASE_URL"].startswith("postgresql+psycopg://")
    assert "@db:5432/" in app["environment"]["DATABASE_URL"]
    assert app["depends_on"]["db"]["condition"] == "service_healthy"
    assert "/healthz" in " ".join(app["healthcheck"]["test"])


def test_dockerfile_migrates_before_serving() -> None:
    dockerfile = (PROJECT_ROOT / "Dockerfile").read_text()
    assert "gtready db upgrade && gtready serve --host 0.0.0.0" in dockerfile
