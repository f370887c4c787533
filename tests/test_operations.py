"""Probes and request ids, as an operator and a load balancer see them."""

import json
import logging

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from app.observability import configure_logging


def test_healthz_and_readyz_answer_when_the_database_is_migrated(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready"}


def test_readyz_is_503_when_the_schema_is_behind(app: FastAPI, client: TestClient) -> None:
    with app.state.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'not-a-revision'"))
    response = client.get("/readyz")
    assert response.status_code == 503 and response.json()["detail"] == "database schema is not current"


def test_request_id_is_kept_or_made_and_logged_as_json(
    client: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging()
    assert client.get("/healthz", headers={"X-Request-ID": "abc123"}).headers["x-request-id"] == "abc123"
    made = client.get("/healthz").headers["x-request-id"]
    assert len(made) == 32
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    assert {"request_id": "abc123", "path": "/healthz", "status": 200}.items() <= lines[0].items()
    logging.getLogger("gtready").handlers.clear()
