"""Institution libraries over HTTP: upload a workbook or YAML, list the versions, read one, download any library
(shipped or the institution's own) as a workbook or YAML."""

import uuid
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, File, Query, Response, UploadFile, status

from app.auth.deps import CurrentUser
from app.auth.permissions import require_member
from app.checklists.router import CatalogDep
from app.checklists.schema import Library
from app.db import SessionDep
from app.institution_libraries import service
from app.institution_libraries.parse import MAX_FILE_BYTES
from app.institution_libraries.schemas import InstitutionLibraryRead, LibraryProblems, MissingFile
from app.institution_libraries.workbook import XLSX_MEDIA_TYPE, YAML_MEDIA_TYPE, library_workbook, library_yaml
from app.openapi_answers import response_headers
from app.programs.access import PROGRAM_MANAGERS

router = APIRouter(prefix="/api", tags=["institution libraries"])


class Format(StrEnum):
    XLSX = "xlsx"
    YAML = "yaml"


DOWNLOAD_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {
        "content": {XLSX_MEDIA_TYPE: {}, YAML_MEDIA_TYPE: {}},
        "headers": response_headers("Content-Disposition"),
    }
}


def read_model(version: service.StoredVersion) -> InstitutionLibraryRead:
    row = version.row
    return InstitutionLibraryRead(
        institution_id=row.institution_id, library_id=row.library_id, version=row.version, title=row.title,
        items=version.items, source_name=row.source_name, source_sha256=row.source_sha256,
        uploaded_by=row.uploaded_by, uploaded_by_name=version.uploaded_by_name, uploaded_at=row.uploaded_at,
    )


def download_response(library: Library, fmt: Format) -> Response:
    name = f"{library.id}-{library.version}.{fmt.value}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if fmt == Format.XLSX:
        return Response(library_workbook(library), media_type=XLSX_MEDIA_TYPE, headers=headers)
    return Response(library_yaml(library), media_type=f"{YAML_MEDIA_TYPE}; charset=utf-8", headers=headers)


def read_limited(file: UploadFile) -> bytes:
    """The upload, read no further than one byte past the limit (the parser refuses it with its size)."""
    return file.file.read(MAX_FILE_BYTES + 1)


@router.post(
    "/institutions/{institution_id}/libraries", status_code=status.HTTP_201_CREATED,
    response_model=InstitutionLibraryRead,
    responses={
        409: {"description": "A shipped library's id, or a version that is not new"},
        413: {"description": "File too large"},
        422: {"model": LibraryProblems | MissingFile,
              "description": "Not a valid library: every problem, with sheet, row and column (or line); or no file"},
    },
)
def upload_library(
    institution_id: uuid.UUID,
    user: CurrentUser,
    session: SessionDep,
    catalog: CatalogDep,
    file: Annotated[UploadFile, File(description="An XLSX workbook (as downloaded) or one YAML file")],
) -> InstitutionLibraryRead:
    """Store a new version of one of the institution's own libraries (champions and administrators)."""
    require_member(session, user, institution_id, PROGRAM_MANAGERS, what="institution")
    content = read_limited(file)
    stored = service.import_library(session, catalog, user, institution_id, content, file.filename or "upload")
    return read_model(stored)


@router.get("/institutions/{institution_id}/libraries", response_model=list[InstitutionLibraryRead])
def list_libraries(institution_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> list[InstitutionLibraryRead]:
    """The institution's uploaded library versions (shipped ones: GET /api/libraries)."""
    require_member(session, user, institution_id, what="institution")
    return [read_model(v) for v in service.list_versions(session, institution_id)]


@router.get("/institutions/{institution_id}/libraries/{library_id}/{version}", response_model=Library)
def read_library(
    institution_id: uuid.UUID, library_id: str, version: str, user: CurrentUser, session: SessionDep,
    catalog: CatalogDep,
) -> Library:
    """One library version as the institution sees it: shipped, or one of its own."""
    require_member(session, user, institution_id, what="institution")
    return service.library_for(session, catalog, institution_id, library_id, version)


@router.get(
    "/institutions/{institution_id}/libraries/{library_id}/{version}/download", response_class=Response,
    responses=DOWNLOAD_RESPONSES,
)
def download_institution_library(
    institution_id: uuid.UUID, library_id: str, version: str, user: CurrentUser, session: SessionDep,
    catalog: CatalogDep, format: Annotated[Format, Query()] = Format.XLSX,  # noqa: A002 - the query's name
) -> Response:
    """A library version the institution sees (shipped or its own) as an XLSX workbook or one YAML file."""
    require_member(session, user, institution_id, what="institution")
    return download_response(service.library_for(session, catalog, institution_id, library_id, version), format)


@router.get("/libraries/{library_id}/{version}/download", response_class=Response, responses=DOWNLOAD_RESPONSES)
def download_shipped_library(
    library_id: str, version: str, user: CurrentUser, catalog: CatalogDep,
    format: Annotated[Format, Query()] = Format.XLSX,  # noqa: A002 - the query's name
) -> Response:
    """A shipped library version as an XLSX workbook (a sheet per area, products, sources, README) or YAML."""
    return download_response(service.shipped_library(catalog, library_id, version), format)
