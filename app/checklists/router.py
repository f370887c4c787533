"""Browse the checklist libraries this deployment ships."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from app.checklists.loader import Catalog
from app.checklists.schema import CoverageMap, Library
from app.checklists.schemas import LibrarySummary
from app.clock import today
from app.errors import NotFound


def get_catalog(request: Request) -> Catalog:
    catalog: Catalog = request.app.state.catalog
    return catalog


CatalogDep = Annotated[Catalog, Depends(get_catalog)]

router = APIRouter(prefix="/api/libraries", tags=["checklist libraries"])


@router.get("", response_model=list[LibrarySummary])
def list_libraries(catalog: CatalogDep) -> list[LibrarySummary]:
    return [LibrarySummary.of(library, today()) for library in catalog.all()]


@router.get("/{library_id}/{version}", response_model=Library)
def read_library(library_id: str, version: str, catalog: CatalogDep) -> Library:
    return _library(catalog, library_id, version)


@router.get("/{library_id}/{version}/coverage", response_model=CoverageMap)
def read_coverage(library_id: str, version: str, catalog: CatalogDep) -> CoverageMap:
    """Which items answer each part of the published frameworks the library maps itself to."""
    library = _library(catalog, library_id, version)
    if library.coverage is None:
        raise NotFound(f"library {library_id} {version} has no coverage map")
    return library.coverage


def _library(catalog: Catalog, library_id: str, version: str) -> Library:
    library = catalog.get(library_id, version)
    if library is None:
        raise NotFound(f"library {library_id} {version} not found")
    return library
