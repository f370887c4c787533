"""Marking a draft report final: the PDF is rendered again from the same stored snapshot without the DRAFT
watermark and replaces the draft's PDF, whose hash is kept. The snapshot and its data hash never change, so the
report verifies the same before and after."""

import hashlib
from typing import Any, cast

from sqlalchemy import CursorResult, update
from sqlmodel import Session, col

from app.audit.service import record_event
from app.auth.models import User
from app.clock import utcnow
from app.errors import Conflict
from app.reports.models import Report
from app.reports.render import page_count, render_pdf
from app.reports.schemas import ReportData


def finalise_report(session: Session, actor: User, report: Report) -> Report:
    """Mark the report final (once: a second time is a conflict) and store its final PDF."""
    if report.finalised_at is not None:
        raise Conflict(f"report {report.number} was already marked final on {report.finalised_at:%Y-%m-%d %H:%M} UTC"
                       f" by {report.finalised_by_name}")
    now = utcnow()
    data = ReportData.model_validate(report.data)
    pdf = render_pdf(data, report.data_sha256, draft=False, finalised=(actor.full_name, now))
    draft_sha256, pdf_sha256 = report.pdf_sha256, hashlib.sha256(pdf).hexdigest()
    # Only while still a draft: of two champions finalising at once, the second gets the conflict.
    marked = session.execute(
        update(Report).where(col(Report.id) == report.id, col(Report.finalised_at).is_(None)).values(
            draft_pdf_sha256=draft_sha256, pdf=pdf, pdf_sha256=pdf_sha256, pages=page_count(pdf),
            finalised_at=now, finalised_by_id=actor.id, finalised_by_name=actor.full_name,
        )
    )
    if cast(CursorResult[Any], marked).rowcount != 1:
        session.rollback()
        raise Conflict(f"report {report.number} was already marked final")
    try:
        record_event(
            session, actor, "report.finalised", entity="report", entity_key=report.number,
            institution_id=report.institution_id, program_id=report.program_id,
            before={"pdf_sha256": draft_sha256},
            after={"pdf_sha256": pdf_sha256, "data_sha256": report.data_sha256},
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    session.refresh(report)
    return report
