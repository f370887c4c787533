"""The institution-wide capacity view over HTTP: any member of the institution may read it."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from app.auth.deps import CurrentUser
from app.auth.permissions import require_member
from app.capacity.schemas import InstitutionCapacity
from app.capacity.service import institution_capacity
from app.db import SessionDep
from app.followup.schemas import ResourceKind

router = APIRouter(prefix="/api", tags=["capacity"])
Capacity = Annotated[int | None, Query(ge=0, le=1_000_000, description="capacity per plan year; default: as the "
                                                                       "latest scenario states it")]


@router.get("/institutions/{institution_id}/capacity", response_model=InstitutionCapacity)
def read_capacity(
    institution_id: uuid.UUID, user: CurrentUser, session: SessionDep,
    clinic_visits: Capacity = None, infusion_chairs: Capacity = None,
    apheresis_slots: Capacity = None, transplant_beds: Capacity = None,
) -> InstitutionCapacity:
    """Every program's demand for shared resources per plan year against one institution capacity."""
    require_member(session, user, institution_id, what="institution")
    given = {kind: float(value) for kind, value in (
        (ResourceKind.CLINIC_VISITS, clinic_visits), (ResourceKind.INFUSION_CHAIRS, infusion_chairs),
        (ResourceKind.APHERESIS_SLOTS, apheresis_slots), (ResourceKind.TRANSPLANT_BEDS, transplant_beds),
    ) if value is not None}
    return institution_capacity(session, institution_id, given)
