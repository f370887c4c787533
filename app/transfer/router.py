"""A program's archive over HTTP, for administrators (the same archive `gtready export` writes)."""

import tempfile
import uuid
from collections.abc import Iterator
from typing import IO

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from app.auth.deps import CurrentUser
from app.auth.roles import Role
from app.db import SessionDep
from app.evidence.files import CHUNK, LocalStorage
from app.openapi_answers import response_headers
from app.programs.access import program_for
from app.transfer.service import export_program

router = APIRouter(prefix="/api", tags=["transfer"])


def _chunks(spool: IO[bytes]) -> Iterator[bytes]:
    try:
        spool.seek(0)
        while chunk := spool.read(CHUNK):
            yield chunk
    finally:
        spool.close()


@router.get(
    "/programs/{program_id}/export",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"application/zip": {}}, "headers": response_headers("Content-Disposition")},
        403: {"description": "Only the institution's administrators export a program"},
        409: {"description": "An evidence file is missing from storage or no longer matches its hash"},
    },
)
def export(program_id: uuid.UUID, user: CurrentUser, session: SessionDep, request: Request) -> StreamingResponse:
    """The whole program (items, sign-offs, evidence files, reports, scenarios, people, audit events) as one
    checksummed archive that `gtready import` restores."""
    program = program_for(session, user, program_id, {Role.ADMINISTRATOR})
    spool = tempfile.SpooledTemporaryFile(max_size=16 << 20)  # noqa: SIM115  (closed by _chunks)
    try:
        export_program(session, LocalStorage(request.app.state.settings.evidence_dir), program.id, spool, user)
    except BaseException:
        spool.close()
        raise
    return StreamingResponse(
        _chunks(spool),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="program-{program.id}.gtready.zip"'},
    )
