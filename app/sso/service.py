"""Single sign-on: the round trips to the provider, signing people in (just-in-time accounts, roles synchronised
from directory groups), the institutions' mappings, and which local logins single sign-on forbids.

Role synchronisation: at every SSO sign-in, in each institution the person belongs to by a rule, the roles that
some directory group maps to in that institution follow the person's groups (granted or removed, audited).
Roles no group maps to (granted by hand in gtready) are left alone. The institution's last administrator role
is never removed by a sign-in: the removal is skipped and audited (`sso.last_administrator_kept`), so an
institution cannot lock itself out through a directory change; an administrator removes it by hand.
"""

import hmac
import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from app.audit.service import record_event
from app.auth.models import Membership, User
from app.auth.roles import Role
from app.auth.secrets import token_hash
from app.auth.service import add_roles, add_user, normalise_email, roles_in, start_session, user_with_email
from app.clock import utcnow
from app.config import Settings
from app.errors import Conflict, Forbidden
from app.programs.models import Institution
from app.sso import oidc
from app.sso.grants import GRANT_LIFETIME, new_grant
from app.sso.models import SsoGroupRole, SsoIdentity, SsoInstitutionRule, SsoPending, SsoSigningGrant
from app.sso.oidc import SsoFailure
from app.sso.schemas import GroupRole, InstitutionRule, SsoConfig

logger = logging.getLogger("gtready.sso")

PENDING_LIFETIME = timedelta(minutes=10)
REAUTH_WINDOW = timedelta(minutes=5)
LOGIN, SIGNATURE = "login", "signature"


def log_failure(failure: SsoFailure) -> None:
    """One JSON line a support person can read: what failed, the provider's error, the claims (no tokens)."""
    fields = {"event": "sso.failed", "reason": failure.reason, **failure.details}
    logger.warning("sso sign-in failed: %s", failure.reason, extra={"fields": fields})


def _not_configured(settings: Settings) -> None:
    if not settings.sso_enabled:
        raise SsoFailure("not_configured", "Single sign-on is not configured on this gtready "
                         "(GTREADY_OIDC_ISSUER and GTREADY_OIDC_CLIENT_ID).", status_code=404)


def _start(
    session: Session, settings: Settings, purpose: str, *, next_path: str = "/", user: User | None = None,
    grant_id: uuid.UUID | None = None, payload: dict[str, Any] | None = None, **extra: str,
) -> str:
    _not_configured(settings)
    provider = oidc.discover(settings)
    trip = oidc.new_round_trip()
    session.add(SsoPending(
        state_hash=token_hash(trip.state), nonce=trip.nonce, code_verifier=trip.code_verifier, purpose=purpose,
        next_path=next_path, user_id=user.id if user else None, grant_id=grant_id, payload=payload or {},
    ))
    # Old round trips nobody finished are of no use to anyone: swept whenever a new one starts.
    session.execute(delete(SsoPending).where(col(SsoPending.created_at) < utcnow() - PENDING_LIFETIME))
    session.commit()
    return oidc.authorization_url(settings, provider, trip, **extra)


def start_login(session: Session, settings: Settings, next_path: str) -> str:
    """The provider's URL for a sign-in that comes back to `next_path`."""
    return _start(session, settings, LOGIN, next_path=next_path)


def start_signing(
    session: Session, settings: Settings, user: User, payload: dict[str, Any] | None = None, next_path: str = "/",
) -> tuple[SsoSigningGrant, str, str]:
    """A signing grant and the provider's URL where the person signs in again (prompt=login, max_age=0)."""
    _not_configured(settings)
    if session.get(SsoIdentity, user.id) is None:
        raise Conflict("you sign in with a password: sign with your password instead of a signing grant")
    grant, plain = new_grant(session, user)
    if payload is not None:  # a web signature: the plain grant rides in the pending row, deleted on return
        payload = payload | {"grant": plain}
    url = _start(session, settings, SIGNATURE, next_path=next_path, user=user, grant_id=grant.id,
                 payload=payload, prompt="login", max_age="0")
    return grant, plain, url


@dataclass(frozen=True)
class Finished:
    purpose: str
    user: User
    next_path: str
    payload: dict[str, Any]


def _take_pending(session: Session, state: str) -> SsoPending:
    pending = session.get(SsoPending, token_hash(state)) if state else None
    if pending is None:
        raise SsoFailure(
            "replayed",
            "This sign-in answer was already used, or does not belong to a sign-in started here (replayed or "
            "unknown state). Start again from the login page.")
    session.delete(pending)  # single use, whatever happens next
    session.commit()
    if utcnow() - pending.created_at > PENDING_LIFETIME:
        raise SsoFailure("expired_round_trip", "The sign-in took longer than 10 minutes at the provider. "
                         "Start again from the login page.")
    return pending


def finish(
    session: Session, settings: Settings, *, state: str, code: str, error: str = "", error_description: str = "",
    browser_state: str = "",
) -> Finished:
    """Complete a round trip the provider sent back: a signed-in person (login) or a confirmed signing grant.
    A login must come back to the browser that started it (`browser_state`, from its cookie): otherwise someone
    could send a victim their own callback link and sign the victim in as themselves (login CSRF)."""
    _not_configured(settings)
    pending = _take_pending(session, state)
    if pending.purpose == LOGIN and not hmac.compare_digest(browser_state.encode(), state.encode()):
        raise SsoFailure("other_browser", "This sign-in was started in another browser, or this browser refused "
                         "gtready's cookie. Start again from the login page in this browser.")
    if error:
        raise SsoFailure(
            "provider_error",
            f"The provider did not sign you in: {error}" + (f" ({error_description})" if error_description else "")
            + ".", details={"provider_error": error, "description": error_description})
    if not code:
        raise SsoFailure("provider_error", "The provider came back without an authorization code.")
    provider = oidc.discover(settings)
    id_token = oidc.exchange_code(settings, provider, code, pending.code_verifier)
    now = utcnow()
    claims = oidc.validate_id_token(settings, provider, id_token, pending.nonce, int(now.timestamp()))
    if pending.purpose == SIGNATURE:
        user = _confirm_signature(session, settings, pending, claims, provider.issuer)
    else:
        user = sign_in(session, settings, provider.issuer, claims)
    return Finished(pending.purpose, user, pending.next_path, pending.payload)


def _confirm_signature(
    session: Session, settings: Settings, pending: SsoPending, claims: dict[str, Any], issuer: str
) -> User:
    logged = oidc.loggable_claims(claims)
    user = session.get(User, pending.user_id) if pending.user_id else None
    identity = session.get(SsoIdentity, pending.user_id) if pending.user_id else None
    grant = session.get(SsoSigningGrant, pending.grant_id) if pending.grant_id else None
    if user is None or identity is None or grant is None:
        raise SsoFailure("replayed", "This signature request no longer exists. Start the signature again.")
    if identity.issuer != issuer or identity.subject != claims.get("sub"):
        raise SsoFailure("wrong_person", f"You signed in at the provider as someone other than {user.full_name}. "
                         "A signature must be confirmed by the signer.", details={"claims": logged})
    auth_time = claims.get("auth_time")
    now = utcnow().timestamp()
    if isinstance(auth_time, bool) or not isinstance(auth_time, int | float):
        raise SsoFailure("stale_authentication", "The provider did not say when you last entered your credentials "
                         "(no auth_time claim), so the signature cannot be confirmed.", details={"claims": logged})
    if auth_time > now + settings.oidc_leeway:
        raise SsoFailure("clock_skew", "The provider says you signed in in the future: the clocks of gtready's "
                         "server and the provider disagree (clock skew).", details={"claims": logged, "now": now})
    if now - auth_time > REAUTH_WINDOW.total_seconds():
        minutes = int((now - auth_time) // 60)
        raise SsoFailure(
            "stale_authentication",
            f"The provider says you last entered your credentials {minutes} minutes ago; a signature needs a "
            "sign-in within the last 5 minutes. Sign the item again; if this repeats, the provider is not "
            "honouring the request to sign in again (prompt=login, max_age=0).", details={"claims": logged})
    grant.authenticated_at = utcnow()
    session.add(grant)
    record_event(session, user, "sso.signature_reauthenticated", entity="user", entity_key=user.email,
                 after={"grant_id": str(grant.id), "auth_time": auth_time})
    session.commit()
    return user


# Signing people in -----------------------------------------------------------------------------------------------


def _claim_strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def matching_institutions(session: Session, email: str, claims: dict[str, Any]) -> list[uuid.UUID]:
    """The institutions whose rules the person meets: their email's domain, or a claim's value."""
    domain = email.rpartition("@")[2].lower()
    found: list[uuid.UUID] = []
    for rule in session.exec(select(SsoInstitutionRule)):
        if rule.email_domain is not None:
            hit = rule.email_domain == domain
        else:
            hit = rule.claim is not None and rule.value in _claim_strings(claims.get(rule.claim))
        if hit and rule.institution_id not in found:
            found.append(rule.institution_id)
    return found


def _mapped_roles(session: Session, institution_id: uuid.UUID, groups: list[str]) -> tuple[set[Role], set[Role]]:
    """(roles the person's groups give, every role some group maps to) in the institution."""
    rows = session.exec(select(SsoGroupRole).where(col(SsoGroupRole.institution_id) == institution_id)).all()
    return {Role(r.role) for r in rows if r.group in groups}, {Role(r.role) for r in rows}


def _administrators(session: Session, institution_id: uuid.UUID) -> int:
    query = select(func.count()).where(
        col(Membership.institution_id) == institution_id, col(Membership.role) == Role.ADMINISTRATOR.value)
    return session.scalar(query) or 0


def _sync_roles(session: Session, user: User, institution_id: uuid.UUID, wanted: set[Role], managed: set[Role]) -> None:
    held = roles_in(session, user, institution_id)
    add_roles(session, None, institution_id, user, sorted(wanted - held))
    for role in sorted((held & managed) - wanted):
        if role == Role.ADMINISTRATOR and _administrators(session, institution_id) <= 1:
            record_event(session, user, "sso.last_administrator_kept", entity="membership", entity_key=user.email,
                         institution_id=institution_id, after={"role": role.value})
            continue
        now_held = roles_in(session, user, institution_id)
        session.execute(delete(Membership).where(
            col(Membership.user_id) == user.id, col(Membership.institution_id) == institution_id,
            col(Membership.role) == role.value))
        record_event(session, None, "membership.role_revoked", entity="membership", entity_key=user.email,
                     institution_id=institution_id, before={"roles": sorted(now_held)},
                     after={"roles": sorted(now_held - {role}), "by": "sso", "reason": "directory group removed"})


def sign_in(session: Session, settings: Settings, issuer: str, claims: dict[str, Any]) -> User:
    """The person these claims describe: found by their provider subject (or email), created on first sign-in,
    their roles synchronised with their directory groups."""
    logged = oidc.loggable_claims(claims)
    email_value = claims.get(settings.oidc_email_claim)
    if not isinstance(email_value, str) or "@" not in email_value:
        raise SsoFailure("missing_email", f"The provider sent no email address in the {settings.oidc_email_claim!r} "
                         "claim (GTREADY_OIDC_EMAIL_CLAIM); ask IT to release it, or add the 'email' scope.",
                         details={"claims": logged})
    if claims.get("email_verified") is False:
        raise SsoFailure("unverified_email", "The provider says your email address is not verified, so gtready "
                         "cannot tell which account is yours. Verify it at the provider first.",
                         status_code=403, details={"claims": logged})
    email = normalise_email(email_value)[:254]
    groups = _claim_strings(claims.get(settings.oidc_groups_claim))
    institutions = matching_institutions(session, email, claims)
    if not institutions:
        raise SsoFailure(
            "unknown_institution",
            f"No institution in gtready accepts people from {email.rpartition('@')[2]} (nor any claim you carry). "
            "An administrator maps institutions to the provider in Administration, under Single sign-on.",
            status_code=403, details={"claims": logged})
    mapped = {i: _mapped_roles(session, i, groups) for i in institutions}
    subject = str(claims["sub"])
    identity = session.exec(select(SsoIdentity).where(
        col(SsoIdentity.issuer) == issuer, col(SsoIdentity.subject) == subject)).first()
    user = session.get(User, identity.user_id) if identity else user_with_email(session, email)
    if user is not None and user.is_superuser:
        raise SsoFailure("superuser", "The site superuser signs in with a password (break-glass account), "
                         "never through single sign-on.", status_code=403, details={"claims": logged})
    if user is not None and not user.is_active:
        raise SsoFailure("inactive", "Your gtready account is disabled; ask an administrator.", status_code=403)
    if user is None:
        if not any(wanted for wanted, _ in mapped.values()):
            raise _no_role(session, institutions, groups, logged)
        name = claims.get("name") if isinstance(claims.get("name"), str) else email
        user = add_user(session, email, str(name)[:200] or email)
        record_event(session, user, "user.created_by_sso", entity="user", entity_key=email,
                     after={"issuer": issuer, "subject": subject, "groups": groups})
    if identity is None:
        identity = session.get(SsoIdentity, user.id) or SsoIdentity(user_id=user.id, issuer=issuer, subject=subject)
        identity.issuer, identity.subject = issuer, subject
    identity.last_login_at = utcnow()
    session.add(identity)
    for institution_id, (wanted, managed) in mapped.items():
        _sync_roles(session, user, institution_id, wanted, managed)
    session.flush()
    if not any(roles_in(session, user, i) for i in institutions):
        session.commit()  # the removals stand: the directory said so
        raise _no_role(session, institutions, groups, logged)
    record_event(session, user, "user.signed_in_by_sso", entity="user", entity_key=email,
                 after={"groups": groups, "institutions": [str(i) for i in institutions]})
    session.commit()
    return user


def _no_role(session: Session, institutions: list[uuid.UUID], groups: list[str], logged: dict[str, Any]) -> SsoFailure:
    found = session.exec(select(Institution).where(col(Institution.id).in_(institutions)))
    names = ", ".join(sorted(i.name for i in found))
    shown = ", ".join(groups) if groups else "none were sent"
    return SsoFailure(
        "no_role",
        f"You belong to {names}, but none of your directory groups ({shown}) is mapped to a gtready role there. "
        "Ask an administrator to map your group, or IT to add you to a mapped group.",
        status_code=403, details={"claims": logged})


def start_sso_session(session: Session, settings: Settings, user: User) -> str:
    """A browser session that ends after the SSO maximum age, however active: a person IT disabled cannot stay."""
    started = start_session(session, user)
    started.record.expires_at = min(started.record.expires_at,
                                    utcnow() + timedelta(seconds=settings.oidc_session_max_age))
    session.add(started.record)
    session.commit()
    return started.token


# Local logins and the institutions' mappings -----------------------------------------------------------------------


def local_login_refusal(session: Session, settings: Settings, user: User) -> str | None:
    """Why this person may not sign in with a password (their institution requires SSO), or None. The site
    superuser is the break-glass account and always may."""
    if user.is_superuser:
        return None
    names = session.exec(
        select(Institution.name).join(SsoInstitutionRule, col(SsoInstitutionRule.institution_id) == Institution.id)
        .join(Membership, col(Membership.institution_id) == Institution.id)
        .where(col(Membership.user_id) == user.id, col(SsoInstitutionRule.require_sso)).distinct()
    ).all()
    if not names:
        return None
    return (f"{', '.join(sorted(names))} requires single sign-on: use “Sign in with {settings.oidc_display_name}” "
            "instead of a password.")


def sso_config(session: Session, institution_id: uuid.UUID) -> SsoConfig:
    rules = session.exec(select(SsoInstitutionRule).where(col(SsoInstitutionRule.institution_id) == institution_id)
                         .order_by(col(SsoInstitutionRule.email_domain), col(SsoInstitutionRule.claim))).all()
    groups = session.exec(select(SsoGroupRole).where(col(SsoGroupRole.institution_id) == institution_id)
                          .order_by(col(SsoGroupRole.group), col(SsoGroupRole.role))).all()
    return SsoConfig(
        rules=[InstitutionRule(email_domain=r.email_domain, claim=r.claim, value=r.value, require_sso=r.require_sso)
               for r in rules],
        group_roles=[GroupRole(group=g.group, role=Role(g.role)) for g in groups],
    )


def set_sso_config(session: Session, actor: User, institution_id: uuid.UUID, config: SsoConfig) -> SsoConfig:
    """Replace the institution's rules and group mappings (audited). An email domain belongs to one institution."""
    domains = [r.email_domain for r in config.rules if r.email_domain]
    if len(set(domains)) != len(domains):
        raise Conflict("an email domain is listed twice")
    if domains:
        taken = session.exec(select(SsoInstitutionRule.email_domain).where(
            col(SsoInstitutionRule.email_domain).in_(domains), col(SsoInstitutionRule.institution_id) != institution_id,
        )).all()
        if taken:
            first = sorted(d for d in taken if d)[0]
            raise Conflict(f"the email domain {first} already belongs to another institution")
    before = sso_config(session, institution_id)
    session.execute(delete(SsoInstitutionRule).where(col(SsoInstitutionRule.institution_id) == institution_id))
    session.execute(delete(SsoGroupRole).where(col(SsoGroupRole.institution_id) == institution_id))
    session.add_all(SsoInstitutionRule(institution_id=institution_id, email_domain=r.email_domain, claim=r.claim,
                                       value=r.value, require_sso=r.require_sso) for r in config.rules)
    unique = {(g.group, g.role.value) for g in config.group_roles}
    session.add_all(SsoGroupRole(institution_id=institution_id, group=g, role=r) for g, r in sorted(unique))
    session.flush()
    after = sso_config(session, institution_id)
    record_event(session, actor, "institution.sso_updated", entity="institution", entity_key=str(institution_id),
                 institution_id=institution_id, before=before.model_dump(mode="json"),
                 after=after.model_dump(mode="json"))
    session.commit()
    return after


def grant_lifetime_seconds() -> int:
    return int(GRANT_LIFETIME.total_seconds())


def refuse_local_login(session: Session, settings: Settings, user: User) -> None:
    """A password login is refused where the person's institution requires single sign-on."""
    refusal = local_login_refusal(session, settings, user)
    if refusal:
        raise Forbidden(refusal, reason="sso_required")
