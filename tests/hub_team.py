"""A hub program on the real hemophilia library (1.1.0) offering Hemgenix and Roctavian, with a person for every role.

Packets and dossiers select from the real checklist content, so both suites build this same team.
"""

from collections.abc import Callable

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.auth.models import User
from app.auth.roles import Role
from tests.conftest import PASSWORD, Team
from tests.factories import make_institution, make_program, make_user


def hub_team(app: FastAPI, session: Session, client_for: Callable[[User], TestClient]) -> Team:
    institution = make_institution(session, "Riverside University Hospital")
    people = {
        role.value: make_user(session, institution, roles=(role.value,), email=f"{role.value}@riverside.example",
                              full_name=role.label, password=PASSWORD)
        for role in Role
    }
    program = make_program(session, app.state.catalog, institution, products=("hemgenix", "roctavian"),
                           library_id="hemophilia-gt", library_version="1.1.0")
    return Team(institution, program, people, {role: client_for(user) for role, user in people.items()})
