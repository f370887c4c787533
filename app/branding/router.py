"""Institution branding over HTTP: administrators of the institution only."""

import uuid
from typing import Annotated

from fastapi import APIRouter, File, Response, UploadFile, status
from sqlmodel import Session

from app.auth.deps import CurrentUser
from app.auth.models import User
from app.auth.permissions import require_member
from app.auth.roles import Role
from app.branding import service
from app.branding.logo import MAX_LOGO_BYTES
from app.branding.schemas import BrandingRead, BrandingUpdate
from app.db import SessionDep
from app.programs.service import get_institution

router = APIRouter(prefix="/api", tags=["branding"])


def _administered(session: Session, user: User, institution_id: uuid.UUID) -> uuid.UUID:
    require_member(session, user, institution_id, [Role.ADMINISTRATOR], what="institution")
    return get_institution(session, institution_id).id


@router.get("/institutions/{institution_id}/branding", response_model=BrandingRead)
def read_branding(institution_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> BrandingRead:
    """The name line, colours and logo facts reports of this institution are branded with."""
    return service.branding_read(session, _administered(session, user, institution_id))


@router.put("/institutions/{institution_id}/branding", response_model=BrandingRead)
def update_branding(
    institution_id: uuid.UUID, body: BrandingUpdate, user: CurrentUser, session: SessionDep
) -> BrandingRead:
    """Set the name line and the primary and accent colours (#rrggbb)."""
    return service.update_branding(session, user, _administered(session, user, institution_id), body)


@router.put(
    "/institutions/{institution_id}/branding/logo", response_model=BrandingRead,
    responses={413: {"description": "Logo over 512 KB"}, 415: {"description": "Not a PNG or JPEG image"}},
)
def upload_logo(
    institution_id: uuid.UUID, user: CurrentUser, session: SessionDep,
    file: Annotated[UploadFile, File(description="PNG or JPEG, at most 512 KB and 2000x2000 pixels")],
) -> BrandingRead:
    """Set the logo: checked by content, re-encoded to PNG (nothing but the pixels is kept)."""
    institution = _administered(session, user, institution_id)
    return service.set_logo(session, user, institution, file.file.read(MAX_LOGO_BYTES + 1))


@router.delete("/institutions/{institution_id}/branding/logo", status_code=status.HTTP_204_NO_CONTENT)
def delete_logo(institution_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> Response:
    """Remove the logo; reports generated from now on carry none (earlier ones keep theirs)."""
    service.delete_logo(session, user, _administered(session, user, institution_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
