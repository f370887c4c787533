"""Marking a draft report final from the reports page: the same service and rule as the API (champions)."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from app.auth.permissions import require_member
from app.auth.roles import Role
from app.db import SessionDep
from app.errors import DomainError, NotFound
from app.reports.finalise import finalise_report
from app.reports.service import report_by_number
from app.web.session import WebPrincipal
from app.web.workspace import _reports_page

router = APIRouter(include_in_schema=False)


@router.post("/programs/{program_id}/reports/{number}/finalise", response_class=HTMLResponse)
def finalise(
    request: Request, principal: WebPrincipal, program_id: uuid.UUID, number: str, session: SessionDep,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    principal.check_csrf(csrf_token)
    report = report_by_number(session, number)
    if report.program_id != program_id:
        raise NotFound("report not found")
    require_member(session, principal.user, report.institution_id, [Role.CHAMPION], what="report")
    try:
        finalise_report(session, principal.user, report)
    except DomainError as error:
        message = {"kind": "error", "text": error.detail}
        return _reports_page(request, principal, session, program_id, message, status_code=error.status_code)
    message = {"kind": "ok", "text": f"Report {number} is final: its PDF no longer carries the DRAFT watermark."}
    return _reports_page(request, principal, session, program_id, message)
