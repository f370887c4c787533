"""The demo sets up two programs side by side, sharing the clinic, when the ex-vivo-hsc library ships."""

from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlmodel import Session, col

from app.capacity.service import institution_capacity
from app.demo import SECOND_LIBRARY, seed_demo
from app.evidence.files import LocalStorage
from app.followup.schemas import ResourceKind
from app.programs.models import Program
from tests.conftest import REAL_CHECKLISTS

pytestmark = pytest.mark.skipif(not (REAL_CHECKLISTS / SECOND_LIBRARY).is_dir(), reason="ex-vivo-hsc not shipped")


@pytest.fixture
def checklists_dir() -> Path:
    return REAL_CHECKLISTS


def test_demo_creates_both_programs_and_counts_the_clinic_once(app: FastAPI, session: Session) -> None:
    storage = LocalStorage(app.state.settings.evidence_dir)
    first = seed_demo(session, app.state.catalog, storage)
    programs = session.scalars(select(Program).where(col(Program.institution_id) == first.institution_id)
                               .order_by(col(Program.created_at))).all()
    assert [p.products for p in programs] == [["hemgenix"], ["casgevy"]]
    assert programs[1].library_id == SECOND_LIBRARY
    view = institution_capacity(session, first.institution_id)
    visits = next(load for load in view.resources if load.resource == ResourceKind.CLINIC_VISITS)
    assert visits.periods[0].competing == sorted(p.title for p in programs)
    assert seed_demo(session, app.state.catalog, storage).id == first.id  # a second run changes nothing
