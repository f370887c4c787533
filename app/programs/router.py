"""Institutions, programs, items and readiness over HTTP. Thin: parse, call the service, shape the answer."""

import re
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Response, status
from pydantic import BaseModel

from app.auth.deps import CurrentUser
from app.auth.permissions import require_member
from app.auth.roles import Role
from app.auth.service import institution_ids_of
from app.checklists.router import CatalogDep
from app.checklists.schema import SEMVER_PATTERN
from app.db import SessionDep
from app.errors import Forbidden, Invalid
from app.openapi_answers import response_headers
from app.pagination import Page, PageDep
from app.planning.service import planning_status
from app.programs import bulk, local_items, service, upgrade
from app.programs import projection as projection_service
from app.programs import readiness as readiness_service
from app.programs.access import PROGRAM_MANAGERS, item_for_change, program_for
from app.programs.bulk import BulkEdit, BulkResult
from app.programs.schemas import (
    InstitutionCreate,
    InstitutionRead,
    InstitutionUpdate,
    ItemFilters,
    ItemRead,
    ItemUpdate,
    LibraryDiff,
    LocalItemCreate,
    LocalItemRetire,
    LocalItemUpdate,
    ProgramCreate,
    ProgramRead,
    Projection,
    Readiness,
    TargetUpdate,
    UpgradeRequest,
)
from app.text import ItemKey

router = APIRouter(prefix="/api", tags=["programs"])


def etag(item: ItemRead) -> str:
    return f'"{item.version}"'


def json_response(model: BaseModel, headers: dict[str, str] | None = None) -> Response:
    """Serialise once: the model is already validated, so skip FastAPI's second pass on hot endpoints."""
    return Response(model.model_dump_json(), media_type="application/json", headers=headers)


IF_MATCH = r'^(W/)?"?[0-9]+"?$'  # ASCII digits: str.isdigit() also takes "²", which int() refused with a 500


def parse_if_match(
    if_match: Annotated[
        str | None,
        Header(alias="If-Match", description='The item\'s ETag, e.g. "3"', json_schema_extra={"pattern": IF_MATCH}),
    ] = None,
) -> int | None:
    """The item version a client based its change on, from `If-Match: "7"` (weak tags accepted)."""
    if if_match is None:
        return None
    if re.fullmatch(IF_MATCH, if_match.strip()) is None:
        raise Invalid("expected the item's ETag, e.g. \"3\"", field="If-Match", location="header")
    return int(if_match.strip().removeprefix("W/").strip('"'))


@router.post(
    "/institutions", status_code=status.HTTP_201_CREATED, response_model=InstitutionRead,
    responses={409: {"description": "An institution of that name exists"}},
)
def create_institution(body: InstitutionCreate, user: CurrentUser, session: SessionDep) -> InstitutionRead:
    """Site set-up: only a superuser creates institutions (and then grants their administrators)."""
    if not user.is_superuser:
        raise Forbidden("only a site superuser can create institutions")
    return InstitutionRead.model_validate(service.create_institution(session, body.name))


@router.get("/institutions", response_model=Page[InstitutionRead])
def list_institutions(user: CurrentUser, session: SessionDep, page: PageDep) -> Page[InstitutionRead]:
    rows, total = service.list_institutions(session, page, institution_ids_of(session, user))
    return Page(items=[InstitutionRead.model_validate(r) for r in rows], total=total, **page.model_dump())


@router.get("/institutions/{institution_id}", response_model=InstitutionRead)
def read_institution(institution_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> InstitutionRead:
    require_member(session, user, institution_id, what="institution")
    return InstitutionRead.model_validate(service.get_institution(session, institution_id))


@router.patch("/institutions/{institution_id}", response_model=InstitutionRead,
              responses={403: {"description": "Only administrators change the institution's settings"}})
def update_institution(
    institution_id: uuid.UUID, body: InstitutionUpdate, user: CurrentUser, session: SessionDep
) -> InstitutionRead:
    """Change the institution's settings (administrators): its `time_zone`, an IANA name such as America/New_York
    that pages, exports, reports and emails show times in (the API keeps answering UTC, ISO 8601)."""
    require_member(session, user, institution_id, [Role.ADMINISTRATOR], what="institution")
    institution = service.get_institution(session, institution_id)
    return InstitutionRead.model_validate(service.update_institution(session, user, institution,
                                                                     time_zone=body.time_zone))


@router.post(
    "/institutions/{institution_id}/programs", status_code=status.HTTP_201_CREATED, response_model=ProgramRead
)
def create_program(
    institution_id: uuid.UUID, body: ProgramCreate, user: CurrentUser, session: SessionDep, catalog: CatalogDep
) -> ProgramRead:
    require_member(session, user, institution_id, PROGRAM_MANAGERS, what="institution")
    program = service.create_program(session, catalog, institution_id, body, actor=user)
    return ProgramRead.model_validate(program).model_copy(
        update={"warnings": service.program_warnings(catalog, program)}
    )


@router.get("/institutions/{institution_id}/programs", response_model=Page[ProgramRead])
def list_programs(
    institution_id: uuid.UUID, user: CurrentUser, session: SessionDep, page: PageDep
) -> Page[ProgramRead]:
    require_member(session, user, institution_id, what="institution")
    rows, total = service.list_programs(session, institution_id, page)
    return Page(items=[ProgramRead.model_validate(r) for r in rows], total=total, **page.model_dump())


@router.get("/programs/{program_id}", response_model=ProgramRead)
def read_program(program_id: uuid.UUID, user: CurrentUser, session: SessionDep, catalog: CatalogDep) -> ProgramRead:
    program = program_for(session, user, program_id)
    return ProgramRead.model_validate(program).model_copy(
        update={"warnings": service.program_warnings(catalog, program)}
    )


@router.get("/programs/{program_id}/items", response_model=Page[ItemRead])
def list_items(
    program_id: uuid.UUID,
    user: CurrentUser,
    session: SessionDep,
    page: PageDep,
    filters: Annotated[ItemFilters, Query()],
) -> Response:
    program_for(session, user, program_id)
    items, total = service.list_items(session, program_id, filters, page)
    return json_response(Page[ItemRead](items=items, total=total, **page.model_dump()))


@router.get("/programs/{program_id}/items/{key}", response_model=ItemRead,
            responses={200: {"headers": response_headers("ETag")}})
def read_item(program_id: uuid.UUID, key: ItemKey, user: CurrentUser, session: SessionDep) -> Response:
    program_for(session, user, program_id)
    item = service.read_item(session, program_id, key)
    return json_response(item, {"ETag": etag(item)})


@router.patch(
    "/programs/{program_id}/items/{key}",
    response_model=ItemRead,
    responses={
        200: {"headers": response_headers("ETag")},
        409: {"description": "Stale version or a transition the item's state forbids"},
    },
)
def update_item(
    program_id: uuid.UUID,
    key: ItemKey,
    body: ItemUpdate,
    user: CurrentUser,
    session: SessionDep,
    expected_version: Annotated[int | None, Depends(parse_if_match)],
) -> Response:
    item_for_change(session, user, program_id, key)
    item, _ = service.update_item(session, program_id, key, body, expected_version, actor=user)
    return json_response(item, {"ETag": etag(item)})


@router.post(
    "/programs/{program_id}/items/bulk",
    response_model=BulkResult,
)
def bulk_edit_items(program_id: uuid.UUID, body: BulkEdit, user: CurrentUser, session: SessionDep) -> BulkResult:
    """Set owner, due date or status on many items; each row answers done, unchanged, refused (why) or conflict."""
    return bulk.bulk_edit(session, program_id, body, user)


@router.post(
    "/programs/{program_id}/local-items", status_code=status.HTTP_201_CREATED, response_model=ItemRead,
    responses={201: {"headers": response_headers("ETag")}},
)
def create_local_item(program_id: uuid.UUID, body: LocalItemCreate, user: CurrentUser, session: SessionDep) -> Response:
    """Champions and administrators add the program's own item (key LOC-001, LOC-002...), with every field a
    library item has; it counts in readiness and the gate like one."""
    program_for(session, user, program_id, PROGRAM_MANAGERS)
    item = local_items.create_local_item(session, program_id, body, actor=user)
    response = json_response(item, {"ETag": etag(item)})
    response.status_code = status.HTTP_201_CREATED
    return response


@router.patch(
    "/programs/{program_id}/local-items/{key}", response_model=ItemRead,
    responses={200: {"headers": response_headers("ETag")},
               409: {"description": "Stale version, or the item is retired"}},
)
def update_local_item(
    program_id: uuid.UUID, key: ItemKey, body: LocalItemUpdate, user: CurrentUser, session: SessionDep,
    expected_version: Annotated[int | None, Depends(parse_if_match)],
) -> Response:
    """Change a local item's definition (only the fields sent). A signed-off item returns to done."""
    program_for(session, user, program_id, PROGRAM_MANAGERS)
    item = local_items.update_local_item(session, program_id, key, body, expected_version, actor=user)
    return json_response(item, {"ETag": etag(item)})


@router.post(
    "/programs/{program_id}/local-items/{key}/retire", response_model=ItemRead,
    responses={200: {"headers": response_headers("ETag")},
               409: {"description": "Already retired, stale version, or current items depend on it"}},
)
def retire_local_item(
    program_id: uuid.UUID, key: ItemKey, body: LocalItemRetire, user: CurrentUser, session: SessionDep,
    expected_version: Annotated[int | None, Depends(parse_if_match)],
) -> Response:
    """Retire a local item: it stops counting, keeps its history, and its key is never reused."""
    program_for(session, user, program_id, PROGRAM_MANAGERS)
    version = expected_version if expected_version is not None else body.version
    item = local_items.retire_local_item(session, program_id, key, body.reason, version, actor=user)
    return json_response(item, {"ETag": etag(item)})


@router.get("/programs/{program_id}/readiness", response_model=Readiness)
def read_readiness(program_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> Response:
    """Readiness per area and overall, the gate, and what the planning models say about payer risk and
    follow-up capacity."""
    program_for(session, user, program_id)
    summary = readiness_service.readiness(session, program_id)
    summary.planning = planning_status(session, program_id).model_dump()
    return json_response(summary)


@router.get("/programs/{program_id}/projection", response_model=Projection)
def read_projection(program_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> Response:
    """When the first-patient gate is projected to open, the critical path that sets it, each open item's slack,
    and the slip past the program's target; recomputed on every read."""
    program = program_for(session, user, program_id)
    return json_response(projection_service.first_patient_projection(session, program))


@router.put("/programs/{program_id}/target", response_model=ProgramRead)
def set_target(
    program_id: uuid.UUID, body: TargetUpdate, user: CurrentUser, session: SessionDep, catalog: CatalogDep
) -> ProgramRead:
    """Champions (and administrators) set the first-patient target date the projection is measured against."""
    program = program_for(session, user, program_id, PROGRAM_MANAGERS)
    program = projection_service.set_first_patient_target(session, program, body.first_patient_target, actor=user)
    return ProgramRead.model_validate(program).model_copy(
        update={"warnings": service.program_warnings(catalog, program)}
    )


@router.get("/programs/{program_id}/library-diff", response_model=LibraryDiff)
def read_library_diff(
    program_id: uuid.UUID, to_version: Annotated[str, Query(pattern=SEMVER_PATTERN)], user: CurrentUser,
    session: SessionDep, catalog: CatalogDep,
) -> LibraryDiff:
    program_for(session, user, program_id)
    return upgrade.library_diff(session, catalog, program_id, to_version)


@router.post("/programs/{program_id}/library-upgrade", response_model=LibraryDiff)
def upgrade_library(
    program_id: uuid.UUID, body: UpgradeRequest, user: CurrentUser, session: SessionDep, catalog: CatalogDep
) -> LibraryDiff:
    program_for(session, user, program_id, PROGRAM_MANAGERS)
    return upgrade.upgrade_program(session, catalog, program_id, body.to_version, actor=user)
