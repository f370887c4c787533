"""Upload, list, download and remove evidence files."""

import uuid
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Request, UploadFile, status
from fastapi.responses import FileResponse

from app.auth.deps import CurrentUser
from app.db import SessionDep
from app.evidence import service
from app.evidence.files import LocalStorage
from app.evidence.schemas import EvidenceRead
from app.openapi_answers import response_headers
from app.programs.access import item_for_change, program_for
from app.text import IsoDate, ItemKey, Slug

router = APIRouter(prefix="/api", tags=["evidence"])
# The types app.evidence.files.sniff accepts; a download answers with the one its content was checked to be.
DOWNLOAD_TYPES = (
    "application/pdf", "image/png", "image/jpeg", "text/csv", "text/plain",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
)


def storage_of(request: Request) -> LocalStorage:
    return LocalStorage(request.app.state.settings.evidence_dir)


@router.post(
    "/programs/{program_id}/items/{key}/evidence",
    status_code=status.HTTP_201_CREATED,
    response_model=EvidenceRead,
    responses={413: {"description": "File too large"}, 415: {"description": "File type not accepted"}},
)
def upload(
    request: Request,
    program_id: uuid.UUID,
    key: ItemKey,
    user: CurrentUser,
    session: SessionDep,
    file: Annotated[UploadFile, File(description="PDF, PNG, JPEG, DOCX, XLSX, CSV or plain text")],
    kind: Annotated[Slug, Form(description="One of the item's expected evidence kinds, or 'other'")],
    expires_on: Annotated[IsoDate | None, Form()] = None,
) -> EvidenceRead:
    item = item_for_change(session, user, program_id, key)
    program = program_for(session, user, program_id)
    evidence = service.add_evidence(
        session, storage_of(request), user, program, item, source=file.file, filename=file.filename or "",
        kind=kind, expires_on=expires_on, max_bytes=request.app.state.settings.max_upload_bytes,
    )
    return EvidenceRead.model_validate(evidence)


@router.get("/programs/{program_id}/evidence", response_model=list[EvidenceRead])
def evidence_index(
    program_id: uuid.UUID, user: CurrentUser, session: SessionDep, item: ItemKey | None = None
) -> list[EvidenceRead]:
    """The program's evidence index (file name, SHA-256, uploader, expiry), optionally for one item."""
    program_for(session, user, program_id)
    rows = service.program_evidence(session, program_id)
    return [EvidenceRead.model_validate(e) for e in rows if item is None or e.item_key == item]


@router.get(
    "/evidence/{evidence_id}/download", response_class=FileResponse,
    responses={200: {
        "content": {media: {} for media in DOWNLOAD_TYPES},
        "headers": response_headers("Content-Disposition"),
    }},
)
def download(request: Request, evidence_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> FileResponse:
    """The file itself, always as an attachment, with the type its content was checked to be."""
    evidence = service.get_evidence(session, evidence_id)
    program_for(session, user, evidence.program_id)
    path = service.evidence_path(storage_of(request), evidence)
    disposition = f"attachment; filename*=UTF-8''{quote(evidence.original_name)}"
    return FileResponse(
        path,
        media_type=evidence.content_type,
        headers={
            "Content-Disposition": disposition,
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )


@router.delete(
    "/evidence/{evidence_id}", status_code=status.HTTP_204_NO_CONTENT,
    responses={409: {"description": "Already removed"}},
)
def remove(evidence_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> None:
    evidence = service.get_evidence(session, evidence_id)
    item_for_change(session, user, evidence.program_id, evidence.item_key)
    service.remove_evidence(session, user, program_for(session, user, evidence.program_id), evidence)
