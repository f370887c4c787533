"""The verification page: is a report genuine? By its number, by the hash printed on it, or by its PDF file.

The access rules are the API's (GET /api/reports/verify): a signed-in person; by number alone only reports of
their own institutions are found (numbers can be guessed), while whoever holds the hash or the file may learn
what that report attests."""

from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse

from app.db import SessionDep
from app.errors import Invalid
from app.reports.schemas import ReportVerification
from app.reports.service import sha256_of_upload, verify_reference, verify_report_pdf
from app.web.session import WebPrincipal, render

router = APIRouter(include_in_schema=False)


def _page(
    request: Request, principal: WebPrincipal, *, typed: str = "", file_name: str = "",
    result: ReportVerification | None = None, errors: dict[str, str] | None = None,
) -> HTMLResponse:
    context = {"typed": typed, "file_name": file_name, "result": result, "errors": errors or {}, "nav": "verify"}
    return render(request, principal, "verify.html", context, status_code=422 if errors else 200)


@router.get("/verify", response_class=HTMLResponse)
def verify_page(
    request: Request, principal: WebPrincipal, session: SessionDep,
    q: Annotated[str, Query(max_length=300)] = "",
) -> HTMLResponse:
    """The three ways to verify; with `q` (a number or a hash), the answer too."""
    if not q.strip():
        return _page(request, principal)
    try:
        result = verify_reference(session, q, principal.user)
    except Invalid as error:
        return _page(request, principal, typed=q, errors={"q": error.detail})
    return _page(request, principal, typed=q.strip(), result=result)


@router.post("/verify", response_class=HTMLResponse)
def verify_file(
    request: Request, principal: WebPrincipal, session: SessionDep,
    file: Annotated[UploadFile | None, File()] = None, csrf_token: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """Hash the dropped (or chosen) PDF as it streams in and look for the report it is."""
    principal.check_csrf(csrf_token)
    if file is None or not file.filename:
        return _page(request, principal, errors={"file": "choose the report's PDF file first"})
    try:
        digest = sha256_of_upload(file.file, request.app.state.settings.max_upload_bytes)
    except Invalid as error:
        return _page(request, principal, file_name=file.filename, errors={"file": error.detail})
    return _page(request, principal, file_name=file.filename, result=verify_report_pdf(session, digest))
