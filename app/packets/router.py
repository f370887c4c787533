"""Committee packet definitions over HTTP: which kinds exist, and an institution's adapted definitions.

Packets themselves are generated through the report routes (POST /api/programs/{id}/reports with a packet kind)."""

import uuid

from fastapi import APIRouter

from app.auth.deps import CurrentUser
from app.auth.service import institution_ids_of
from app.checklists.router import CatalogDep
from app.db import SessionDep
from app.packets import service
from app.packets.schema import PacketKind
from app.packets.schemas import PacketDefinitionRead, PacketDefinitionUpload, PacketKindRead

router = APIRouter(prefix="/api", tags=["packets"])


@router.get("/packet-kinds", response_model=list[PacketKindRead])
def packet_kinds(user: CurrentUser, session: SessionDep) -> list[PacketKindRead]:
    """The packaged packet definitions, then the newest adapted one of each kind in the caller's institutions."""
    ids = institution_ids_of(session, user)
    return service.visible_kinds(session, ids)


@router.get("/institutions/{institution_id}/packets/{packet_kind}", response_model=PacketDefinitionRead)
def read_definition(
    institution_id: uuid.UUID, packet_kind: PacketKind, user: CurrentUser, session: SessionDep
) -> PacketDefinitionRead:
    """The definition in force for the institution's packets of this kind, as YAML (any member)."""
    return service.definition_read(session, user, institution_id, packet_kind.value)


@router.put(
    "/institutions/{institution_id}/packets/{packet_kind}", response_model=PacketDefinitionRead,
    responses={422: {"description": "The YAML is invalid: each problem named with its line and field"}},
)
def save_definition(
    institution_id: uuid.UUID, packet_kind: PacketKind, body: PacketDefinitionUpload, user: CurrentUser,
    session: SessionDep, catalog: CatalogDep,
) -> PacketDefinitionRead:
    """Store an adapted definition (administrators and champions); it is used for the institution's next packets."""
    return service.save_definition(session, catalog, user, institution_id, packet_kind.value, body.yaml)
