"""A hub program on the real hemophilia library offering Hemgenix and Roctavian, with a person for every role."""

import hashlib
import io
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.auth.models import User
from app.config import PROJECT_ROOT
from tests.conftest import PASSWORD, Team
from tests.hub_team import hub_team


@pytest.fixture
def checklists_dir() -> Path:
    return PROJECT_ROOT / "checklists"


@pytest.fixture
def site(app: FastAPI, session: Session, client_for: Callable[[User], TestClient]) -> Team:
    return hub_team(app, session, client_for)


def pdf_bytes(text: str) -> bytes:
    return f"%PDF-1.4 {text}\n".encode()


def attach(team: Team, key: str, kind: str, name: str, content: bytes) -> dict[str, Any]:
    response = team.clients["champion"].post(team.url(f"/items/{key}/evidence"), files={"file": (name, content)},
                                             data={"kind": kind})
    assert response.status_code == 201, response.text
    return dict(response.json())


def sign(team: Team, key: str, client: str) -> None:
    item = team.clients["champion"].get(team.url(f"/items/{key}")).json()
    body = {"status": "done", "version": item["version"]}
    done = team.clients["champion"].patch(team.url(f"/items/{key}"), json=body)
    assert done.status_code == 200, done.text
    body = {"password": PASSWORD, "meaning": "approved", "statement": "Checked on site.",
            "version": done.json()["version"]}
    signed = team.clients[client].post(team.url(f"/items/{key}/signoffs"), json=body)
    assert signed.status_code == 201, signed.text


def generate(team: Team, product: str = "hemgenix") -> dict[str, Any]:
    response = team.clients["champion"].post(team.url("/dossiers"), json={"product": product})
    assert response.status_code == 201, response.text
    return dict(response.json())


def download(team: Team, number: str, client: str = "viewer") -> bytes:
    response = team.clients[client].get(f"/api/dossiers/{number}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    assert response.headers["etag"] == hashlib.sha256(response.content).hexdigest()
    return response.content


def repack(data: bytes, replace: dict[str, bytes] | None = None, drop: tuple[str, ...] = ()) -> bytes:
    """The zip's members again (some replaced or dropped), deflated and in reverse order: another zip file."""
    replace = replace or {}
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in reversed(source.infolist()):
            if info.filename not in drop:
                target.writestr(info.filename, replace.get(info.filename, source.read(info)))
    return out.getvalue()
