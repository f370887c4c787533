"""Second factor: TOTP (RFC 6238) with single-use recovery codes, asked at login and at signing, and an
institution's rule that some roles must use it.

A code is checked against the 30-second steps just before, at and after now (clock drift), and the step it
matched is stored: a code of that step or an earlier one is refused, so a code seen over a shoulder or in a log
cannot be used again. Every check goes through the login throttle under the person's email, like a password.
The TOTP secret is kept in the database as is and never shown again after enrolment (docs/security.md says why).
"""

import hmac
import secrets
import uuid
from collections.abc import Iterable
from datetime import timedelta

import pyotp
import segno
from argon2 import PasswordHasher
from sqlalchemy import delete, or_, select, update
from sqlmodel import Session, col

from app.audit.service import record_event
from app.auth.models import Membership, User
from app.auth.roles import Role
from app.auth.secrets import new_token, token_hash, verify_password
from app.auth.security_models import InstitutionSecurity, MfaPendingLogin, MfaRecoveryCode, UserMfa
from app.auth.service import check_password
from app.auth.service_accounts import is_service_account
from app.auth.throttle import failed, remembered_client, reserve_attempt, succeeded
from app.clock import utcnow
from app.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized

ISSUER = "gtready"
STEP_SECONDS = 30
DRIFT_STEPS = 1
RECOVERY_CODES = 10
PENDING_LIFETIME = timedelta(minutes=10)
PENDING_MAX_FAILURES = 5  # then the password must be entered again
MFA_ROLES = (Role.ADMINISTRATOR, Role.CHAMPION)  # the roles an institution may require it for, in the pages
# Recovery codes are random (48 bits), not chosen by people: argon2 guards them at a lighter cost than passwords,
# so ten are made and checked in well under a second. verify_password reads the cost from each hash.
_recovery_hasher = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
RECOVERY_HEX = 12
WRONG_CODE = "the code is incorrect or has expired"
REPLAYED_CODE = "this code was already used; wait for the next one in your app"


def mfa_record(session: Session, user: User) -> UserMfa | None:
    return session.get(UserMfa, user.id)


def mfa_enabled(session: Session, user: User) -> bool:
    record = mfa_record(session, user)
    return record is not None and record.enabled_at is not None


def _step() -> int:
    return int(utcnow().timestamp()) // STEP_SECONDS


def _normalise(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_data_uri(uri: str) -> str:
    """The enrolment QR code as an SVG data URI, drawn here (no outside service sees the secret)."""
    return str(segno.make(uri, error="m").svg_data_uri(scale=5, border=2))


def start_enrolment(session: Session, user: User) -> UserMfa:
    """A new secret waiting for its first code (any earlier unconfirmed one is replaced)."""
    if is_service_account(session, user):
        raise Forbidden("service accounts do not use two-factor codes")
    record = mfa_record(session, user)
    if record is not None and record.enabled_at is not None:
        raise Conflict("two-factor authentication is already on; turn it off first to enrol another app")
    if record is None:
        record = UserMfa(user_id=user.id, secret=pyotp.random_base32())
    else:
        record.secret, record.created_at, record.last_used_step = pyotp.random_base32(), utcnow(), None
    session.add(record)
    session.commit()
    return record


def _matching_step(secret: str, code: str) -> int | None:
    if not (len(code) == 6 and code.isdigit()):
        return None
    totp, now = pyotp.TOTP(secret), _step()
    for step in range(now - DRIFT_STEPS, now + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _claim_step(session: Session, user_id: uuid.UUID, step: int) -> bool:
    """Record the step as used; False when it (or a later one) was used already. Atomic on both databases."""
    claimed = session.execute(
        update(UserMfa).where(
            col(UserMfa.user_id) == user_id,
            or_(col(UserMfa.last_used_step).is_(None), col(UserMfa.last_used_step) < step),
        ).values(last_used_step=step)
    ).rowcount  # type: ignore[attr-defined]
    return bool(claimed == 1)


def _new_recovery_codes(session: Session, user: User) -> list[str]:
    session.execute(delete(MfaRecoveryCode).where(col(MfaRecoveryCode.user_id) == user.id))
    codes = [secrets.token_hex(RECOVERY_HEX // 2) for _ in range(RECOVERY_CODES)]
    session.add_all(MfaRecoveryCode(user_id=user.id, code_hash=_recovery_hasher.hash(c)) for c in codes)
    return ["-".join(c[i:i + 4] for i in range(0, RECOVERY_HEX, 4)) for c in codes]


def confirm_enrolment(session: Session, user: User, code: str) -> list[str]:
    """Turn TOTP on with the first valid code from the app; returns the recovery codes (shown this once)."""
    record = mfa_record(session, user)
    if record is None or record.enabled_at is not None:
        raise Conflict("there is no enrolment waiting for a code; start again from My account")
    step = _matching_step(record.secret, _normalise(code))
    if step is None or not _claim_step(session, user.id, step):
        session.rollback()
        raise Invalid(WRONG_CODE + "; check the time on your phone and enter the code shown now", field="code")
    record.enabled_at = utcnow()
    session.add(record)
    codes = _new_recovery_codes(session, user)
    record_event(session, user, "mfa.enabled", entity="user", entity_key=user.email,
                 after={"method": "totp", "recovery_codes": RECOVERY_CODES})
    session.commit()
    return codes


def _use_recovery_code(session: Session, user: User, code: str) -> bool:
    unused = session.scalars(select(MfaRecoveryCode).where(
        col(MfaRecoveryCode.user_id) == user.id, col(MfaRecoveryCode.used_at).is_(None))).all()
    for row in unused:
        if verify_password(row.code_hash, code):
            spent = session.execute(
                update(MfaRecoveryCode).where(col(MfaRecoveryCode.id) == row.id, col(MfaRecoveryCode.used_at).is_(None))
                .values(used_at=utcnow())
            ).rowcount  # type: ignore[attr-defined]
            if spent != 1:
                return False  # used at this very moment by another request
            left = len(unused) - 1
            record_event(session, user, "mfa.recovery_code_used", entity="user", entity_key=user.email,
                         after={"recovery_codes_left": left})
            return True
    return False


def verify_second_factor(session: Session, user: User, code: str, client: str | None = None, *,
                         via: str = "login") -> None:
    """Check a TOTP code (or a recovery code) of a person with TOTP on; throttled like a password and a wrong
    code audited. Commits."""
    record = mfa_record(session, user)
    if record is None or record.enabled_at is None:
        raise Conflict("two-factor authentication is not on for this account")
    attempt = reserve_attempt(session, user.email, client or remembered_client(session))
    plain = _normalise(code)
    replayed = False
    if len(plain) == 6 and plain.isdigit():
        step = _matching_step(record.secret, plain)
        ok = step is not None and _claim_step(session, user.id, step)
        replayed = step is not None and not ok
    else:
        ok = len(plain) == RECOVERY_HEX and _use_recovery_code(session, user, plain)
    if not ok:
        session.rollback()
        failed(session, attempt)
        record_event(session, user, "mfa.code_rejected", entity="user", entity_key=user.email,
                     after={"via": via, "client": attempt.client, "replayed": replayed})
        session.commit()
        raise Unauthorized(REPLAYED_CODE if replayed else WRONG_CODE, field="totp_code")
    succeeded(session, attempt)
    session.commit()


def disable_mfa(session: Session, user: User, password: str, code: str, client: str | None = None) -> None:
    """Turn TOTP off: needs the password and a current code (or a recovery code)."""
    check_password(session, user, password, client)
    verify_second_factor(session, user, code, client, via="disable")
    session.execute(delete(MfaRecoveryCode).where(col(MfaRecoveryCode.user_id) == user.id))
    session.execute(delete(UserMfa).where(col(UserMfa.user_id) == user.id))
    record_event(session, user, "mfa.disabled", entity="user", entity_key=user.email, after={"method": "totp"})
    session.commit()


def recovery_codes_left(session: Session, user: User) -> int:
    return len(session.scalars(select(col(MfaRecoveryCode.id)).where(
        col(MfaRecoveryCode.user_id) == user.id, col(MfaRecoveryCode.used_at).is_(None))).all())


# --- the institution's rule ---------------------------------------------------------------------------------

def required_roles(session: Session, institution_id: uuid.UUID) -> list[Role]:
    row = session.get(InstitutionSecurity, institution_id)
    return sorted(Role(r) for r in row.require_mfa_for) if row else []


def set_required_roles(
    session: Session, actor: User, institution_id: uuid.UUID, roles: Iterable[Role]
) -> list[Role]:
    """Which roles of the institution must use a second factor; audited."""
    chosen = sorted(set(roles))
    row = session.get(InstitutionSecurity, institution_id)
    before = sorted(row.require_mfa_for) if row else []
    if row is None:
        row = InstitutionSecurity(institution_id=institution_id)
    row.require_mfa_for, row.updated_at = [r.value for r in chosen], utcnow()
    session.add(row)
    record_event(session, actor, "institution.security_changed", entity="institution", entity_key=str(institution_id),
                 institution_id=institution_id, before={"require_mfa_for": before},
                 after={"require_mfa_for": row.require_mfa_for})
    session.commit()
    return chosen


def mfa_required_for(session: Session, user: User) -> bool:
    """Whether any institution requires a second factor for a role this person holds there."""
    rows = session.execute(
        select(col(Membership.role), col(InstitutionSecurity.require_mfa_for))
        .join(InstitutionSecurity, col(InstitutionSecurity.institution_id) == col(Membership.institution_id))
        .where(col(Membership.user_id) == user.id)
    ).all()
    return any(role in (required or []) for role, required in rows)


def must_enrol(session: Session, user: User) -> bool:
    return mfa_required_for(session, user) and not mfa_enabled(session, user)


# --- login in two steps, and signing ----------------------------------------------------------------------

def check_login_code(session: Session, user: User, code: str | None, client: str) -> None:
    """The API login's second factor, sent with the password (`totp_code`)."""
    if not mfa_enabled(session, user):
        return
    if not code:
        raise Unauthorized("this account uses two-factor authentication: send totp_code with the password",
                           field="totp_code", mfa_required=True)
    verify_second_factor(session, user, code, client, via="login")


def start_pending_login(session: Session, user: User, next_path: str) -> str:
    """The password was right and a code is due: a server-side record of the half-finished login."""
    plain = new_token()
    session.execute(delete(MfaPendingLogin).where(col(MfaPendingLogin.expires_at) < utcnow()))
    session.add(MfaPendingLogin(token_hash=token_hash(plain), user_id=user.id, next_path=next_path[:2000],
                                expires_at=utcnow() + PENDING_LIFETIME))
    session.commit()
    return plain


def pending_login(session: Session, plain: str) -> tuple[MfaPendingLogin, User] | None:
    row = session.execute(
        select(MfaPendingLogin, User).join(User, col(User.id) == col(MfaPendingLogin.user_id))
        .where(col(MfaPendingLogin.token_hash) == token_hash(plain), col(MfaPendingLogin.expires_at) > utcnow(),
               col(User.is_active))
    ).first()
    return (row[0], row[1]) if row else None


def finish_pending_login(session: Session, plain: str, code: str, client: str) -> tuple[User, str]:
    """The code for a half-finished login: the person and where they were going. Five wrong codes end it."""
    found = pending_login(session, plain)
    if found is None:
        raise NotFound("this login has expired; enter your email and password again")
    pending, user = found
    pending_id = pending.id
    try:
        verify_second_factor(session, user, code, client, via="login")
    except Unauthorized:
        session.execute(update(MfaPendingLogin).where(col(MfaPendingLogin.id) == pending_id)
                        .values(failures=col(MfaPendingLogin.failures) + 1))
        session.execute(delete(MfaPendingLogin).where(col(MfaPendingLogin.id) == pending_id,
                                                      col(MfaPendingLogin.failures) >= PENDING_MAX_FAILURES))
        session.commit()
        raise
    next_path = pending.next_path
    session.execute(delete(MfaPendingLogin).where(col(MfaPendingLogin.id) == pending_id))
    session.commit()
    return user, next_path


def check_may_sign(session: Session, signer: User) -> None:
    """Before the password is asked: service accounts never sign, and a person whose institution requires a
    second factor signs only once it is on."""
    if is_service_account(session, signer):
        raise Forbidden("service accounts cannot sign: an electronic signature needs a person",
                        reason="service_account")
    if must_enrol(session, signer):
        raise Forbidden("your institution requires two-factor authentication for your role: turn it on in My "
                        "account before signing", reason="mfa_required")


def check_signing_code(session: Session, signer: User, code: str | None) -> None:
    """After the password, for a signer with TOTP on: the current code."""
    if not mfa_enabled(session, signer):
        return
    if not code:
        raise Unauthorized("enter the code from your authenticator app to sign", field="totp_code")
    verify_second_factor(session, signer, code, via="signature")
