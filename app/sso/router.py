"""Single sign-on API: an institution's mapping to the provider, and signing grants for people who sign in
through it."""

import uuid

from fastapi import APIRouter, Request, status

from app.auth.deps import CurrentUser
from app.auth.permissions import require_member
from app.auth.roles import Role
from app.db import SessionDep
from app.programs.service import get_institution
from app.sso import service
from app.sso.oidc import SsoFailure
from app.sso.schemas import SigningGrantRead, SsoConfig

router = APIRouter(prefix="/api", tags=["single sign-on"])


@router.get("/institutions/{institution_id}/sso", response_model=SsoConfig)
def read_sso(institution_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> SsoConfig:
    """How the provider's people map to this institution: email domains or claims, and groups to roles."""
    require_member(session, user, institution_id, [Role.ADMINISTRATOR], what="institution")
    get_institution(session, institution_id)
    return service.sso_config(session, institution_id)


@router.put("/institutions/{institution_id}/sso", response_model=SsoConfig,
            responses={409: {"description": "An email domain another institution already uses"}})
def replace_sso(institution_id: uuid.UUID, body: SsoConfig, user: CurrentUser, session: SessionDep) -> SsoConfig:
    """Replace the institution's rules and group-to-role mappings (administrators); audited."""
    require_member(session, user, institution_id, [Role.ADMINISTRATOR], what="institution")
    get_institution(session, institution_id)
    return service.set_sso_config(session, user, institution_id, body)


@router.post(
    "/sso/signing-grants", status_code=status.HTTP_201_CREATED, response_model=SigningGrantRead,
    responses={404: {"description": "Single sign-on is not configured"},
               409: {"description": "The caller signs with a password"},
               502: {"description": "The provider cannot be reached"}},
)
def create_signing_grant(request: Request, user: CurrentUser, session: SessionDep) -> SigningGrantRead:
    """For people who sign in with SSO: a grant to sign one item. Open `url`, sign in again at the provider,
    then send `signing_grant` in the sign-off body (within 5 minutes, once) instead of a password."""
    try:
        grant, plain, url = service.start_signing(session, request.app.state.settings, user,
                                                  next_path="/auth/sso/confirmed")
    except SsoFailure as failure:
        service.log_failure(failure)
        raise
    return SigningGrantRead(signing_grant=plain, url=url, created_at=grant.created_at,
                            expires_in=service.grant_lifetime_seconds())
