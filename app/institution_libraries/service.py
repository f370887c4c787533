"""Institution libraries: validate an upload, store it as a new version, list and read an institution's versions."""

import hashlib
import uuid
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.audit.service import record_event
from app.auth.models import User
from app.checklists.loader import Catalog
from app.checklists.schema import Library, version_key
from app.errors import Conflict, DomainError, NotFound
from app.institution_libraries.catalog import institution_catalog
from app.institution_libraries.models import InstitutionLibrary
from app.institution_libraries.parse import UploadInvalid, parse_library, safe_name
from app.institution_libraries.workbook import canonical_json
from app.programs.models import Institution


class LibraryRefused(DomainError):
    """An upload that is not a valid library: 422 with every problem (sheet, row and column, or line)."""

    status_code = 422


@dataclass(frozen=True)
class StoredVersion:
    row: InstitutionLibrary
    items: int
    uploaded_by_name: str | None


def _institution(session: Session, institution_id: uuid.UUID) -> Institution:
    institution = session.get(Institution, institution_id)
    if institution is None:
        raise NotFound("institution not found")
    return institution


def read_upload(content: bytes, filename: str) -> Library:
    """The library in an uploaded file, or LibraryRefused naming every problem."""
    try:
        return parse_library(content, filename)
    except UploadInvalid as error:
        raise LibraryRefused(str(error), problems=error.problems) from None


def _check_new_version(session: Session, catalog: Catalog, institution_id: uuid.UUID, library: Library) -> None:
    if catalog.versions(library.id):
        raise Conflict(
            f"library id '{library.id}' is a shipped library; give your library its own id on the library sheet "
            f"(e.g. '{library.id}-local') and upload it again"
        )
    versions = session.exec(
        select(InstitutionLibrary.version).where(
            col(InstitutionLibrary.institution_id) == institution_id,
            col(InstitutionLibrary.library_id) == library.id,
        )
    ).all()
    if library.version in versions:
        raise Conflict(f"version {library.version} of library '{library.id}' exists; give the upload a new version")
    newest = max(versions, key=version_key, default=None)
    if newest is not None and version_key(library.version) < version_key(newest):
        raise Conflict(
            f"version {library.version} is older than the newest stored version {newest} of library "
            f"'{library.id}'; a new version must be newer"
        )


def import_library(
    session: Session, catalog: Catalog, actor: User | None, institution_id: uuid.UUID, content: bytes, filename: str
) -> StoredVersion:
    """Validate an uploaded workbook or YAML file and store it as a new version of the institution's library.
    Nothing is stored unless the whole file is valid."""
    _institution(session, institution_id)
    library = read_upload(content, filename)
    _check_new_version(session, catalog, institution_id, library)
    row = InstitutionLibrary(
        institution_id=institution_id, library_id=library.id, version=library.version, title=library.title,
        content=canonical_json(library), source_sha256=hashlib.sha256(content).hexdigest(),
        source_name=safe_name(filename), uploaded_by=actor.id if actor else None,
    )
    session.add(row)
    record_event(
        session, actor, "library.uploaded", entity="institution_library", entity_key=f"{library.id} {library.version}",
        institution_id=institution_id,
        after={"library": library.id, "version": library.version, "title": library.title, "items": len(library.items),
               "source": row.source_name, "sha256": row.source_sha256},
    )
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict(
            f"version {library.version} of library '{library.id}' was stored a moment ago; give the upload a new "
            "version"
        ) from None
    session.refresh(row)
    return StoredVersion(row, len(library.items), actor.full_name if actor else None)


def list_versions(session: Session, institution_id: uuid.UUID) -> list[StoredVersion]:
    """The institution's uploaded versions, by library id then newest first."""
    _institution(session, institution_id)
    rows = session.exec(
        select(InstitutionLibrary, User.full_name)
        .join(User, col(User.id) == col(InstitutionLibrary.uploaded_by), isouter=True)
        .where(col(InstitutionLibrary.institution_id) == institution_id)
    ).all()
    found = [
        StoredVersion(row, len(Library.model_validate_json(row.content).items), name) for row, name in rows
    ]
    return sorted(found, key=lambda v: (v.row.library_id, [-n for n in version_key(v.row.version)]))


def library_for(
    session: Session, catalog: Catalog, institution_id: uuid.UUID, library_id: str, version: str
) -> Library:
    """A library version as the institution sees it: shipped, or one of its own uploads (404 otherwise)."""
    _institution(session, institution_id)
    library = institution_catalog(session, catalog, institution_id).get(library_id, version)
    if library is None:
        raise NotFound(f"library {library_id} {version} not found")
    return library


def shipped_library(catalog: Catalog, library_id: str, version: str) -> Library:
    library = catalog.get(library_id, version)
    if library is None:
        raise NotFound(f"library {library_id} {version} not found")
    return library
