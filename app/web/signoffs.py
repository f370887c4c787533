"""Web forms for evidence, signing and revoking, and the sign-off queue. The same services as the API."""

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.checklists.router import CatalogDep
from app.db import SessionDep
from app.errors import DomainError, Invalid, Unauthorized
from app.evidence.files import LocalStorage
from app.evidence.service import add_evidence
from app.programs import service
from app.programs.access import item_for_change, program_for
from app.signoffs.chains import waiting_labels
from app.signoffs.models import Meaning, SignOff
from app.signoffs.service import revoke_signoff, sign_off_item, signoff_queue
from app.web.programs import item_page_response
from app.web.session import WebPrincipal, render

router = APIRouter(include_in_schema=False)


def _back_to_item(program_id: uuid.UUID, key: str, note: str) -> RedirectResponse:
    return RedirectResponse(f"/programs/{program_id}/items/{key}?done={note}", status_code=303)


def _item_with_error(
    request: Request, principal: WebPrincipal, session: SessionDep, catalog: CatalogDep, program_id: uuid.UUID,
    key: str, error: DomainError, field: str | None = None, sign_form: dict[str, str] | None = None,
) -> HTMLResponse:
    item = service.read_item(session, program_id, key)
    form = {"status": item.status, "owner_id": str(item.owner_id or ""), "notes": item.notes,
            "due_date": item.due_date.isoformat() if item.due_date else "", "na_justification": ""}
    errors = {field: error.detail} if field else {}
    return item_page_response(
        request, principal, session, catalog, item, form=form, errors=errors,
        message={"kind": "error", "text": error.detail}, status_code=error.status_code, sign_form=sign_form,
    )


@router.post("/programs/{program_id}/items/{key}/evidence", response_class=HTMLResponse)
def upload_evidence(
    request: Request,
    principal: WebPrincipal,
    program_id: uuid.UUID,
    key: str,
    session: SessionDep,
    catalog: CatalogDep,
    file: Annotated[UploadFile, File()],
    kind: Annotated[str, Form()],
    expires_on: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    principal.check_csrf(csrf_token)
    item = item_for_change(session, principal.user, program_id, key)
    program = program_for(session, principal.user, program_id)
    settings = request.app.state.settings
    try:
        expiry = date.fromisoformat(expires_on) if expires_on else None
        add_evidence(
            session, LocalStorage(settings.evidence_dir), principal.user, program, item, source=file.file,
            filename=file.filename or "", kind=kind, expires_on=expiry, max_bytes=settings.max_upload_bytes,
        )
    except ValueError:
        error = Invalid("the expiry date is not a date", field="expires_on")
        return _item_with_error(request, principal, session, catalog, program_id, key, error, "file")
    except DomainError as error:
        return _item_with_error(request, principal, session, catalog, program_id, key, error, "file")
    return _back_to_item(program_id, key, "evidence")


@router.post("/programs/{program_id}/items/{key}/signoff", response_class=HTMLResponse)
def sign_item(
    request: Request,
    principal: WebPrincipal,
    program_id: uuid.UUID,
    key: str,
    session: SessionDep,
    catalog: CatalogDep,
    password: Annotated[str, Form()],
    meaning: Annotated[Meaning, Form()],
    version: Annotated[int, Form()],
    statement: Annotated[str, Form(max_length=2000)] = "",
    totp_code: Annotated[str, Form(max_length=40)] = "",
    step: Annotated[int | None, Form(ge=1, le=10)] = None,
    committee: Annotated[str, Form(max_length=40)] = "",
    meeting_date: Annotated[str, Form(max_length=20)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    principal.check_csrf(csrf_token)
    program = program_for(session, principal.user, program_id)
    try:
        try:
            met = date.fromisoformat(meeting_date) if meeting_date.strip() else None
        except ValueError:
            raise Invalid("the meeting date is not a date", field="meeting_date") from None
        sign_off_item(
            session, principal.user, program, key, password=password, totp_code=totp_code.replace("\x00", ""),
            meaning=meaning,
            statement=statement.replace("\x00", "").strip(), expected_version=version,
            step=step, committee=committee.replace("\x00", "").strip() or None, meeting_date=met,
        )
    except DomainError as error:
        field = "password" if isinstance(error, Unauthorized) else None
        field = "totp_code" if error.extra.get("field") == "totp_code" else field
        field = error.field if isinstance(error, Invalid) and error.field == "meeting_date" else field
        return _item_with_error(request, principal, session, catalog, program_id, key, error, field,
                                sign_form={"statement": statement, "meaning": meaning.value,
                                           "meeting_date": meeting_date})
    return _back_to_item(program_id, key, "signed")


@router.post("/signoffs/{signoff_id}/revoke", response_class=HTMLResponse)
def revoke(
    request: Request,
    principal: WebPrincipal,
    signoff_id: uuid.UUID,
    session: SessionDep,
    catalog: CatalogDep,
    reason: Annotated[str, Form(max_length=2000)],
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    principal.check_csrf(csrf_token)
    found = session.get(SignOff, signoff_id)
    try:
        signoff = revoke_signoff(session, principal.user, signoff_id, reason.replace("\x00", "").strip())
    except DomainError as error:
        if found is None:
            raise
        return _item_with_error(request, principal, session, catalog, found.program_id, found.item_key, error)
    return _back_to_item(signoff.program_id, signoff.item_key, "revoked")


@router.get("/queue", response_class=HTMLResponse)
def queue_page(request: Request, principal: WebPrincipal, session: SessionDep) -> HTMLResponse:
    rows = signoff_queue(session, principal.user)
    steps = waiting_labels(session, rows)
    return render(request, principal, "queue.html", {"nav": "queue", "rows": rows, "steps": steps})
