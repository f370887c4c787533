"""Sign items off and revoke signatures; read the sign-off register."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, status

from app.auth.deps import CurrentUser
from app.db import SessionDep
from app.programs.access import program_for
from app.programs.router import parse_if_match
from app.programs.service import get_item
from app.signoffs import service
from app.signoffs.eligibility import sign_off_eligibility
from app.signoffs.schemas import (
    RevocationCreate,
    SignerRead,
    SignersRead,
    SignOffCreate,
    SignOffEligibilityRead,
    SignOffRead,
)
from app.text import ItemKey

router = APIRouter(prefix="/api", tags=["sign-off"])


@router.post(
    "/programs/{program_id}/items/{key}/signoffs",
    status_code=status.HTTP_201_CREATED,
    response_model=SignOffRead,
    responses={
        401: {"description": "Wrong password or two-factor code"},
        403: {"description": "The caller does not hold the item's sign-off role, is a service account, or must "
                             "turn on two-factor authentication first"},
        409: {"description": "Stale version, item not done, unsigned dependencies or missing evidence"},
    },
)
def sign_off(
    program_id: uuid.UUID,
    key: ItemKey,
    body: SignOffCreate,
    user: CurrentUser,
    session: SessionDep,
    if_match: Annotated[int | None, Depends(parse_if_match)],
) -> SignOffRead:
    """Electronically sign an item off: re-enter your password and say what your signature means."""
    program = program_for(session, user, program_id)
    signoff = service.sign_off_item(
        session, user, program, key, password=body.password, totp_code=body.totp_code, meaning=body.meaning,
        statement=body.statement,
        expected_version=if_match if if_match is not None else body.version,
        signing_grant=body.signing_grant,
        step=body.step, committee=body.committee, meeting_date=body.meeting_date,
    )
    return service.signoff_record(session, signoff)


@router.get("/programs/{program_id}/items/{key}/signoff-eligibility", response_model=SignOffEligibilityRead)
def signoff_eligibility(
    program_id: uuid.UUID, key: ItemKey, user: CurrentUser, session: SessionDep
) -> SignOffEligibilityRead:
    """Whether you may sign the item (or its next approval chain step) now, why not in words, and who may."""
    program = program_for(session, user, program_id)
    found = sign_off_eligibility(session, user, program, get_item(session, program.id, key))
    signers = found.signers
    return SignOffEligibilityRead(
        allowed=found.allowed, reasons=found.reasons, blockers=[b.reason for b in found.blockers],
        signers=SignersRead(
            label=signers.label, role=signers.role, committee=signers.committee, step=signers.step,
            steps=signers.steps, people=[SignerRead(id=i, full_name=n) for i, n in signers.people],
        ) if signers else None,
    )


@router.post(
    "/signoffs/{signoff_id}/revocation", response_model=SignOffRead,
    responses={409: {"description": "Already revoked, or the item changed meanwhile"}},
)
def revoke(signoff_id: uuid.UUID, body: RevocationCreate, user: CurrentUser, session: SessionDep) -> SignOffRead:
    """Revoke a signature (its signer or a champion), with a reason. The item returns to done."""
    signoff = service.revoke_signoff(session, user, signoff_id, body.reason)
    return service.signoff_record(session, signoff)


@router.get("/programs/{program_id}/signoffs", response_model=list[SignOffRead])
def register(
    program_id: uuid.UUID, user: CurrentUser, session: SessionDep, item: ItemKey | None = None
) -> list[SignOffRead]:
    """The sign-off register: every signature and revocation, newest first."""
    program_for(session, user, program_id)
    return service.signoff_records(session, program_id, item)
