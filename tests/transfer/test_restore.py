"""A program exported from one database and imported into another, empty one is the same program."""

import hashlib
import io
import json
import uuid
import zipfile
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.audit.models import AuditEvent
from app.audit.service import program_events, verify_chain
from app.auth.models import Membership, User
from app.auth.secrets import hash_password
from app.evidence.files import LocalStorage
from app.evidence.models import Evidence
from app.pagination import PageParams
from app.planning.models import PlanningScenario
from app.programs.models import Institution, Program, ProgramItem
from app.programs.readiness import readiness
from app.reports.models import Report
from app.reports.service import verify_report
from app.signoffs.models import Revocation, SignOff
from app.signoffs.service import signoff_records
from app.transfer.service import import_program, original_event, verify_provenance
from tests.conftest import Team
from tests.factories import make_institution, make_program
from tests.transfer.conftest import Target, export_bytes


def rows(session: Session, model: Any, program_id: uuid.UUID, *, exclude: frozenset[str] = frozenset()) -> list[Any]:
    found = session.scalars(select(model).where(model.program_id == program_id).order_by(model.id)).all()
    return [row.model_dump(exclude=set(exclude)) for row in found]


def history(session: Session, program_id: uuid.UUID) -> list[dict[str, Any]]:
    """The program's audit trail as its readers see it, oldest first, without the chain bookkeeping."""
    events, _ = program_events(session, program_id, PageParams(limit=10_000))
    return [e.model_dump(exclude={"id", "seq", "prev_hash", "hash"}) for e in reversed(events)]


def restore(realistic: Team, session: Session, storage: LocalStorage, target: Target) -> list[dict[str, Any]]:
    """Export the program, import it into the target; return the source's history as it was exported."""
    exported_history = history(session, realistic.program.id)
    archive = export_bytes(session, storage, realistic.program.id)
    import_program(target.session, target.catalog, target.storage, io.BytesIO(archive))
    return exported_history


def test_restored_program_equals_the_original_field_by_field(
    realistic: Team, session: Session, storage: LocalStorage, target: Target
) -> None:
    program_id = realistic.program.id
    exported_history = restore(realistic, session, storage, target)
    other = target.session

    assert other.get(Program, program_id).model_dump() == session.get(Program, program_id).model_dump()  # type: ignore[union-attr]
    assert other.get(Institution, realistic.institution.id).model_dump() == realistic.institution.model_dump()  # type: ignore[union-attr]
    assert readiness(other, program_id) == readiness(session, program_id)
    for model in (ProgramItem, SignOff, Report, PlanningScenario):
        assert rows(other, model, program_id) == rows(session, model, program_id), model.__name__
    assert rows(other, Evidence, program_id, exclude=frozenset({"stored_name"})) == rows(
        session, Evidence, program_id, exclude=frozenset({"stored_name"})
    )
    source_revocations = session.scalars(select(Revocation)).all()
    assert len(source_revocations) == 1
    assert [r.model_dump() for r in other.scalars(select(Revocation)).all()] == [
        r.model_dump() for r in source_revocations
    ]
    assert signoff_records(other, program_id) == signoff_records(session, program_id)
    assert sorted(r.revocation is not None for r in signoff_records(other, program_id)) == [False, True]

    # evidence bytes, by hash, including the withdrawn file's record
    source_files = {e.id: storage.path_of(e.stored_name).read_bytes() for e in session.scalars(select(Evidence))}
    restored = other.scalars(select(Evidence)).all()
    assert len(restored) == 3 and sum(e.removed_at is not None for e in restored) == 1
    for evidence in restored:
        data = target.storage.path_of(evidence.stored_name).read_bytes()
        assert data == source_files[evidence.id]
        assert hashlib.sha256(data).hexdigest() == evidence.sha256

    # the report still verifies, PDF and all
    number = other.scalars(select(Report.number)).one()
    assert verify_report(other, number, None).model_dump() == verify_report(session, number, None).model_dump()

    # the audit history reads as before, then says it was imported; the target chain is valid
    restored_history = history(other, program_id)
    assert restored_history[:-1] == exported_history
    assert restored_history[-1]["action"] == "program.imported"
    assert verify_chain(other).valid
    assert verify_chain(other).events == len(exported_history) + 1

    # people exist without secrets; memberships came along
    for email, person in ((p.email, p) for p in realistic.people.values()):
        copy = other.scalars(select(User).where(col(User.email) == email)).one()
        assert (copy.id, copy.full_name, copy.password_hash, copy.is_superuser) == (
            person.id, person.full_name, None, False
        )
    assert {(m.user_id, m.role) for m in other.scalars(select(Membership))} == {
        (m.user_id, m.role) for m in session.scalars(select(Membership))
    }


def test_each_restored_event_reproduces_the_original_hash(
    realistic: Team, session: Session, storage: LocalStorage, target: Target
) -> None:
    restore(realistic, session, storage, target)
    report = verify_provenance(target.session, realistic.program.id)
    assert report.valid, report.problems
    # and the restored program can travel again: its restored events match their own (new) hashes
    again = export_bytes(target.session, target.storage, realistic.program.id)
    with zipfile.ZipFile(io.BytesIO(again)) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    assert [e["action"] for e in manifest["audit_events"]][-1] == "program.imported"
    assert report.imports == 1 and report.events == len(history(session, realistic.program.id)) - 1  # not the export
    imported = target.session.scalars(select(AuditEvent).where(col(AuditEvent.action) == "program.imported")).one()
    for entry in imported.after["restored_events"]:
        restored = target.session.scalars(select(AuditEvent).where(col(AuditEvent.seq) == entry["seq"])).one()
        source = session.scalars(select(AuditEvent).where(col(AuditEvent.seq) == entry["original_seq"])).one()
        assert original_event(restored, entry).hash == source.hash == entry["original_hash"]


def test_a_restored_event_altered_afterwards_fails_provenance(
    realistic: Team, session: Session, storage: LocalStorage, target: Target
) -> None:
    restore(realistic, session, storage, target)
    signed = target.session.scalars(
        select(AuditEvent).where(col(AuditEvent.action) == "item.signed_off").order_by(col(AuditEvent.seq))
    ).first()
    assert signed is not None
    signed.after = {**signed.after, "statement": "something else"}
    target.session.add(signed)
    target.session.commit()
    report = verify_provenance(target.session, realistic.program.id)
    assert report.problems == [f"event {signed.seq} does not reproduce original event "
                               f"{next(e['original_seq'] for e in _entries(target) if e['seq'] == signed.seq)}"]


def _entries(target: Target) -> list[dict[str, Any]]:
    imported = target.session.scalars(select(AuditEvent).where(col(AuditEvent.action) == "program.imported")).one()
    return list(imported.after["restored_events"])


def test_people_are_linked_by_email_and_the_existing_chain_stays_valid(
    realistic: Team, session: Session, storage: LocalStorage, target: Target
) -> None:
    other = target.session
    make_program(other, target.catalog, make_institution(other, "Another hospital"))  # the target has history
    riverside = make_institution(other, realistic.institution.name)  # the same hospital, under another id
    existing = User(email="champion@riverside.example", full_name="Champion Here",
                    password_hash=hash_password("their own password"))
    other.add(existing)
    other.commit()
    before = other.scalars(select(AuditEvent.seq)).all()

    restore(realistic, session, storage, target)

    champion = realistic.people["champion"]
    assert existing.id != champion.id
    relinked = other.scalars(select(User).where(col(User.email) == champion.email)).one()
    assert (relinked.full_name, relinked.password_hash) == ("Champion Here", existing.password_hash)
    revocation = other.scalars(select(Revocation)).one()
    assert revocation.revoked_by_id == existing.id and revocation.revoked_by_name == "Program champion"
    champion_events = [e for e in history(other, realistic.program.id) if e["actor_name"] == "Program champion"]
    assert champion_events and {e["actor_id"] for e in champion_events} == {existing.id}
    assert other.scalars(select(Membership).where(col(Membership.user_id) == existing.id)).all()
    program = other.get(Program, realistic.program.id)
    assert program is not None and program.institution_id == riverside.id != realistic.institution.id
    assert other.scalars(select(Report.institution_id)).all() == [riverside.id]
    assert {e["institution_id"] for e in history(other, realistic.program.id)} == {riverside.id}
    chain = verify_chain(other)
    assert chain.valid and chain.events > len(before)
    assert verify_provenance(other, realistic.program.id).valid
