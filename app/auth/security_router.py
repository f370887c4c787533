"""Service accounts, their OAuth 2.0 token endpoint, and an institution's security settings."""

import base64
import binascii
import uuid
from typing import Annotated
from urllib.parse import unquote_plus

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import JSONResponse

from app.auth import mfa, service_accounts
from app.auth.deps import CurrentUser
from app.auth.permissions import require_member
from app.auth.roles import Role
from app.auth.security_schemas import (
    AccessTokenResponse,
    InstitutionSecurityRead,
    InstitutionSecurityUpdate,
    OAuthErrorBody,
    ServiceAccountCreate,
    ServiceAccountCreated,
    ServiceAccountRead,
)
from app.auth.service_accounts import OAuthError
from app.db import SessionDep
from app.programs.service import get_institution

router = APIRouter(prefix="/api", tags=["accounts"])

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
FormText = Annotated[str | None, Form(max_length=500)]


def _oauth_error(error: OAuthError) -> JSONResponse:
    headers = dict(NO_STORE)
    if error.status_code == status.HTTP_401_UNAUTHORIZED:
        headers["WWW-Authenticate"] = 'Basic realm="gtready"'
    body = OAuthErrorBody(error=error.error, error_description=error.description)
    return JSONResponse(body.model_dump(), status_code=error.status_code, headers=headers)


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    """Client id and secret from HTTP Basic (RFC 6749 section 2.3.1: form-encoded, then base64)."""
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError) as error:
        raise OAuthError("invalid_client", "the Basic authorization header cannot be read", 401) from error
    client_id, _, secret = decoded.partition(":")
    return unquote_plus(client_id), unquote_plus(secret)


@router.post(
    "/oauth/token", response_model=AccessTokenResponse,
    responses={400: {"model": OAuthErrorBody, "description": "invalid_request or unsupported_grant_type"},
               401: {"model": OAuthErrorBody, "description": "invalid_client: unknown client, wrong secret, "
                                                             "or revoked"}},
)
def oauth_token(
    request: Request, session: SessionDep, grant_type: FormText = None, client_id: FormText = None,
    client_secret: FormText = None,
) -> JSONResponse:
    """The OAuth 2.0 client-credentials grant (RFC 6749 section 4.4) for service accounts: form-encoded
    `grant_type=client_credentials`, with `client_id` and `client_secret` in the form or as HTTP Basic. The
    token is a bearer token for the API, valid for `expires_in` seconds."""
    try:
        basic = _basic_credentials(request)
        if basic is not None and (client_id or client_secret):
            raise OAuthError("invalid_request", "send the client credentials one way: the form or HTTP Basic")
        cid, secret = basic or (client_id, client_secret)
        if not grant_type:
            raise OAuthError("invalid_request", "grant_type is missing")
        if grant_type != "client_credentials":
            raise OAuthError("unsupported_grant_type", "only grant_type=client_credentials is supported")
        if not cid or not secret:
            raise OAuthError("invalid_request", "client_id and client_secret are required")
        if "\x00" in cid or "\x00" in secret:
            raise OAuthError("invalid_request", "client_id and client_secret cannot contain NUL characters")
        token, expires_in = service_accounts.issue_token(session, cid, secret)
    except OAuthError as error:
        return _oauth_error(error)
    body = AccessTokenResponse(access_token=token, expires_in=expires_in)
    return JSONResponse(body.model_dump(), headers=NO_STORE)


@router.get("/institutions/{institution_id}/service-accounts", response_model=list[ServiceAccountRead],
            responses={403: {"description": "Only administrators see service accounts"}})
def list_service_accounts(
    institution_id: uuid.UUID, user: CurrentUser, session: SessionDep
) -> list[ServiceAccountRead]:
    require_member(session, user, institution_id, [Role.ADMINISTRATOR], what="institution")
    accounts = service_accounts.service_accounts_of(session, institution_id)
    return [ServiceAccountRead.model_validate(a) for a in accounts]


@router.post("/institutions/{institution_id}/service-accounts", status_code=status.HTTP_201_CREATED,
             response_model=ServiceAccountCreated)
def create_service_account(
    institution_id: uuid.UUID, body: ServiceAccountCreate, user: CurrentUser, session: SessionDep
) -> ServiceAccountCreated:
    """A service account for an integration (administrators). The client secret is shown this once."""
    require_member(session, user, institution_id, [Role.ADMINISTRATOR], what="institution")
    get_institution(session, institution_id)
    account, secret = service_accounts.create_service_account(session, user, institution_id, body.name, body.access)
    return ServiceAccountCreated(**ServiceAccountRead.model_validate(account).model_dump(), client_secret=secret)


@router.delete("/institutions/{institution_id}/service-accounts/{service_account_id}",
               response_model=ServiceAccountRead, responses={409: {"description": "Already revoked"}})
def revoke_service_account(
    institution_id: uuid.UUID, service_account_id: uuid.UUID, user: CurrentUser, session: SessionDep
) -> ServiceAccountRead:
    """Revoke a service account (administrators): its tokens stop working at once."""
    require_member(session, user, institution_id, [Role.ADMINISTRATOR], what="institution")
    account = service_accounts.get_service_account(session, institution_id, service_account_id)
    return ServiceAccountRead.model_validate(service_accounts.revoke_service_account(session, user, account))


@router.get("/institutions/{institution_id}/security", response_model=InstitutionSecurityRead,
            responses={403: {"description": "Only administrators see the security settings"}})
def read_security(institution_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> InstitutionSecurityRead:
    require_member(session, user, institution_id, [Role.ADMINISTRATOR], what="institution")
    return InstitutionSecurityRead(require_mfa_for=mfa.required_roles(session, institution_id))


@router.put("/institutions/{institution_id}/security", response_model=InstitutionSecurityRead)
def update_security(
    institution_id: uuid.UUID, body: InstitutionSecurityUpdate, user: CurrentUser, session: SessionDep
) -> InstitutionSecurityRead:
    """Require two-factor authentication for some roles (administrators): holders without it are sent to enrol
    at login and cannot sign until they do."""
    require_member(session, user, institution_id, [Role.ADMINISTRATOR], what="institution")
    get_institution(session, institution_id)
    return InstitutionSecurityRead(require_mfa_for=mfa.set_required_roles(session, user, institution_id,
                                                                          body.require_mfa_for))
