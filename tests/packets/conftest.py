"""Committee packets are tested against the real checklist library, which their packaged definitions select from."""

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.auth.models import User
from app.config import PROJECT_ROOT
from tests.conftest import Team
from tests.hub_team import hub_team


@pytest.fixture
def checklists_dir() -> Path:
    return PROJECT_ROOT / "checklists"


@pytest.fixture
def real_team(app: FastAPI, session: Session, client_for: Callable[[User], TestClient]) -> Team:
    return hub_team(app, session, client_for)
