"""An institution's view of the libraries: the shipped catalog plus the versions it uploaded itself.

Wherever a program's library is looked up by (library id, version) on behalf of an institution, this catalog
stands in for the shipped one, so programs are created from, diffed against and upgraded along uploaded versions
by the same code as shipped ones. The shipped catalog is not changed (it is shared by every institution)."""

import uuid

from sqlmodel import Session, col, select

from app.checklists.loader import Catalog
from app.checklists.schema import Library
from app.institution_libraries.models import InstitutionLibrary


def stored_libraries(session: Session, institution_id: uuid.UUID, library_id: str | None = None) -> list[Library]:
    query = select(InstitutionLibrary.content).where(col(InstitutionLibrary.institution_id) == institution_id)
    if library_id is not None:
        query = query.where(col(InstitutionLibrary.library_id) == library_id)
    return [Library.model_validate_json(content) for content in session.exec(query).all()]


def institution_catalog(
    session: Session, catalog: Catalog, institution_id: uuid.UUID, library_id: str | None = None
) -> Catalog:
    """`catalog` with the institution's uploaded versions added (their ids never equal a shipped one's).

    With `library_id` (one program's library) only that library's versions are added, and none are read when it
    is a shipped library: uploads can never share its id, so the pages and reports of a program on a shipped
    library make no query for them."""
    if library_id is not None and catalog.versions(library_id):
        return catalog
    libraries = dict(catalog.libraries)
    for library in stored_libraries(session, institution_id, library_id):
        libraries.setdefault(library.key, library)
    return Catalog(libraries)
