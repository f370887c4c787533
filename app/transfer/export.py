"""Export a program to one archive (see `app.transfer.service` for what travels and why)."""

import hashlib
import json
import uuid
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import IO

from sqlmodel import Session, col

from app.audit.models import AuditEvent
from app.audit.service import event_hash, record_event
from app.auth.models import Membership, User
from app.clock import utcnow
from app.comments.models import Comment, CommentMention
from app.committees.models import Committee
from app.errors import Conflict, NotFound
from app.evidence.files import LocalStorage
from app.evidence.models import Evidence
from app.planning.models import PlanningScenario
from app.programs.models import Institution, ProgramItem
from app.programs.service import get_program
from app.reports.models import Report
from app.signoffs.models import Revocation, SignOff
from app.transfer.common import TransferCounts, dump_row, gtready_version, rows_of, sha256_stream
from app.transfer.schemas import (
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    MANIFEST_CHECKSUM,
    ExportedCommittee,
    ExportedMembership,
    ExportedUser,
    Manifest,
    evidence_member,
    report_member,
)


@dataclass(frozen=True)
class ExportSummary(TransferCounts):
    users: int
    manifest_sha256: str


def _checked_events(session: Session, program_id: uuid.UUID) -> Sequence[AuditEvent]:
    events = rows_of(session, AuditEvent, col(AuditEvent.program_id) == program_id, order_by=col(AuditEvent.seq))
    for event in events:
        if event_hash(event) != event.hash:
            raise Conflict(
                f"audit event {event.seq} of this program was altered after it was written "
                "(run `gtready audit verify`); nothing exported"
            )
    return events


def _people(session: Session, ids: Iterable[uuid.UUID | None]) -> Sequence[User]:
    wanted = {i for i in ids if i is not None}
    return rows_of(session, User, col(User.id).in_(wanted), order_by=col(User.email)) if wanted else []


def _committees(session: Session, institution_id: uuid.UUID, items: Sequence[ProgramItem],
                signoffs: Sequence[SignOff]) -> Sequence[Committee]:
    """The committees the sign-offs name by id and the items' approval chains name by slug."""
    ids = {s.committee_id for s in signoffs if s.committee_id is not None}
    slugs = {step["committee"] for i in items for step in i.approval_chain or [] if step.get("committee")}
    if not ids and not slugs:
        return []
    named = col(Committee.id).in_(ids) | (
        (col(Committee.institution_id) == institution_id) & col(Committee.slug).in_(slugs))
    return rows_of(session, Committee, named, order_by=col(Committee.slug))


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
    items = rows_of(session, ProgramItem, col(ProgramItem.program_id) == of_program, order_by=col(ProgramItem.position))
    signoffs = rows_of(session, SignOff, col(SignOff.program_id) == of_program, order_by=col(SignOff.signed_at))
    revocations = rows_of(session, Revocation, col(Revocation.signoff_id).in_([s.id for s in signoffs]),
                        order_by=col(Revocation.revoked_at))
    evidence = rows_of(session, Evidence, col(Evidence.program_id) == of_program, order_by=col(Evidence.uploaded_at))
    reports = rows_of(session, Report, col(Report.program_id) == of_program, order_by=col(Report.created_at))
    scenarios = rows_of(session, PlanningScenario, col(PlanningScenario.program_id) == of_program,
                      order_by=col(PlanningScenario.created_at))
    events = _checked_events(session, of_program)
    comments = rows_of(session, Comment, col(Comment.program_id) == of_program,
                       order_by=col(Comment.created_at))
    mentions = rows_of(session, CommentMention, col(CommentMention.comment_id).in_([c.id for c in comments]),
                       order_by=col(CommentMention.id)) if comments else []
    committees = _committees(session, institution.id, items, signoffs)
    memberships = rows_of(
        session, Membership, col(Membership.institution_id) == institution.id, order_by=col(Membership.created_at)
    )
    people = _people(session, [
        *(m.user_id for m in memberships), *(i.owner_id for i in items), *(s.signer_id for s in signoffs),
        *(r.revoked_by_id for r in revocations), *(e.uploaded_by_id for e in evidence),
        *(r.created_by_id for r in reports), *(e.actor_id for e in events),
        *(c.author_id for c in comments), *(m.user_id for m in mentions),
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
            if sha256_stream(handle.read) != row.sha256:
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
        institution=dump_row(institution),
        program=dump_row(program),
        items=[dump_row(i) for i in items],
        signoffs=[dump_row(s) for s in signoffs],
        revocations=[dump_row(r) for r in revocations],
        evidence=[dump_row(e) for e in evidence],
        reports=[dump_row(r, exclude={"pdf"}) for r in reports],
        scenarios=[dump_row(s) for s in scenarios],
        users=[ExportedUser(id=p.id, email=p.email, full_name=p.full_name, is_active=p.is_active) for p in people],
        memberships=[ExportedMembership(user_id=m.user_id, role=m.role, created_at=m.created_at) for m in memberships],
        audit_events=[dump_row(e) for e in events],
        comments=[dump_row(c) for c in comments],
        comment_mentions=[dump_row(m) for m in mentions],
        committees=[ExportedCommittee(id=c.id, slug=c.slug, name=c.name) for c in committees],
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
