"""Committee packets are tested against the real checklist library, which their packaged definitions select from."""

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.auth.models import User
from app.auth.roles import Role
from app.config import PROJECT_ROOT
from tests.conftest import PASSWORD, Team
from tests.factories import make_institution, make_program, make_user


@pytest.fixture
def checklists_dir() -> Path:
    return PROJECT_ROOT / "checklists"


@pytest.fixture
def real_team(app: FastAPI, session: Session, client_for: Callable[[User], TestClient]) -> Team:
    """An institution running Hemgenix and Roctavian on hemophilia-gt 1.1.0, with a person for every role."""
    institution = make_institution(session, "Riverside University Hospital")
    people = {
        role.value: make_user(session, institution, roles=(role.value,), email=f"{role.value}@riverside.example",
                              full_name=role.label, password=PASSWORD)
        for role in Role
    }
    program = make_program(session, app.state.catalog, institution, products=("hemgenix", "roctavian"),
                           library_id="hemophilia-gt", library_version="1.1.0")
    return Team(institution, program, people, {role: client_for(user) for role, user in people.items()})
