"""Browse the checklist libraries this deployment ships."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from app.checklists.loader import Catalog
from app.checklists.schema import Library
from app.checklists.schemas import LibrarySummary
from app.errors import NotFound


def get_catalog(request: Request) -> Catalog:
    catalog: Catalog = request.app.state.catalog
    return catalog


CatalogDep = Annotated[Catalog, Depends(get_catalog)]

router = APIRouter(prefix="/api/libraries", tags=["checklist libraries"])


@router.get("", response_model=list[LibrarySummary])
def list_libraries(catalog: CatalogDep) -> list[LibrarySummary]:
    return [LibrarySummary.of(library) for library in catalog.all()]


@router.get("/{library_id}/{version}", response_model=Library)
def read_library(library_id: str, version: str, catalog: CatalogDep) -> Library:
    library = catalog.get(library_id, version)
    if library is None:
        raise NotFound(f"library {library_id} {version} not found")
    return library
