"""A realistic program to export, and an empty, migrated database (of the suite's kind) to restore it into."""

import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine
from sqlmodel import Session

from app import migrate
from app.checklists.loader import Catalog, load_catalog
from app.clock import today
from app.config import Settings
from app.db import make_engine
from app.evidence.files import LocalStorage
from app.evidence.service import add_evidence, remove_evidence
from app.planning.defaults import default_capacity_inputs, default_reimbursement_inputs
from app.planning.schemas import ScenarioKind
from app.planning.service import save_scenario
from app.programs.schemas import ItemUpdate
from app.programs.service import get_item, update_item
from app.reports.schemas import ReportKind
from app.reports.service import generate_report
from app.signoffs.models import Meaning
from app.signoffs.service import revoke_signoff, sign_off_item
from app.transfer.service import export_program
from tests import db_harness
from tests.conftest import FIXTURE_CHECKLISTS, PASSWORD, Team


@dataclass
class Target:
    """Another deployment: its own database, evidence directory and checklist catalog."""

    settings: Settings
    engine: Engine
    session: Session
    catalog: Catalog

    @property
    def storage(self) -> LocalStorage:
        return LocalStorage(self.settings.evidence_dir)


@pytest.fixture
def target(tmp_path: Path) -> Iterator[Target]:
    url = db_harness.fresh_database_url(tmp_path, f"restore_{uuid.uuid4().hex[:10]}")
    settings = Settings(database_url=url, checklists_dir=FIXTURE_CHECKLISTS, data_dir=tmp_path / "target-data")
    migrate.upgrade(settings)
    engine = make_engine(settings)
    try:
        with Session(engine, expire_on_commit=False) as session:
            yield Target(settings, engine, session, load_catalog(FIXTURE_CHECKLISTS))
    finally:
        engine.dispose()
        if db_harness.USE_POSTGRES:
            db_harness.drop_postgres_database(url)


@pytest.fixture
def storage(settings: Settings) -> LocalStorage:
    return LocalStorage(settings.evidence_dir)


def _pdf(text: str) -> io.BytesIO:
    return io.BytesIO(b"%PDF-1.4\n% " + text.encode() + b"\n%%EOF\n")


def _set(session: Session, team: Team, key: str, actor: str = "champion", **changes: object) -> None:
    item = get_item(session, team.program.id, key)
    update_item(session, team.program.id, key, ItemUpdate.model_validate(changes), item.version, team.people[actor])


def _sign(session: Session, team: Team, key: str, signer: str) -> uuid.UUID:
    item = get_item(session, team.program.id, key)
    signoff = sign_off_item(session, team.people[signer], team.program, key, password=PASSWORD,
                            meaning=Meaning.APPROVED, statement=f"{key} checked on site.",
                            expected_version=item.version)
    return signoff.id


@pytest.fixture
def realistic(app: FastAPI, session: Session, team: Team, storage: LocalStorage) -> Team:
    """Items in every state with owners, due dates and notes; evidence (one expiring, one withdrawn); two
    sign-offs, one revoked; a stored report; both planning scenarios."""
    people, program = team.people, team.program
    soon = today() + timedelta(days=30)
    _set(session, team, "PHARM-001", owner_id=str(people["pharmacy_lead"].id), due_date=soon.isoformat(),
         notes="Freezer log reviewed weekly.")
    pharm = get_item(session, program.id, "PHARM-001")
    add_evidence(session, storage, people["pharmacy_lead"], program, pharm, source=_pdf("qualification"),
                 filename="freezer-qualification.pdf", kind="equipment_qualification",
                 expires_on=today() + timedelta(days=200), max_bytes=1 << 20)
    withdrawn = add_evidence(session, storage, people["pharmacy_lead"], program, pharm, source=_pdf("old draft"),
                             filename="old-draft.pdf", kind="other", expires_on=None, max_bytes=1 << 20)
    remove_evidence(session, people["pharmacy_lead"], program, withdrawn)
    _set(session, team, "PHARM-001", status="done")
    _sign(session, team, "PHARM-001", "pharmacy_lead")
    _set(session, team, "PHARM-002", status="in_progress", owner_id=str(people["pharmacy_lead"].id),
         due_date=(today() + timedelta(days=60)).isoformat(), notes="Draft SOP with the aseptic unit.")
    _set(session, team, "POL-002", status="not_applicable", na_justification="Covered by the hospital-wide refresher.")
    policy = get_item(session, program.id, "POL-001")
    add_evidence(session, storage, people["policy_lead"], program, policy, source=_pdf("P&T minutes"),
                 filename="pt-minutes.pdf", kind="committee_approval", expires_on=None, max_bytes=1 << 20)
    _set(session, team, "POL-001", status="done", owner_id=str(people["policy_lead"].id))
    _set(session, team, "PAY-001", status="done", owner_id=str(people["finance_lead"].id))
    revoked = _sign(session, team, "PAY-001", "finance_lead")
    revoke_signoff(session, people["champion"], revoked, "Payer workflow changed after the contract renewal.")
    save_scenario(session, people["finance_lead"], program, ScenarioKind.REIMBURSEMENT, "Base case",
                  default_reimbursement_inputs(program.products, patients_per_year=3))
    save_scenario(session, people["followup_coordinator"], program, ScenarioKind.CAPACITY, "Current clinic",
                  default_capacity_inputs(program.products, patients_per_year=6))
    generate_report(session, app.state.catalog, people["champion"], program, ReportKind.EXECUTIVE,
                    "Gene therapy steering committee")
    return team


def export_bytes(session: Session, storage: LocalStorage, program_id: uuid.UUID) -> bytes:
    buffer = io.BytesIO()
    export_program(session, storage, program_id, buffer)
    return buffer.getvalue()
