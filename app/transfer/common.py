"""What an export and an import share: checksums, row dumps and loads, counts, reading the manifest."""

import hashlib
import re
import uuid
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Any, TypeVar

from pydantic import ValidationError
from sqlalchemy import select
from sqlmodel import Session, SQLModel

from app.audit.models import AuditEvent
from app.audit.service import event_hash
from app.auth.roles import Role
from app.comments.models import Comment, CommentMention
from app.errors import Invalid
from app.evidence.files import CHUNK
from app.evidence.models import Evidence
from app.planning.models import PlanningScenario
from app.programs.models import Institution, Program, ProgramItem
from app.reports.models import Report
from app.signoffs.models import Revocation, SignOff
from app.transfer.schemas import (
    MANIFEST,
    MANIFEST_CHECKSUM,
    MEMBER_NAME,
    Manifest,
    Row,
)

M = TypeVar("M", bound=SQLModel)


def gtready_version() -> str:
    try:
        return version("gtready")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "unknown"


def sha256_stream(read: Callable[[int], bytes]) -> str:
    digest = hashlib.sha256()
    while chunk := read(CHUNK):
        digest.update(chunk)
    return digest.hexdigest()


def dump_row(row: SQLModel, *, exclude: Iterable[str] = ()) -> Row:
    return row.model_dump(mode="json", exclude=set(exclude))


def rows_of(session: Session, model: type[M], *where: Any, order_by: Any) -> Sequence[M]:
    return session.scalars(select(model).where(*where).order_by(order_by)).all()


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


def refused(detail: str, member: str) -> Invalid:
    return Invalid(f"archive refused: {detail}; nothing imported", field=member, location="archive")


def read_manifest(archive: zipfile.ZipFile) -> tuple[Manifest, str]:
    """The archive's manifest and its SHA-256, after checking the manifest and every file it lists."""
    names = set(archive.namelist())
    for required in (MANIFEST, MANIFEST_CHECKSUM):
        if required not in names:
            raise refused(f"{required} is missing (not a gtready program archive)", required)
    manifest_bytes = archive.read(MANIFEST)
    actual = hashlib.sha256(manifest_bytes).hexdigest()
    recorded = archive.read(MANIFEST_CHECKSUM).decode("ascii", "replace").split()
    if not recorded or recorded[0].lower() != actual:
        raise refused(f"{MANIFEST} does not match {MANIFEST_CHECKSUM} (corrupted or edited)", MANIFEST)
    try:
        manifest = Manifest.model_validate_json(manifest_bytes)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise refused(f"{MANIFEST}: {where}: {first['msg']}", MANIFEST) from None
    unlisted = sorted(names - {MANIFEST, MANIFEST_CHECKSUM} - set(manifest.files))
    if unlisted:
        raise refused(f"{unlisted[0]} is not listed in the manifest", unlisted[0])
    for name, expected in sorted(manifest.files.items()):
        if not re.fullmatch(MEMBER_NAME, name):
            raise refused(f"{MANIFEST} lists an unexpected file name '{name}'", MANIFEST)
        if name not in names:
            raise refused(f"{name} is listed in the manifest but missing", name)
        with archive.open(name) as handle:
            if sha256_stream(handle.read) != expected:
                raise refused(f"{name} does not match its SHA-256 in the manifest (corrupted or edited)", name)
    return manifest, actual


def load_rows(model: type[M], rows: Sequence[Row], section: str) -> list[M]:
    loaded = []
    for index, row in enumerate(rows):
        try:
            loaded.append(model.model_validate(row))
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            raise refused(f"{MANIFEST}: {section}[{index}].{where}: {first['msg']}", MANIFEST) from None
    return loaded


@dataclass
class Contents:
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
    comments: list[Comment]
    comment_mentions: list[CommentMention]


def contents_of(manifest: Manifest) -> Contents:
    contents = Contents(
        institution=load_rows(Institution, [manifest.institution], "institution")[0],
        program=load_rows(Program, [manifest.program], "program")[0],
        items=load_rows(ProgramItem, manifest.items, "items"),
        signoffs=load_rows(SignOff, manifest.signoffs, "signoffs"),
        revocations=load_rows(Revocation, manifest.revocations, "revocations"),
        evidence=load_rows(Evidence, manifest.evidence, "evidence"),
        reports=load_rows(Report, [{**r, "pdf": b""} for r in manifest.reports], "reports"),
        scenarios=load_rows(PlanningScenario, manifest.scenarios, "scenarios"),
        events=load_rows(AuditEvent, manifest.audit_events, "audit_events"),
        comments=load_rows(Comment, manifest.comments, "comments"),
        comment_mentions=load_rows(CommentMention, manifest.comment_mentions, "comment_mentions"),
    )
    program_id = contents.program.id
    if contents.program.institution_id != contents.institution.id:
        raise refused(f"{MANIFEST}: program.institution_id is not the institution's id", MANIFEST)
    sections: dict[str, Sequence[Any]] = {
        "items": contents.items, "signoffs": contents.signoffs, "evidence": contents.evidence,
        "reports": contents.reports, "scenarios": contents.scenarios, "audit_events": contents.events,
        "comments": contents.comments,
    }
    for section, rows in sections.items():
        for index, row in enumerate(rows):
            if row.program_id != program_id:
                raise refused(f"{MANIFEST}: {section}[{index}].program_id is not the program's id", MANIFEST)
    item_ids, comment_ids = {i.id for i in contents.items}, {c.id for c in contents.comments}
    for index, comment in enumerate(contents.comments):
        if comment.item_id not in item_ids:
            raise refused(f"{MANIFEST}: comments[{index}].item_id names no exported item", MANIFEST)
    for index, mention in enumerate(contents.comment_mentions):
        if mention.comment_id not in comment_ids:
            raise refused(f"{MANIFEST}: comment_mentions[{index}].comment_id names no exported comment", MANIFEST)
    committee_ids = {c.id for c in manifest.committees}
    if len(committee_ids) != len(manifest.committees) or len({c.slug for c in manifest.committees}) != len(
        manifest.committees
    ):
        raise refused(f"{MANIFEST}: committees lists one committee id or slug twice", MANIFEST)
    for index, signoff in enumerate(contents.signoffs):
        if signoff.committee_id is not None and signoff.committee_id not in committee_ids:
            raise refused(f"{MANIFEST}: signoffs[{index}].committee_id names no exported committee", MANIFEST)
    signed = {s.id for s in contents.signoffs}
    for index, revocation in enumerate(contents.revocations):
        if revocation.signoff_id not in signed:
            raise refused(f"{MANIFEST}: revocations[{index}].signoff_id names no exported sign-off", MANIFEST)
    for index, event in enumerate(contents.events):
        if event_hash(event) != event.hash:
            raise refused(
                f"{MANIFEST}: audit_events[{index}] (event {event.seq}) does not match its hash (altered)", MANIFEST
            )
    for index, role in enumerate(m.role for m in manifest.memberships):
        if role not in {r.value for r in Role}:
            raise refused(f"{MANIFEST}: memberships[{index}].role: unknown role '{role}'", MANIFEST)
    return contents
