"""Restore an exported program into this deployment, all or nothing (see `app.transfer.service`)."""

import hashlib
import uuid
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from app.audit.models import AuditEvent
from app.audit.service import event_hash, record_event
from app.auth.models import Membership, User
from app.auth.service import normalise_email
from app.checklists.loader import Catalog
from app.committees.models import Committee
from app.errors import Conflict
from app.evidence.files import CHUNK, LocalStorage
from app.evidence.models import Evidence
from app.programs.models import Institution, Program
from app.reports.models import Report
from app.transfer.common import Contents, TransferCounts, contents_of, read_manifest, refused
from app.transfer.provenance import provenance_entry
from app.transfer.schemas import (
    MANIFEST,
    Manifest,
    evidence_member,
    report_member,
)


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
            raise refused(f"{MANIFEST}: {where} names a person who is not in users", MANIFEST)
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


def _committees(
    session: Session, manifest: Manifest, institution: Institution, actor: User | None
) -> tuple[dict[uuid.UUID, uuid.UUID], list[str]]:
    """Exported committee id -> the target institution's committee of the same slug, set up (audited) if missing."""
    existing = {c.slug: c for c in session.scalars(
        select(Committee).where(col(Committee.institution_id) == institution.id))}
    ids: dict[uuid.UUID, uuid.UUID] = {}
    created: list[str] = []
    for exported in manifest.committees:
        committee = existing.get(exported.slug)
        if committee is None:
            committee = Committee(institution_id=institution.id, slug=exported.slug, name=exported.name)
            session.add(committee)
            session.flush()
            record_event(
                session, actor, "committee.created", entity="committee", entity_key=committee.slug,
                institution_id=institution.id,
                after={"slug": committee.slug, "name": committee.name, "source": "program import"},
            )
            created.append(committee.slug)
        ids[exported.id] = committee.id
    return ids, created


def _refuse_clashes(session: Session, catalog: Catalog, contents: Contents) -> None:
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


def _copy_evidence(archive: zipfile.ZipFile, storage: LocalStorage, row: Evidence, copied: list[str]) -> None:
    """Give the row a fresh stored name and copy its file there, if the archive has it."""
    row.stored_name = uuid.uuid4().hex
    member = evidence_member(row.sha256)
    if member not in archive.NameToInfo:
        if row.removed_at is None:
            raise refused(f"{member} (evidence '{row.original_name}' of {row.item_key}) is missing", member)
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
        raise refused(f"{member} does not match the SHA-256 of evidence '{row.original_name}'", member)


def import_program(
    session: Session, catalog: Catalog, storage: LocalStorage, source: IO[bytes], actor: User | None = None
) -> ImportSummary:
    """Restore a program from an archive made by `export_program`, in one transaction."""
    try:
        archive = zipfile.ZipFile(source)
    except zipfile.BadZipFile:
        raise refused("not a zip archive", "archive") from None
    copied: list[str] = []
    with archive:
        manifest, manifest_sha256 = read_manifest(archive)
        contents = contents_of(manifest)
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
    contents: Contents,
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
    committee_ids, committees_created = _committees(session, manifest, institution, actor)
    for index, signoff in enumerate(contents.signoffs):
        signoff.signer_id = people.required(signoff.signer_id, f"signoffs[{index}].signer_id")
        if signoff.committee_id is not None:
            signoff.committee_id = committee_ids[signoff.committee_id]
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
    for comment in contents.comments:
        comment.author_id = people.optional(comment.author_id)
    session.add_all(contents.comments)
    session.flush()
    for index, mention in enumerate(contents.comment_mentions):
        mention.user_id = people.required(mention.user_id, f"comment_mentions[{index}].user_id")
    session.add_all(contents.comment_mentions)
    session.flush()

    restored = []
    for original in contents.events:
        event = _restore_event(
            session, original, people.optional(original.actor_id),
            institution.id if original.institution_id == contents.institution.id else original.institution_id,
        )
        restored.append(provenance_entry(event, original))
    record_event(
        session, actor, "program.imported", entity="program", institution_id=institution.id, program_id=program.id,
        after={
            "title": program.title,
            "source": {"exported_at": manifest.exported_at, "gtready_version": manifest.gtready_version,
                       "manifest_sha256": manifest_sha256},
            "institution": {"name": institution.name, "created": institution_created},
            "users_created": people.created,
            "users_linked": people.linked,
            "committees_created": committees_created,
            "restored_events": restored,
        },
    )
    return ImportSummary(
        program_id=program.id, title=program.title, institution=institution.name,
        institution_created=institution_created, items=len(contents.items), signoffs=len(contents.signoffs),
        evidence_files=len(copied), reports=len(contents.reports), scenarios=len(contents.scenarios),
        audit_events=len(contents.events), users_created=people.created, users_linked=people.linked,
    )
