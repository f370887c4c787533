"""The institution's committee packet definitions: read or download each kind's YAML, upload an adapted one.
The same services and rules as the API (any member reads; administrators and champions upload)."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.auth.permissions import require_member
from app.checklists.router import CatalogDep
from app.db import SessionDep
from app.errors import DomainError, Invalid
from app.packets import service
from app.packets.schema import PACKET_KINDS, PacketKind
from app.programs.service import get_institution
from app.web.session import WebPrincipal, render

router = APIRouter(include_in_schema=False)
MAX_UPLOAD = 64_000


def _page(
    request: Request, principal: WebPrincipal, session: SessionDep, institution_id: uuid.UUID, *,
    message: dict[str, str] | None = None, failed: dict[str, str] | None = None, status_code: int = 200,
) -> HTMLResponse:
    held = require_member(session, principal.user, institution_id, what="institution")
    definitions = [service.definition_read(session, principal.user, institution_id, kind) for kind in PACKET_KINDS]
    context = {
        "institution": get_institution(session, institution_id), "definitions": definitions,
        "can_edit": bool(held & service.EDITORS), "message": message, "failed": failed or {},
    }
    return render(request, principal, "packets.html", context, status_code=status_code)


@router.get("/institutions/{institution_id}/packets", response_class=HTMLResponse)
def packets_page(
    request: Request, principal: WebPrincipal, institution_id: uuid.UUID, session: SessionDep,
    saved: Annotated[str, Query(max_length=20)] = "",
) -> HTMLResponse:
    message = {"kind": "ok", "text": f"Saved: the next {saved} packets use this definition."} if (
        saved in PACKET_KINDS) else None
    return _page(request, principal, session, institution_id, message=message)


@router.get("/institutions/{institution_id}/packets/{packet_kind}.yaml")
def download_definition(
    principal: WebPrincipal, institution_id: uuid.UUID, packet_kind: PacketKind, session: SessionDep,
) -> Response:
    read = service.definition_read(session, principal.user, institution_id, packet_kind.value)
    return Response(read.yaml, media_type="application/yaml", headers={
        "Content-Disposition": f'attachment; filename="{packet_kind.value}-packet.yaml"'})


@router.post("/institutions/{institution_id}/packets/{packet_kind}", response_class=HTMLResponse)
async def upload_definition(
    request: Request, principal: WebPrincipal, institution_id: uuid.UUID, packet_kind: PacketKind,
    session: SessionDep, catalog: CatalogDep,
    csrf_token: Annotated[str, Form()] = "",
    yaml: Annotated[str, Form(max_length=MAX_UPLOAD)] = "",
    file: UploadFile | None = None,
) -> Response:
    principal.check_csrf(csrf_token)
    text = yaml
    try:
        if file is not None and file.filename:
            raw = await file.read(MAX_UPLOAD + 1)
            if len(raw) > MAX_UPLOAD:
                raise Invalid(f"the file is larger than {MAX_UPLOAD // 1000} kB", field="file")
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise Invalid("the file is not UTF-8 text", field="file") from None
        if not text.strip() or "\x00" in text:
            raise Invalid("paste the YAML or choose a file", field="yaml")
        service.save_definition(session, catalog, principal.user, institution_id, packet_kind.value, text)
    except DomainError as error:
        session.rollback()
        if error.status_code in (403, 404):
            raise
        return _page(request, principal, session, institution_id, failed={"kind": packet_kind.value,
                     "text": error.detail, "yaml": text}, status_code=error.status_code)
    return RedirectResponse(f"/institutions/{institution_id}/packets?saved={packet_kind.value}", status_code=303)
