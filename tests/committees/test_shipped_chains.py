"""Programs opened from hemophilia-gt 1.2.0 carry its approval chains, and say which committees are missing."""

from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlmodel import Session

from app.programs.service import get_item
from app.signoffs.chains import missing_committees, step_states
from tests.conftest import PASSWORD
from tests.factories import make_institution, make_program, make_user

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def checklists_dir() -> Path:
    return ROOT / "checklists"


def test_a_program_from_the_shipped_library_copies_its_chains_and_names_missing_committees(
    app: FastAPI, session: Session, client_for: Any
) -> None:
    institution = make_institution(session)
    admin = client_for(make_user(session, institution, roles=("administrator",), password=PASSWORD))
    program = make_program(session, app.state.catalog, institution, library_id="hemophilia-gt",
                           library_version="1.2.0")
    item = get_item(session, program.id, "POL-001")
    assert [s.get("committee") or s.get("role") for s in item.approval_chain or []] == ["policy_lead", "pt", "mec"]
    assert missing_committees(session, program) == ["mec", "pt"]
    states = step_states(session, program.institution_id, item.id, item.approval_chain)
    assert [s.state for s in states] == ["next", "committee not set up", "committee not set up"]
    admin.post(f"/api/institutions/{institution.id}/committees", json={"slug": "pt", "name": "P&T"})
    assert missing_committees(session, program) == ["mec"]
    read = admin.get(f"/api/programs/{program.id}/items/POL-001").json()
    assert read["approval_chain"][1] == {"committee": "pt", "meaning": "approved"}


def test_the_program_page_says_which_committees_are_missing(app: FastAPI, session: Session) -> None:
    from tests.web.form_client import FormClient

    institution = make_institution(session)
    make_user(session, institution, roles=("champion",), password=PASSWORD, email="lead@chains.example")
    program = make_program(session, app.state.catalog, institution, library_id="hemophilia-gt",
                           library_version="1.2.0")
    html = FormClient(app, "lead@chains.example").get(f"/programs/{program.id}").text
    assert 'id="missing-committees"' in html and "name mec, pt" in html
