"""Manufacturer site dossiers over HTTP: generate, list, download, mark as sent, verify."""

import uuid
from collections.abc import Iterator
from typing import IO, Annotated

from fastapi import APIRouter, File, Path, Request, UploadFile, status
from fastapi.responses import StreamingResponse

from app.auth.deps import CurrentUser
from app.auth.permissions import require_member
from app.checklists.router import CatalogDep
from app.db import SessionDep
from app.dossier import service
from app.dossier.schemas import DossierRead, DossierRequest, DossierVerification
from app.evidence.files import CHUNK, LocalStorage
from app.openapi_answers import response_headers
from app.programs.access import PROGRAM_MANAGERS, program_for

router = APIRouter(prefix="/api", tags=["dossiers"])
NUMBER = r"^GTD-\d{4}-\d{6}$"


def _storage(request: Request) -> LocalStorage:
    return LocalStorage(request.app.state.settings.evidence_dir)


def _chunks(spool: IO[bytes]) -> Iterator[bytes]:
    try:
        spool.seek(0)
        while chunk := spool.read(CHUNK):
            yield chunk
    finally:
        spool.close()


@router.post(
    "/programs/{program_id}/dossiers", status_code=status.HTTP_201_CREATED, response_model=DossierRead,
    responses={409: {"description": "An evidence file is missing or changed in storage, or no number was free"}},
)
def generate(
    request: Request, program_id: uuid.UUID, body: DossierRequest, user: CurrentUser, session: SessionDep,
    catalog: CatalogDep,
) -> DossierRead:
    """Generate and record a site dossier for one product the program offers (champions and administrators)."""
    program = program_for(session, user, program_id, PROGRAM_MANAGERS)
    dossier, spool = service.generate_dossier(session, catalog, _storage(request), user, program, body.product)
    spool.close()
    return service.dossier_read(dossier)


@router.get("/programs/{program_id}/dossiers", response_model=list[DossierRead])
def list_dossiers(program_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> list[DossierRead]:
    """The program's dossiers, newest first, each with what changed since the dossier sent before it."""
    program_for(session, user, program_id)
    return service.list_dossiers(session, program_id)


@router.post("/dossiers/verify", response_model=DossierVerification)
def verify(
    request: Request,
    user: CurrentUser,
    session: SessionDep,
    file: Annotated[UploadFile, File(description="A dossier zip as downloaded")],
) -> DossierVerification:
    """Check every file of an uploaded dossier zip against its manifest, and the manifest against the stored
    record. Sizes are read from the zip's directory first: an archive that would unpack too large is refused."""
    limit = 2 * request.app.state.settings.max_upload_bytes
    return service.verify_zip(session, file.file, max_unpacked=limit, viewer=user)


@router.get(
    "/dossiers/{dossier_number}", response_class=StreamingResponse,
    responses={
        200: {"content": {"application/zip": {}}, "headers": response_headers("Content-Disposition", "ETag")},
        409: {"description": "An evidence file changed in storage since the dossier was generated"},
    },
)
def download(
    request: Request, dossier_number: Annotated[str, Path(pattern=NUMBER)], user: CurrentUser, session: SessionDep
) -> StreamingResponse:
    """The dossier's zip, byte for byte as generated (its SHA-256 is the ETag)."""
    dossier = service.dossier_by_number(session, dossier_number)
    require_member(session, user, dossier.institution_id, what="dossier")
    spool = service.rebuild_zip(session, _storage(request), dossier)
    try:
        service.record_download(session, user, dossier)
    except BaseException:
        spool.close()
        raise
    return StreamingResponse(
        _chunks(spool), media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{dossier.number}.zip"', "ETag": dossier.zip_sha256},
    )


@router.post(
    "/dossiers/{dossier_number}/sent", response_model=DossierRead,
    responses={409: {"description": "The dossier was already marked as sent"}},
)
def mark_sent(
    dossier_number: Annotated[str, Path(pattern=NUMBER)], user: CurrentUser, session: SessionDep
) -> DossierRead:
    """Record that this dossier went to the manufacturer (champions and administrators)."""
    dossier = service.dossier_by_number(session, dossier_number)
    require_member(session, user, dossier.institution_id, PROGRAM_MANAGERS, what="dossier")
    return service.dossier_read(service.mark_sent(session, user, dossier))
