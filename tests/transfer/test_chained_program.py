"""A program whose policy is signed through a committee chain travels: the archive carries the committees its
sign-offs and chains name, and the import maps them by slug to the target institution's committees."""

import hashlib
import io
import json
import zipfile
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import Session, col

from app.audit.models import AuditEvent
from app.audit.service import verify_chain
from app.committees.models import Committee
from app.errors import Invalid
from app.evidence.files import LocalStorage
from app.programs.models import Institution
from app.programs.service import get_item
from app.signoffs.chains import step_states
from app.signoffs.models import SignOff
from app.transfer.service import import_program
from tests.conftest import Team
from tests.signoffs.test_chains import KEY, meeting, ready, sign_step
from tests.transfer.conftest import Target, export_bytes


def chained(session: Session, team: Team, client_for: Any) -> None:
    """POL-001 with its three-step chain, the author's and the P&T member's steps signed, MEC still to sign."""
    c = ready(session, team, client_for)
    assert sign_step(c["author"], team, "authored").status_code == 201
    response = sign_step(c["pt"], team, "approved", meeting_date=meeting())
    assert response.status_code == 201, response.text


def test_a_chained_program_with_a_signed_committee_step_imports_into_an_empty_database(
    session: Session, team: Team, client_for: Any, storage: LocalStorage, target: Target
) -> None:
    chained(session, team, client_for)
    archive = export_bytes(session, storage, team.program.id)
    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        manifest = json.loads(opened.read("manifest.json"))
    assert sorted(c["slug"] for c in manifest["committees"]) == ["mec", "pt"]

    import_program(target.session, target.catalog, target.storage, io.BytesIO(archive))
    other = target.session
    made = {c.slug: c for c in other.scalars(select(Committee))}
    assert {s: c.name for s, c in made.items()} == {
        "pt": "Pharmacy and therapeutics committee", "mec": "Medical executive committee"}
    assert all(c.institution_id == team.institution.id for c in made.values())
    signed = other.scalars(select(SignOff).where(col(SignOff.committee_id).is_not(None))).all()
    assert [(s.step, s.committee_id) for s in signed] == [(2, made["pt"].id)]
    created = other.scalars(select(AuditEvent).where(col(AuditEvent.action) == "committee.created")).all()
    assert sorted(e.entity_key for e in created) == ["mec", "pt"]
    assert verify_chain(other).valid

    item = get_item(other, team.program.id, KEY)
    states = step_states(other, team.institution.id, item.id, item.approval_chain)
    assert [s.state for s in states] == ["signed", "signed", "next"]
    assert states[1].committee_name == "Pharmacy and therapeutics committee"


def test_the_import_uses_the_target_institutions_committee_of_the_same_slug(
    session: Session, team: Team, client_for: Any, storage: LocalStorage, target: Target
) -> None:
    chained(session, team, client_for)
    archive = export_bytes(session, storage, team.program.id)
    other = target.session
    # The target already knows the institution (by name) and has its own P&T committee: another id, another name.
    here = Institution(name=team.institution.name)
    other.add(here)
    other.flush()
    own = Committee(institution_id=here.id, slug="pt", name="P&T (formulary) committee")
    other.add(own)
    other.commit()

    import_program(other, target.catalog, target.storage, io.BytesIO(archive))
    signed = other.scalars(select(SignOff).where(col(SignOff.committee_id).is_not(None))).one()
    assert signed.committee_id == own.id
    assert signed.on_behalf_of_committee == "Pharmacy and therapeutics committee"  # what was signed stays
    slugs = {c.slug: c.name for c in other.scalars(select(Committee).where(col(Committee.institution_id) == here.id))}
    assert slugs == {"pt": "P&T (formulary) committee", "mec": "Medical executive committee"}
    created = other.scalars(select(AuditEvent).where(col(AuditEvent.action) == "committee.created")).all()
    assert [e.entity_key for e in created] == ["mec"]


def test_an_archive_whose_signoff_names_an_unlisted_committee_is_refused(
    session: Session, team: Team, client_for: Any, storage: LocalStorage, target: Target
) -> None:
    chained(session, team, client_for)
    archive = export_bytes(session, storage, team.program.id)
    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        members = {name: opened.read(name) for name in opened.namelist()}
    manifest = json.loads(members["manifest.json"])
    manifest["committees"] = [c for c in manifest["committees"] if c["slug"] != "pt"]
    members["manifest.json"] = json.dumps(manifest).encode()
    members["manifest.sha256"] = f"{hashlib.sha256(members['manifest.json']).hexdigest()}  manifest.json\n".encode()
    edited = io.BytesIO()
    with zipfile.ZipFile(edited, "w") as out:
        for name, data in members.items():
            out.writestr(name, data)
    with pytest.raises(Invalid, match=r"signoffs\[\d+\]\.committee_id names no exported committee"):
        import_program(target.session, target.catalog, target.storage, io.BytesIO(edited.getvalue()))
    assert target.session.scalars(select(Committee)).all() == []
