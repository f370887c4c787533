"""The real content: the demo program, seeded on hemophilia-gt 1.0.0, moves to 1.1.0 through the product's own diff
and upgrade; a Beqvez program loses its pre-dose items and keeps its follow-up; the demo opens on the newest version."""

from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.audit.service import verify_chain
from app.checklists.loader import Catalog
from app.checklists.schema import CareRole
from app.demo import DEMO_LIBRARY, seed_demo
from app.evidence.files import LocalStorage
from app.programs import service
from app.programs.models import Program
from app.programs.schemas import ProgramCreate
from tests.conftest import REAL_CHECKLISTS
from tests.factories import make_institution

pytestmark = pytest.mark.skipif(
    not (REAL_CHECKLISTS / DEMO_LIBRARY / "1.1.0" / "library.yaml").is_file(), reason="hemophilia-gt 1.1.0 not shipped"
)
STATE = ("status", "owner_id", "owner_name", "due_date", "notes", "na_justification", "completed_at", "version")


@pytest.fixture
def checklists_dir() -> Path:
    return REAL_CHECKLISTS


def only_1_0_0(app: FastAPI) -> Catalog:
    """The catalog as it was before 1.1.0 shipped."""
    return Catalog({(DEMO_LIBRARY, "1.0.0"): app.state.catalog.get(DEMO_LIBRARY, "1.0.0")})


def items_of(client: TestClient, program: Program, **params: Any) -> dict[str, dict[str, Any]]:
    page = client.get(f"/api/programs/{program.id}/items", params={"limit": 500, **params}).json()
    return {item["key"]: item for item in page["items"]}


def test_the_demo_opens_on_the_newest_library_version_once(app: FastAPI, session: Session) -> None:
    storage = LocalStorage(app.state.settings.evidence_dir)
    program = seed_demo(session, app.state.catalog, storage)
    newest = app.state.catalog.latest(DEMO_LIBRARY)
    assert newest is not None and newest.version not in ("1.0.0", "1.1.0")  # 1.2.0 added approval chains
    assert program.library_version == newest.version
    again = seed_demo(session, app.state.catalog, storage)
    assert again.id == program.id


def test_the_demo_program_upgrades_from_1_0_0_to_1_1_0_keeping_the_state_of_unchanged_items(
    app: FastAPI, session: Session, client: TestClient
) -> None:
    program = seed_demo(session, only_1_0_0(app), LocalStorage(app.state.settings.evidence_dir))
    assert program.library_version == "1.0.0"
    before = items_of(client, program)
    signed_before = {key for key, item in before.items() if item["status"] == "signed_off"}
    diff = client.get(f"/api/programs/{program.id}/library-diff", params={"to_version": "1.1.0"}).json()
    added = {i["key"] for i in diff["added"]}
    removed = {i["key"] for i in diff["removed"]}
    changed = {c["key"]: c for c in diff["changed"]}
    assert {"POL-026", "POL-027", "PAY-021", "FU-022"} <= added  # corticosteroid, liver wash-out, networks, registry
    assert "EDU-012" in removed  # retired in 1.1.0
    assert changed and all(c["fields"] for c in changed.values())
    assert diff["unchanged"] == len(before) - len(removed) - len(changed) > 0

    response = client.post(f"/api/programs/{program.id}/library-upgrade", json={"to_version": "1.1.0"})
    assert response.status_code == 200 and response.json() == diff
    after = items_of(client, program)
    assert set(after) == (set(before) - removed) | added
    for key in set(before) - removed - set(changed):
        assert {f: after[key][f] for f in STATE} == {f: before[key][f] for f in STATE}, key
    for key in set(changed):
        assert after[key]["notes"] == before[key]["notes"] and after[key]["owner_id"] == before[key]["owner_id"]
        if key in signed_before:  # the signature attested the old text
            assert after[key]["status"] == "done"
        for field, value in changed[key]["after"].items():
            assert after[key][field] == value
    retired = items_of(client, program, include_retired=True)
    for key in removed:
        assert retired[key]["retired"] is True and retired[key]["status"] == before[key]["status"]
    for key in added:
        assert after[key]["status"] == "not_started"
    assert client.get(f"/api/programs/{program.id}").json()["library_version"] == "1.1.0"
    assert client.get(f"/api/programs/{program.id}/readiness").status_code == 200
    assert verify_chain(session).valid


def test_a_beqvez_program_loses_its_pre_dose_items_and_keeps_its_follow_up(
    app: FastAPI, session: Session, client: TestClient
) -> None:
    data = ProgramCreate(title="Hemophilia B", library_id=DEMO_LIBRARY, products=["beqvez"], care_role=CareRole.HUB)
    program = service.create_program(session, only_1_0_0(app), make_institution(session).id, data)
    before = items_of(client, program)
    diff = client.get(f"/api/programs/{program.id}/library-diff", params={"to_version": "1.1.0"}).json()
    removed = {i["key"] for i in diff["removed"]}
    library = app.state.catalog.get(DEMO_LIBRARY, "1.1.0")
    retired_beqvez = {r.id for r in library.retired if r.id in before}
    assert {"PHARM-201", "PAY-201"} <= retired_beqvez <= removed
    follow_up = [key for key in before if key.startswith("FU-2")]
    assert follow_up and not set(follow_up) & removed
    assert client.post(f"/api/programs/{program.id}/library-upgrade", json={"to_version": "1.1.0"}).status_code == 200
    assert set(follow_up) <= set(items_of(client, program))
    warnings = client.get(f"/api/programs/{program.id}").json()["warnings"]
    assert any("discontinued since 2025-02-20" in w for w in warnings)
