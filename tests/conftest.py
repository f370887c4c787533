"""Each test gets its own app and an empty, migrated database (see db_harness)."""

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.auth.models import User
from app.auth.roles import Role
from app.auth.service import create_admin, create_api_token
from app.config import PROJECT_ROOT, Settings
from app.main import create_app
from app.programs.models import Institution, Program
from tests import db_harness
from tests.factories import make_institution, make_program, make_user

FIXTURE_CHECKLISTS = Path(__file__).parent / "fixtures" / "checklists"
REAL_CHECKLISTS = PROJECT_ROOT / "checklists"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """`postgres_only` tests are skipped, saying why, when the suite runs on SQLite."""
    if db_harness.USE_POSTGRES:
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (DATABASE_URL=postgresql+psycopg://...)")
    for item in items:
        if item.get_closest_marker("postgres_only"):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def template_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    url = db_harness.migrated_template(tmp_path_factory.mktemp("template"), worker)
    yield url
    if db_harness.USE_POSTGRES:
        db_harness.drop_postgres_database(url)


@pytest.fixture
def checklists_dir() -> Path:
    """The small two-version library most tests use; override to use the real content."""
    return FIXTURE_CHECKLISTS


@pytest.fixture
def settings(template_url: str, tmp_path: Path, checklists_dir: Path) -> Settings:
    return Settings(
        database_url=db_harness.per_test_url(template_url, tmp_path),
        checklists_dir=checklists_dir,
        data_dir=tmp_path / "data",
    )


@pytest.fixture
def app(settings: Settings) -> Iterator[FastAPI]:
    app = create_app(settings)
    db_harness.empty_tables(app.state.engine)
    yield app
    app.state.engine.dispose()


@pytest.fixture
def session(app: FastAPI) -> Iterator[Session]:
    with Session(app.state.engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def client_for(app: FastAPI, session: Session) -> Iterator[Callable[[User], TestClient]]:
    """A client authenticated as the given user with an API token of theirs."""
    clients: list[TestClient] = []

    def make(user: User) -> TestClient:
        _, token = create_api_token(session, user, "tests")
        client = TestClient(app, headers={"Authorization": f"Bearer {token}"})
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def superuser(session: Session) -> User:
    return create_admin(session, "root@example.org", "Site Admin", "correct horse battery staple")


@pytest.fixture
def client(client_for: Callable[[User], TestClient], superuser: User) -> TestClient:
    """A superuser's client: for tests about programs and items rather than about who may see them."""
    return client_for(superuser)


@pytest.fixture
def anonymous(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


PASSWORD = "a long demo passphrase"


@dataclass
class Team:
    """One institution with a program and a person (and an API client) for each role."""

    institution: Institution
    program: Program
    people: dict[str, User]
    clients: dict[str, TestClient]

    def url(self, path: str = "") -> str:
        return f"/api/programs/{self.program.id}{path}"


@pytest.fixture
def team(app: FastAPI, session: Session, client_for: Callable[[User], TestClient]) -> Team:
    institution = make_institution(session, "Riverside University Hospital")
    people = {
        role.value: make_user(session, institution, roles=(role.value,), email=f"{role.value}@riverside.example",
                              full_name=role.label, password=PASSWORD)
        for role in Role
    }
    program = make_program(session, app.state.catalog, institution)
    return Team(institution, program, people, {role: client_for(user) for role, user in people.items()})


@pytest.fixture
def outsider(session: Session, client_for: Callable[[User], TestClient]) -> TestClient:
    """A champion of another institution."""
    other = make_institution(session, "Elsewhere General")
    return client_for(make_user(session, other, roles=("champion",), password=PASSWORD))
