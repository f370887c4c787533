"""Generate, store, list, serve and verify readiness reports.

A report is rendered completely before anything is stored, and stored in one transaction with its audit
event, so a failed rendering leaves no half-stored report."""

import hashlib
import re
import uuid
from collections.abc import Callable, Sequence
from typing import IO

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from app.audit.service import record_event
from app.auth.models import User
from app.auth.permissions import require_member
from app.branding.service import report_branding
from app.checklists.loader import Catalog
from app.clock import utcnow
from app.errors import Conflict, Invalid, NotFound
from app.evidence.files import CHUNK
from app.programs.models import Program
from app.reports.gather import data_hash, gather
from app.reports.models import Report
from app.reports.render import page_count, render_pdf
from app.reports.schemas import ReportData, ReportKind, ReportRead, ReportVerification

SYSTEM_AUTHOR = "gtready command line"
Progress = Callable[[str, float], None]  # (what it is doing now, in words; the fraction done)


def _no_progress(step: str, fraction: float) -> None:
    """Callers that wait for the report (the command line, the synchronous API) need no progress."""


def _next_number(session: Session, year: int) -> str:
    prefix = f"GTR-{year}-"
    # The highest number, not a count: an imported program brings its own numbers, which may leave gaps.
    last = session.scalar(select(func.max(Report.number)).where(col(Report.number).startswith(prefix)))
    return f"{prefix}{int(last.removeprefix(prefix)) + 1 if last else 1:06d}"


def generate_report(
    session: Session, catalog: Catalog, actor: User | None, program: Program, kind: ReportKind, prepared_for: str,
    progress: Progress = _no_progress,
) -> Report:
    """Snapshot the program, render the PDF and store both; numbers are unique even across replicas.

    `progress` hears each step; it may raise to stop before anything is stored (a background job that lost its
    claim)."""
    for _attempt in range(5):
        now = utcnow()
        progress("Gathering the program's facts", 0.05)
        number = _next_number(session, now.year)
        data = gather(
            session, catalog, program, number=number, kind=kind, prepared_for=prepared_for,
            prepared_by=actor.full_name if actor else SYSTEM_AUTHOR, now=now,
        )
        data.branding = report_branding(session, program.institution_id)  # captured: later changes leave it
        digest = data_hash(data)
        progress("Laying out and rendering the PDF", 0.25)
        pdf = render_pdf(data, digest)
        progress("Storing the report", 0.9)
        report = Report(
            number=number, program_id=program.id, institution_id=program.institution_id, kind=kind.value,
            created_by_id=actor.id if actor else None, created_by_name=data.prepared_by, created_at=now,
            data=data.model_dump(mode="json"), data_sha256=digest, pdf=pdf,
            pdf_sha256=hashlib.sha256(pdf).hexdigest(), pages=page_count(pdf),
        )
        try:
            session.add(report)
            session.flush()
        except IntegrityError:  # another replica took this number a moment ago
            session.rollback()
            continue
        try:
            record_event(
                session, actor, "report.generated", entity="report", entity_key=number,
                institution_id=program.institution_id, program_id=program.id,
                after={"kind": kind.value, "data_sha256": digest, "overall_ratio": data.overall_ratio,
                       "gate_open": data.gate_open, "pages": report.pages},
            )
            session.commit()
        except BaseException:
            # The row was flushed: take it back, so a caller that keeps its session cannot commit it later
            # (and the next report gets this number).
            session.rollback()
            raise
        return report
    raise Conflict("could not allocate a report number; try again")


def list_reports(session: Session, program_id: uuid.UUID) -> list[ReportRead]:
    """A program's reports, newest first, without loading their PDFs."""
    rows = session.execute(
        select(
            col(Report.number), col(Report.program_id), col(Report.kind), col(Report.created_by_name),
            col(Report.created_at), col(Report.data_sha256), col(Report.pdf_sha256), col(Report.pages),
            col(Report.finalised_at), col(Report.finalised_by_name),
        )
        .where(col(Report.program_id) == program_id)
        .order_by(col(Report.created_at).desc())
    ).all()
    return [ReportRead.model_validate(row._asdict()) for row in rows]


def report_by_number(session: Session, number: str) -> Report:
    report = session.scalars(select(Report).where(col(Report.number) == number)).first()
    if report is None:
        raise NotFound("report not found")
    return report


def record_download(session: Session, actor: User, report: Report, fmt: str = "pdf") -> None:
    record_event(
        session, actor, "report.downloaded", entity="report", entity_key=report.number,
        institution_id=report.institution_id, program_id=report.program_id, after={"format": fmt},
    )
    session.commit()


NUMBER_PATTERN = re.compile(r"GTR-\d{4}-\d{6}")
HASH_PATTERN = re.compile(r"[0-9a-f]{64}")


def verify_reference(session: Session, typed: str, viewer: User | None) -> ReportVerification:
    """Verify what a person typed or pasted: a report number, the data hash printed on it, or a PDF file's hash.

    A hash copied from the PDF may carry the spaces and line breaks of its wrapping; they are ignored."""
    text = typed.strip()
    if NUMBER_PATTERN.fullmatch(text.upper()):
        return verify_report(session, text.upper(), None, viewer=viewer)
    digest = re.sub(r"\s+", "", text).lower()
    if HASH_PATTERN.fullmatch(digest):
        found = verify_report(session, None, digest, viewer=viewer)
        return found if found.number else verify_report_pdf(session, digest)
    raise Invalid("enter a report number such as GTR-2026-000001, or a 64-character SHA-256 hash", field="q",
                  location="query")


def sha256_of_upload(stream: IO[bytes], limit: int) -> str:
    """The SHA-256 of an uploaded file, read in chunks; a file over `limit` bytes is refused naming the field."""
    digest, size = hashlib.sha256(), 0
    while chunk := stream.read(CHUNK):
        size += len(chunk)
        if size > limit:
            raise Invalid(f"the file is larger than a report can be ({limit:,} bytes)", field="file")
        digest.update(chunk)
    if size == 0:
        raise Invalid("the file is empty: choose the report's PDF", field="file")
    return digest.hexdigest()


def verify_report_pdf(session: Session, pdf_sha256: str) -> ReportVerification:
    """Whether a PDF file is one this server generated (the final PDF, or the draft before it), and what it attests.

    Whoever holds the file may learn what it says, like whoever holds its data hash."""
    digest = pdf_sha256.lower()
    report = session.scalars(
        select(Report).where(or_(col(Report.pdf_sha256) == digest, col(Report.draft_pdf_sha256) == digest)).limit(1)
    ).first()
    if report is None:
        return ReportVerification(matches=False)
    verification = _attested(report)
    final = report.finalised_at is not None and report.pdf_sha256 == digest
    return verification.model_copy(update={"pdf": "final" if final else "draft"})


def _attested(report: Report) -> ReportVerification:
    data = ReportData.model_validate(report.data)
    return ReportVerification(
        matches=data_hash(data) == report.data_sha256,
        number=report.number, program=data.program_title, institution=data.institution,
        generated_at=report.created_at, generated_by=report.created_by_name, overall_ratio=data.overall_ratio,
        gate_open=data.gate_open, data_sha256=report.data_sha256,
    )


def verify_report(
    session: Session, number: str | None, data_sha256: str | None, viewer: User | None = None
) -> ReportVerification:
    """Whether a report number or data hash matches a stored report, and what that report attests.

    Numbers run in sequence and can be guessed, so by number alone a `viewer` outside the report's institution
    learns nothing (as if no such report existed); whoever holds the PDF has its data hash and may verify it.
    """
    query = select(Report)
    if number:
        query = query.where(col(Report.number) == number)
    if data_sha256:
        query = query.where(col(Report.data_sha256) == data_sha256.lower())
    found: Sequence[Report] = session.scalars(query.limit(1)).all() if number or data_sha256 else []
    if not found:
        return ReportVerification(matches=False)
    report = found[0]
    if viewer is not None and not data_sha256:
        try:
            require_member(session, viewer, report.institution_id, what="report")
        except NotFound:
            return ReportVerification(matches=False)
    return _attested(report)
