"""Export a program to one archive, and restore it into another (or the same, emptied) deployment.

What travels: the institution, the program and every item with its state, sign-offs and revocations (with the
item snapshots and evidence hashes they were signed with), evidence metadata and files, stored reports (data
snapshot and PDF), planning scenarios, the people referred to (email, name, active flag: never a password hash,
superuser flag, session or token), the institution's memberships, and the program's audit events.
The archive format is described in `app.transfer.schemas`.

Checksums. The manifest lists the SHA-256 of every other file and `manifest.sha256` holds the manifest's own, so
a damaged or edited archive is refused, naming the file, before anything is written. (The checksums are not a
signature: they catch corruption and careless edits, not a forger who recomputes them.)

People. A restore on another server needs the people to exist: they are linked by email when the email exists
(their password, name and roles elsewhere are left alone) and otherwise created without a password, keeping
their id when it is free. A created person cannot log in until an administrator sets a password. Every
reference to a person (owner, signer, revoker, uploader, report author, event actor) follows the link.
The institution is matched by id, then by name, and created if neither exists; the archive's memberships are
added to it where missing.

The audit trail is one global hash chain, so a program's events cannot be put back at their original positions
in another deployment's chain. Export refuses to run if any of the program's events no longer matches its own
hash. Import re-verifies every event, then appends each one to the target chain, in the original order, through
the one audit writer, keeping its action, entity, time, actor name and before/after exactly (so the program's
history reads as before), with a new seq, prev_hash and hash, and the actor and institution ids of this
deployment. A final `program.imported` event records, for every restored event, its new seq and its original
seq, prev_hash and hash (and original ids where they changed): `verify_provenance` recomputes each original
hash from the restored event and that record, proving each restored event is the event that was exported. The
target chain stays valid (`gtready audit verify`), and a program can be exported again from the target.

Import writes every row in one transaction, and copies evidence files (checking each hash) before committing;
on any failure the transaction is rolled back and the copied files removed: nothing is half-imported.
"""

import hashlib
import json
import re
import uuid
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import IO, Any, TypeVar

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, col

from app.audit.models import AuditEvent
from app.audit.service import event_hash, record_event
from app.auth.models import Membership, User
from app.auth.roles import Role
from app.auth.service import normalise_email
from app.checklists.loader import Catalog
from app.clock import utcnow
from app.errors import Conflict, Invalid, NotFound
from app.evidence.files import CHUNK, LocalStorage
from app.evidence.models import Evidence
from app.planning.models import PlanningScenario
from app.programs.models import Institution, Program, ProgramItem
from app.programs.service import get_program
from app.reports.models import Report
from app.signoffs.models import Revocation, SignOff
from app.transfer.schemas import (
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    MANIFEST_CHECKSUM,
    MEMBER_NAME,
    ExportedMembership,
    ExportedUser,
    Manifest,
    Row,
    evidence_member,
    report_member,
)

M = TypeVar("M", bound=SQLModel)


def gtready_version() -> str:
    try:
        return version("gtready")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "unknown"


def _sha256_stream(read: Callable[[int], bytes]) -> str:
    digest = hashlib.sha256()
    while chunk := read(CHUNK):
        digest.update(chunk)
    return digest.hexdigest()


def _dump(row: SQLModel, *, exclude: Iterable[str] = ()) -> Row:
    return row.model_dump(mode="json", exclude=set(exclude))


def _rows(session: Session, model: type[M], *where: Any, order_by: Any) -> Sequence[M]:
    return session.scalars(select(model).where(*where).order_by(order_by)).all()


# --- export -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TransferCounts:
    """What an export wrote or an import restored."""

    program_id: uuid.UUID
    title: str
    items: int
    signoffs: int
    evidence_files: int
    reports: int
    scenarios: int
    audit_events: int


@dataclass(frozen=True)
class ExportSummary(TransferCounts):
    users: int
    manifest_sha256: str


def _checked_events(session: Session, program_id: uuid.UUID) -> Sequence[AuditEvent]:
    events = _rows(session, AuditEvent, col(AuditEvent.program_id) == program_id, order_by=col(AuditEvent.seq))
    for event in events:
        if event_hash(event) != event.hash:
            raise Conflict(
                f"audit event {event.seq} of this program was altered after it was written "
                "(run `gtready audit verify`); nothing exported"
            )
    return events


def _people(session: Session, ids: Iterable[uuid.UUID | None]) -> Sequence[User]:
    wanted = {i for i in ids if i is not None}
    return _rows(session, User, col(User.id).in_(wanted), order_by=col(User.email)) if wanted else []


def export_program(
    session: Session, storage: LocalStorage, program_id: uuid.UUID, target: IO[bytes], actor: User | None = None
) -> ExportSummary:
    """Write a program, its files and its audit events to `target` as one checksummed zip archive."""
    if session.get_bind().dialect.name == "postgresql" and not session.in_transaction():
        # One snapshot for every query below, so the archive is consistent under concurrent writers.
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    program = get_program(session, program_id)
    institution = session.get(Institution, program.institution_id)
    if institution is None:  # a foreign key makes this impossible; keep mypy and the reader honest
        raise NotFound("institution not found")
    of_program = program.id
    items = _rows(session, ProgramItem, col(ProgramItem.program_id) == of_program, order_by=col(ProgramItem.position))
    signoffs = _rows(session, SignOff, col(SignOff.program_id) == of_program, order_by=col(SignOff.signed_at))
    revocations = _rows(session, Revocation, col(Revocation.signoff_id).in_([s.id for s in signoffs]),
                        order_by=col(Revocation.revoked_at))
    evidence = _rows(session, Evidence, col(Evidence.program_id) == of_program, order_by=col(Evidence.uploaded_at))
    reports = _rows(session, Report, col(Report.program_id) == of_program, order_by=col(Report.created_at))
    scenarios = _rows(session, PlanningScenario, col(PlanningScenario.program_id) == of_program,
                      order_by=col(PlanningScenario.created_at))
    events = _checked_events(session, of_program)
    memberships = _rows(
        session, Membership, col(Membership.institution_id) == institution.id, order_by=col(Membership.created_at)
    )
    people = _people(session, [
        *(m.user_id for m in memberships), *(i.owner_id for i in items), *(s.signer_id for s in signoffs),
        *(r.revoked_by_id for r in revocations), *(e.uploaded_by_id for e in evidence),
        *(r.created_by_id for r in reports), *(e.actor_id for e in events),
    ])

    files: dict[str, str] = {}
    evidence_paths = {}
    for row in evidence:
        path = storage.path_of(row.stored_name)
        if not path.is_file():
            if row.removed_at is not None:
                continue  # a withdrawn file whose bytes are gone: its record still travels
            raise Conflict(f"the file of evidence '{row.original_name}' ({row.item_key}) is missing from storage; "
                           "nothing exported")
        with path.open("rb") as handle:
            if _sha256_stream(handle.read) != row.sha256:
                raise Conflict(f"the file of evidence '{row.original_name}' ({row.item_key}) no longer matches its "
                               "SHA-256; nothing exported")
        files[evidence_member(row.sha256)] = row.sha256
        evidence_paths[evidence_member(row.sha256)] = path
    for report in reports:
        files[report_member(report.pdf_sha256)] = hashlib.sha256(report.pdf).hexdigest()

    manifest = Manifest(
        format=FORMAT,
        format_version=FORMAT_VERSION,
        exported_at=utcnow(),
        gtready_version=gtready_version(),
        institution=_dump(institution),
        program=_dump(program),
        items=[_dump(i) for i in items],
        signoffs=[_dump(s) for s in signoffs],
        revocations=[_dump(r) for r in revocations],
        evidence=[_dump(e) for e in evidence],
        reports=[_dump(r, exclude={"pdf"}) for r in reports],
        scenarios=[_dump(s) for s in scenarios],
        users=[ExportedUser(id=p.id, email=p.email, full_name=p.full_name, is_active=p.is_active) for p in people],
        memberships=[ExportedMembership(user_id=m.user_id, role=m.role, created_at=m.created_at) for m in memberships],
        audit_events=[_dump(e) for e in events],
        files=files,
    )
    manifest_bytes = json.dumps(manifest.model_dump(mode="json"), indent=1, ensure_ascii=False).encode()
    manifest_sha256 = hashlib.sha256(manifest_bytes).hexdigest()
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(MANIFEST, manifest_bytes)
        archive.writestr(MANIFEST_CHECKSUM, f"{manifest_sha256}  {MANIFEST}\n")
        for name, path in evidence_paths.items():
            archive.write(path, name)
        for report in reports:
            archive.writestr(report_member(report.pdf_sha256), report.pdf)
    summary = ExportSummary(
        program_id=program.id, title=program.title, items=len(items), signoffs=len(signoffs),
        evidence_files=len(evidence_paths), reports=len(reports), scenarios=len(scenarios),
        audit_events=len(events), users=len(people), manifest_sha256=manifest_sha256,
    )
    session.commit()  # end the read snapshot before appending to the chain
    record_event(
        session, actor, "program.exported", entity="program", institution_id=program.institution_id,
        program_id=program.id, after={"manifest_sha256": manifest_sha256, "audit_events": len(events),
                                      "evidence_files": len(evidence_paths)},
    )
    session.commit()
    return summary


# --- reading and checking an archive -----------------------------------------------------------------------


def _refused(detail: str, member: str) -> Invalid:
    return Invalid(f"archive refused: {detail}; nothing imported", field=member, location="archive")


def read_manifest(archive: zipfile.ZipFile) -> tuple[Manifest, str]:
    """The archive's manifest and its SHA-256, after checking the manifest and every file it lists."""
    names = set(archive.namelist())
    for required in (MANIFEST, MANIFEST_CHECKSUM):
        if required not in names:
            raise _refused(f"{required} is missing (not a gtready program archive)", required)
    manifest_bytes = archive.read(MANIFEST)
    actual = hashlib.sha256(manifest_bytes).hexdigest()
    recorded = archive.read(MANIFEST_CHECKSUM).decode("ascii", "replace").split()
    if not recorded or recorded[0].lower() != actual:
        raise _refused(f"{MANIFEST} does not match {MANIFEST_CHECKSUM} (corrupted or edited)", MANIFEST)
    try:
        manifest = Manifest.model_validate_json(manifest_bytes)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise _refused(f"{MANIFEST}: {where}: {first['msg']}", MANIFEST) from None
    unlisted = sorted(names - {MANIFEST, MANIFEST_CHECKSUM} - set(manifest.files))
    if unlisted:
        raise _refused(f"{unlisted[0]} is not listed in the manifest", unlisted[0])
    for name, expected in sorted(manifest.files.items()):
        if not re.fullmatch(MEMBER_NAME, name):
            raise _refused(f"{MANIFEST} lists an unexpected file name '{name}'", MANIFEST)
        if name not in names:
            raise _refused(f"{name} is listed in the manifest but missing", name)
        with archive.open(name) as handle:
            if _sha256_stream(handle.read) != expected:
                raise _refused(f"{name} does not match its SHA-256 in the manifest (corrupted or edited)", name)
    return manifest, actual


def _load(model: type[M], rows: Sequence[Row], section: str) -> list[M]:
    loaded = []
    for index, row in enumerate(rows):
        try:
            loaded.append(model.model_validate(row))
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            raise _refused(f"{MANIFEST}: {section}[{index}].{where}: {first['msg']}", MANIFEST) from None
    return loaded


@dataclass
class _Contents:
    """The manifest's rows as table models, checked to belong to one program."""

    institution: Institution
    program: Program
    items: list[ProgramItem]
    signoffs: list[SignOff]
    revocations: list[Revocation]
    evidence: list[Evidence]
    reports: list[Report]
    scenarios: list[PlanningScenario]
    events: list[AuditEvent]


def _contents(manifest: Manifest) -> _Contents:
    contents = _Contents(
        institution=_load(Institution, [manifest.institution], "institution")[0],
        program=_load(Program, [manifest.program], "program")[0],
        items=_load(ProgramItem, manifest.items, "items"),
        signoffs=_load(SignOff, manifest.signoffs, "signoffs"),
        revocations=_load(Revocation, manifest.revocations, "revocations"),
        evidence=_load(Evidence, manifest.evidence, "evidence"),
        reports=_load(Report, [{**r, "pdf": b""} for r in manifest.reports], "reports"),
        scenarios=_load(PlanningScenario, manifest.scenarios, "scenarios"),
        events=_load(AuditEvent, manifest.audit_events, "audit_events"),
    )
    program_id = contents.program.id
    if contents.program.institution_id != contents.institution.id:
        raise _refused(f"{MANIFEST}: program.institution_id is not the institution's id", MANIFEST)
    sections: dict[str, Sequence[Any]] = {
        "items": contents.items, "signoffs": contents.signoffs, "evidence": contents.evidence,
        "reports": contents.reports, "scenarios": contents.scenarios, "audit_events": contents.events,
    }
    for section, rows in sections.items():
        for index, row in enumerate(rows):
            if row.program_id != program_id:
                raise _refused(f"{MANIFEST}: {section}[{index}].program_id is not the program's id", MANIFEST)
    signed = {s.id for s in contents.signoffs}
    for index, revocation in enumerate(contents.revocations):
        if revocation.signoff_id not in signed:
            raise _refused(f"{MANIFEST}: revocations[{index}].signoff_id names no exported sign-off", MANIFEST)
    for index, event in enumerate(contents.events):
        if event_hash(event) != event.hash:
            raise _refused(
                f"{MANIFEST}: audit_events[{index}] (event {event.seq}) does not match its hash (altered)", MANIFEST
            )
    for index, role in enumerate(m.role for m in manifest.memberships):
        if role not in {r.value for r in Role}:
            raise _refused(f"{MANIFEST}: memberships[{index}].role: unknown role '{role}'", MANIFEST)
    return contents


# --- import ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportSummary(TransferCounts):
    institution: str
    institution_created: bool
    users_created: list[str]
    users_linked: list[str]


class _People:
    """Exported person id -> this deployment's person id, linking by email and creating who is missing."""

    def __init__(self, session: Session, manifest: Manifest) -> None:
        self.ids: dict[uuid.UUID, uuid.UUID] = {}
        self.created: list[str] = []
        self.linked: list[str] = []
        for person in manifest.users:
            email = normalise_email(person.email)
            existing = session.scalars(select(User).where(col(User.email) == email)).first()
            if existing is not None:
                self.ids[person.id] = existing.id
                self.linked.append(email)
                continue
            user_id = person.id if session.get(User, person.id) is None else uuid.uuid4()
            session.add(User(id=user_id, email=email, full_name=person.full_name, password_hash=None,
                             is_active=person.is_active))
            self.ids[person.id] = user_id
            self.created.append(email)
        session.flush()

    def optional(self, user_id: uuid.UUID | None) -> uuid.UUID | None:
        return self.ids.get(user_id) if user_id is not None else None

    def required(self, user_id: uuid.UUID, where: str) -> uuid.UUID:
        if user_id not in self.ids:
            raise _refused(f"{MANIFEST}: {where} names a person who is not in users", MANIFEST)
        return self.ids[user_id]


def _institution(session: Session, exported: Institution) -> tuple[Institution, bool]:
    found = session.get(Institution, exported.id) or session.scalars(
        select(Institution).where(col(Institution.name) == exported.name)
    ).first()
    if found is not None:
        return found, False
    created = Institution(id=exported.id, name=exported.name, created_at=exported.created_at)
    session.add(created)
    session.flush()
    return created, True


def _refuse_clashes(session: Session, catalog: Catalog, contents: _Contents) -> None:
    program = contents.program
    existing = session.get(Program, program.id)
    if existing is not None:
        raise Conflict(f"program {program.id} ('{existing.title}') already exists in this database; nothing imported")
    if catalog.get(program.library_id, program.library_version) is None:
        raise Conflict(
            f"the program is pinned to checklist library '{program.library_id} {program.library_version}', which "
            "this server does not have (add it to GTREADY_CHECKLISTS_DIR); nothing imported"
        )
    numbers = [r.number for r in contents.reports]
    taken = session.scalars(select(col(Report.number)).where(col(Report.number).in_(numbers))).all() if numbers else []
    if taken:
        raise Conflict(f"report number {taken[0]} is already used in this database; nothing imported")


def _restore_event(
    session: Session, original: AuditEvent, actor_id: uuid.UUID | None, institution_id: uuid.UUID | None
) -> AuditEvent:
    """Append `original` to this chain: the one writer places and links it, then it takes back its history."""
    event = record_event(
        session, None, original.action, entity=original.entity, entity_key=original.entity_key,
        institution_id=institution_id, program_id=original.program_id, before=original.before, after=original.after,
    )
    # record_event stamps "now, by the system"; a restored event keeps when and by whom it happened.
    event.at, event.actor_id, event.actor_name = original.at, actor_id, original.actor_name
    event.hash = event_hash(event)
    session.add(event)
    session.flush()
    return event


def _provenance(restored: AuditEvent, original: AuditEvent) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "seq": restored.seq, "original_seq": original.seq, "original_prev_hash": original.prev_hash,
        "original_hash": original.hash,
    }
    if restored.actor_id != original.actor_id:
        entry["original_actor_id"] = str(original.actor_id) if original.actor_id else None
    if restored.institution_id != original.institution_id:
        entry["original_institution_id"] = str(original.institution_id) if original.institution_id else None
    return entry


def _copy_evidence(archive: zipfile.ZipFile, storage: LocalStorage, row: Evidence, copied: list[str]) -> None:
    """Give the row a fresh stored name and copy its file there, if the archive has it."""
    row.stored_name = uuid.uuid4().hex
    member = evidence_member(row.sha256)
    if member not in archive.NameToInfo:
        if row.removed_at is None:
            raise _refused(f"{member} (evidence '{row.original_name}' of {row.item_key}) is missing", member)
        return  # a withdrawn file whose bytes were already gone when it was exported
    storage.directory.mkdir(parents=True, exist_ok=True)
    path = storage.path_of(row.stored_name)
    copied.append(row.stored_name)
    digest = hashlib.sha256()
    with archive.open(member) as source, path.open("wb") as out:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            out.write(chunk)
    if digest.hexdigest() != row.sha256:
        raise _refused(f"{member} does not match the SHA-256 of evidence '{row.original_name}'", member)


def import_program(
    session: Session, catalog: Catalog, storage: LocalStorage, source: IO[bytes], actor: User | None = None
) -> ImportSummary:
    """Restore a program from an archive made by `export_program`, in one transaction."""
    try:
        archive = zipfile.ZipFile(source)
    except zipfile.BadZipFile:
        raise _refused("not a zip archive", "archive") from None
    copied: list[str] = []
    with archive:
        manifest, manifest_sha256 = read_manifest(archive)
        contents = _contents(manifest)
        _refuse_clashes(session, catalog, contents)
        try:
            summary = _write(session, storage, archive, manifest, manifest_sha256, contents, actor, copied)
            session.commit()
        except IntegrityError as error:
            session.rollback()
            _remove(storage, copied)
            raise Conflict(f"the archive clashes with rows in this database ({error.orig}); nothing imported") from None
        except BaseException:
            session.rollback()
            _remove(storage, copied)
            raise
    return summary


def _remove(storage: LocalStorage, stored_names: Iterable[str]) -> None:
    for name in stored_names:
        storage.delete(name)


def _write(
    session: Session,
    storage: LocalStorage,
    archive: zipfile.ZipFile,
    manifest: Manifest,
    manifest_sha256: str,
    contents: _Contents,
    actor: User | None,
    copied: list[str],
) -> ImportSummary:
    institution, institution_created = _institution(session, contents.institution)
    people = _People(session, manifest)
    held = {
        (m.user_id, m.role)
        for m in session.scalars(select(Membership).where(col(Membership.institution_id) == institution.id))
    }
    for index, membership in enumerate(manifest.memberships):
        user_id = people.required(membership.user_id, f"memberships[{index}].user_id")
        if (user_id, membership.role) not in held:
            held.add((user_id, membership.role))
            session.add(Membership(user_id=user_id, institution_id=institution.id, role=membership.role,
                                   created_at=membership.created_at))

    program = contents.program
    program.institution_id = institution.id
    session.add(program)
    session.flush()
    for item in contents.items:
        item.owner_id = people.optional(item.owner_id)
    session.add_all(contents.items)
    session.flush()
    for evidence in contents.evidence:
        evidence.uploaded_by_id = people.optional(evidence.uploaded_by_id)
        _copy_evidence(archive, storage, evidence, copied)
    session.add_all(contents.evidence)
    for index, signoff in enumerate(contents.signoffs):
        signoff.signer_id = people.required(signoff.signer_id, f"signoffs[{index}].signer_id")
    session.add_all(contents.signoffs)
    session.flush()
    for index, revocation in enumerate(contents.revocations):
        revocation.revoked_by_id = people.required(revocation.revoked_by_id, f"revocations[{index}].revoked_by_id")
    session.add_all(contents.revocations)
    for report in contents.reports:
        report.institution_id, report.created_by_id = institution.id, people.optional(report.created_by_id)
        report.pdf = archive.read(report_member(report.pdf_sha256))
    session.add_all(contents.reports)
    session.add_all(contents.scenarios)
    session.flush()

    restored = []
    for original in contents.events:
        event = _restore_event(
            session, original, people.optional(original.actor_id),
            institution.id if original.institution_id == contents.institution.id else original.institution_id,
        )
        restored.append(_provenance(event, original))
    record_event(
        session, actor, "program.imported", entity="program", institution_id=institution.id, program_id=program.id,
        after={
            "title": program.title,
            "source": {"exported_at": manifest.exported_at, "gtready_version": manifest.gtready_version,
                       "manifest_sha256": manifest_sha256},
            "institution": {"name": institution.name, "created": institution_created},
            "users_created": people.created,
            "users_linked": people.linked,
            "restored_events": restored,
        },
    )
    return ImportSummary(
        program_id=program.id, title=program.title, institution=institution.name,
        institution_created=institution_created, items=len(contents.items), signoffs=len(contents.signoffs),
        evidence_files=len(copied), reports=len(contents.reports), scenarios=len(contents.scenarios),
        audit_events=len(contents.events), users_created=people.created, users_linked=people.linked,
    )


# --- provenance --------------------------------------------------------------------------------------------


def original_event(restored: AuditEvent, entry: dict[str, Any]) -> AuditEvent:
    """The event as it stood in the exporting chain, rebuilt from its restored copy and its provenance entry."""
    original = AuditEvent.model_validate(restored.model_dump())
    original.seq, original.prev_hash, original.hash = entry["original_seq"], entry["original_prev_hash"], ""
    if "original_actor_id" in entry:
        original.actor_id = uuid.UUID(entry["original_actor_id"]) if entry["original_actor_id"] else None
    if "original_institution_id" in entry:
        value = entry["original_institution_id"]
        original.institution_id = uuid.UUID(value) if value else None
    original.hash = event_hash(original)
    return original


@dataclass(frozen=True)
class ProvenanceReport:
    imports: int
    events: int
    problems: list[str]

    @property
    def valid(self) -> bool:
        return not self.problems


def verify_provenance(session: Session, program_id: uuid.UUID) -> ProvenanceReport:
    """Check that every restored event of a program is, byte for byte, the event its import says it was."""
    imports = _rows(
        session, AuditEvent, col(AuditEvent.program_id) == program_id, col(AuditEvent.action) == "program.imported",
        order_by=col(AuditEvent.seq),
    )
    problems: list[str] = []
    checked = 0
    for imported in imports:
        entries = imported.after.get("restored_events", [])
        by_seq = {
            e.seq: e
            for e in _rows(session, AuditEvent, col(AuditEvent.seq).in_([x["seq"] for x in entries]),
                           order_by=col(AuditEvent.seq))
        }
        for entry in entries:
            checked += 1
            restored = by_seq.get(entry["seq"])
            if restored is None or restored.program_id != program_id:
                problems.append(f"event {entry['seq']} (originally {entry['original_seq']}) is missing")
            elif original_event(restored, entry).hash != entry["original_hash"]:
                problems.append(f"event {entry['seq']} does not reproduce original event {entry['original_seq']}")
    return ProvenanceReport(len(imports), checked, problems)
