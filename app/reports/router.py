"""Readiness reports over HTTP: generate, list, download, verify."""

import uuid
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, File, Path, Query, Request, Response, UploadFile, status

from app.auth.deps import CurrentUser
from app.auth.permissions import require_member
from app.auth.roles import Role
from app.checklists.router import CatalogDep
from app.db import SessionDep
from app.openapi_answers import response_headers
from app.programs.access import PROGRAM_MANAGERS, program_for
from app.programs.schemas import ItemFilters
from app.programs.service import get_institution
from app.reports import jobs, service
from app.reports.docx import MEDIA_TYPE as DOCX_MEDIA_TYPE
from app.reports.docx import docx_for
from app.reports.exports import MEDIA_TYPES, Format, Register, register_rows, to_csv, to_xlsx
from app.reports.finalise import finalise_report
from app.reports.schemas import ReportJobRead, ReportRead, ReportRequest, ReportVerification

router = APIRouter(prefix="/api", tags=["reports"])
NUMBER = r"^GTR-\d{4}-\d{6}$"


@router.post(
    "/programs/{program_id}/reports", status_code=status.HTTP_201_CREATED, response_model=ReportRead,
    responses={409: {"description": "No report number could be allocated; try again"}},
)
def generate(
    program_id: uuid.UUID, body: ReportRequest, user: CurrentUser, session: SessionDep, catalog: CatalogDep
) -> ReportRead:
    """Generate and store a report (champions and administrators). Rendering runs off the event loop."""
    program = program_for(session, user, program_id, PROGRAM_MANAGERS)
    report = service.generate_report(session, catalog, user, program, body.kind, body.prepared_for)
    return next(r for r in service.list_reports(session, program_id) if r.number == report.number)


@router.post(
    "/programs/{program_id}/report-jobs", status_code=status.HTTP_202_ACCEPTED, response_model=ReportJobRead,
)
def enqueue(
    request: Request, program_id: uuid.UUID, body: ReportRequest, user: CurrentUser, session: SessionDep,
    catalog: CatalogDep, background: BackgroundTasks,
) -> ReportJobRead:
    """Generate a report in the background (champions and administrators): answers at once with the job; follow
    it at `GET /api/report-jobs/{id}` until it is done (with the report's number) or failed (with the reason)."""
    program = program_for(session, user, program_id, PROGRAM_MANAGERS)
    job = jobs.enqueue_report_job(session, user, program, body.kind, body.prepared_for)
    # This process starts it after answering; a `gtready worker` takes it instead if this one cannot.
    background.add_task(jobs.run_report_job, request.app.state.engine, catalog, job.id)
    return ReportJobRead.model_validate(job, from_attributes=True)


@router.get("/report-jobs/{job_id}", response_model=ReportJobRead)
def read_job(job_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> ReportJobRead:
    """Where a background report stands: queued, running (step and fraction), done (number) or failed (why)."""
    return ReportJobRead.model_validate(jobs.job_for(session, user, job_id), from_attributes=True)


@router.get("/programs/{program_id}/reports", response_model=list[ReportRead])
def list_reports(program_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> list[ReportRead]:
    program_for(session, user, program_id)
    return service.list_reports(session, program_id)


@router.get("/reports/verify", response_model=ReportVerification)
def verify(
    user: CurrentUser,
    session: SessionDep,
    number: Annotated[str | None, Query(pattern=NUMBER)] = None,
    data_sha256: Annotated[str | None, Query(pattern=r"^[0-9a-fA-F]{64}$")] = None,
) -> ReportVerification:
    """Does this report number (or data hash) match a stored report, and what does it attest?"""
    return service.verify_report(session, number, data_sha256, viewer=user)


@router.post("/reports/verify", response_model=ReportVerification)
def verify_pdf(
    request: Request,
    user: CurrentUser,
    session: SessionDep,
    file: Annotated[UploadFile, File(description="A report's PDF, as downloaded")],
) -> ReportVerification:
    """Is this PDF file one gtready generated (the final PDF, or the draft before it), and what does it attest?"""
    digest = service.sha256_of_upload(file.file, request.app.state.settings.max_upload_bytes)
    return service.verify_report_pdf(session, digest)


@router.get(
    "/reports/{number}/pdf", response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "headers": response_headers("Content-Disposition", "ETag")}},
)
def download(number: Annotated[str, Path(pattern=NUMBER)], user: CurrentUser, session: SessionDep) -> Response:
    """The stored PDF, exactly as generated."""
    report = service.report_by_number(session, number)
    require_member(session, user, report.institution_id, what="report")
    service.record_download(session, user, report)
    return Response(
        report.pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{report.number}.pdf"', "ETag": report.pdf_sha256},
    )


@router.get(
    "/reports/{number}/docx", response_class=Response,
    responses={200: {"content": {DOCX_MEDIA_TYPE: {}}, "headers": response_headers("Content-Disposition")}},
)
def download_docx(
    request: Request, number: Annotated[str, Path(pattern=NUMBER)], user: CurrentUser, session: SessionDep
) -> Response:
    """The report as an editable Word document made from the same snapshot; the PDF stays the record of truth."""
    report = service.report_by_number(session, number)
    require_member(session, user, report.institution_id, what="report")
    content = docx_for(report, request.app.state.settings.base_url)
    service.record_download(session, user, report, "docx")
    return Response(
        content, media_type=DOCX_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{report.number}.docx"'},
    )


@router.post(
    "/reports/{number}/finalise", response_model=ReportRead,
    responses={409: {"description": "The report is already final"}},
)
def finalise(number: Annotated[str, Path(pattern=NUMBER)], user: CurrentUser, session: SessionDep) -> ReportRead:
    """Mark a draft report final (champions): its PDF is rendered again without the DRAFT watermark."""
    report = service.report_by_number(session, number)
    require_member(session, user, report.institution_id, [Role.CHAMPION], what="report")
    report = finalise_report(session, user, report)
    return next(r for r in service.list_reports(session, report.program_id) if r.number == report.number)


@router.get(
    "/programs/{program_id}/exports/{register}.{fmt}",
    response_class=Response,
    responses={
        200: {
            "content": {media: {} for media in MEDIA_TYPES.values()},
            "headers": response_headers("Content-Disposition"),
        }
    },
)
def export_register(
    program_id: uuid.UUID,
    register: Register,
    fmt: Format,
    user: CurrentUser,
    session: SessionDep,
    filters: Annotated[ItemFilters, Query()],
) -> Response:
    """The item register, sign-off register or evidence index as CSV or XLSX, with the item list's filters."""
    program = program_for(session, user, program_id)
    header, rows = register_rows(session, program_id, register, filters,
                                 get_institution(session, program.institution_id).time_zone)
    content = to_csv(header, rows) if fmt == Format.CSV else to_xlsx(register.value, header, rows)
    name = f"{program.title[:40].strip().replace(' ', '-').lower()}-{register.value}.{fmt.value}"
    # ASCII only: a header carries latin-1, and a title in another script made this a 500
    safe = "".join(ch for ch in name if (ch.isascii() and ch.isalnum()) or ch in "-_.") or f"export.{fmt.value}"
    disposition = f'attachment; filename="{safe}"'
    return Response(content, media_type=MEDIA_TYPES[fmt], headers={"Content-Disposition": disposition})
