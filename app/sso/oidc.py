"""Talking to the OpenID Connect provider: discovery, the authorization URL (PKCE S256, state, nonce), the code
exchange (Authlib's OAuth2Client) and the ID token's checks (joserfc, against the provider's JWKS). Every
failure is an `SsoFailure` saying in plain words what went wrong; no token ever reaches a message or a log."""

import warnings
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
from authlib.common.security import generate_token
from authlib.integrations.base_client.errors import OAuthError
from joserfc import jwt
from joserfc.errors import (
    BadSignatureError,
    ClaimError,
    ExpiredTokenError,
    InvalidClaimError,
    JoseError,
    MissingClaimError,
)
from joserfc.jwk import KeySet

from app.config import Settings
from app.errors import DomainError

with warnings.catch_warnings():  # Authlib 1.9 announces its move to the httpx2 package; the client is the same
    warnings.simplefilter("ignore")
    from authlib.integrations.httpx_client import OAuth2Client

DISCOVERY_SUFFIX = "/.well-known/openid-configuration"
CALLBACK_PATH = "/auth/sso/callback"
SIGNING_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]


class SsoFailure(DomainError):
    """A sign-in that cannot finish: `reason` is a stable code, `message` what the person reads, `details`
    what the server log gets (the provider's error, the claims received; never a token)."""

    def __init__(
        self, reason: str, message: str, *, status_code: int = 400, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message, reason=reason)
        self.reason = reason
        self.message = message
        self.status_code = status_code
        self.details = details or {}


@dataclass(frozen=True)
class Provider:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    metadata: dict[str, Any] = field(default_factory=dict)


def discovery_url(settings: Settings) -> str:
    issuer = settings.oidc_issuer.strip()
    return issuer if issuer.endswith(DISCOVERY_SUFFIX) else issuer.rstrip("/") + DISCOVERY_SUFFIX


def configured_issuer(settings: Settings) -> str:
    """The issuer exactly as configured (some providers' issuers end with a slash, and it must match)."""
    issuer = settings.oidc_issuer.strip()
    return issuer[: -len(DISCOVERY_SUFFIX)] if issuer.endswith(DISCOVERY_SUFFIX) else issuer


def redirect_uri(settings: Settings) -> str:
    return settings.base_url.rstrip("/") + CALLBACK_PATH


def _host(url: str) -> str:
    return urlsplit(url).netloc or url


def fetch_json(url: str, timeout: float, what: str) -> dict[str, Any]:
    try:
        response = httpx.get(url, timeout=timeout, follow_redirects=True)
    except httpx.HTTPError as error:
        raise SsoFailure(
            "provider_unreachable",
            f"gtready could not reach the sign-in provider at {_host(url)} ({type(error).__name__}). "
            "Try again in a few minutes; if it goes on, tell your IT department.",
            status_code=502, details={"url": url, "error": str(error)},
        ) from None
    if response.status_code != 200:
        raise SsoFailure(
            "provider_error",
            f"The sign-in provider answered HTTP {response.status_code} for its {what} at {url}.",
            status_code=502, details={"url": url, "status": response.status_code, "body": response.text[:300]},
        )
    try:
        data = response.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise SsoFailure("provider_error", f"The sign-in provider's {what} at {url} is not a JSON object.",
                         status_code=502, details={"url": url})
    return data


def discover(settings: Settings) -> Provider:
    """The provider's endpoints, from its discovery document, after checking it names the issuer configured."""
    url = discovery_url(settings)
    data = fetch_json(url, settings.oidc_timeout, "discovery document")
    expected = configured_issuer(settings)
    if data.get("issuer") != expected:
        raise SsoFailure(
            "wrong_issuer",
            f"The provider calls itself {data.get('issuer')!r}, but gtready is configured with issuer {expected!r} "
            "(GTREADY_OIDC_ISSUER). They must be identical, including the trailing slash.",
            status_code=502, details={"configured": expected, "discovered": data.get("issuer")},
        )
    missing = [k for k in ("authorization_endpoint", "token_endpoint", "jwks_uri") if not isinstance(data.get(k), str)]
    if missing:
        raise SsoFailure("provider_error", f"The provider's discovery document lacks {', '.join(missing)}.",
                         status_code=502, details={"url": url})
    return Provider(expected, data["authorization_endpoint"], data["token_endpoint"], data["jwks_uri"], data)


def _client(settings: Settings) -> OAuth2Client:
    return OAuth2Client(
        client_id=settings.oidc_client_id, client_secret=settings.oidc_client_secret or None,
        scope=settings.oidc_scopes, redirect_uri=redirect_uri(settings), code_challenge_method="S256",
        timeout=settings.oidc_timeout,
    )


@dataclass(frozen=True)
class RoundTrip:
    state: str
    nonce: str
    code_verifier: str


def new_round_trip() -> RoundTrip:
    return RoundTrip(generate_token(43), generate_token(43), generate_token(64))


def authorization_url(settings: Settings, provider: Provider, trip: RoundTrip, **extra: str) -> str:
    with _client(settings) as client:
        url, _ = client.create_authorization_url(
            provider.authorization_endpoint, state=trip.state, code_verifier=trip.code_verifier, nonce=trip.nonce,
            **extra,
        )
    return str(url)


def exchange_code(settings: Settings, provider: Provider, code: str, code_verifier: str) -> str:
    """The ID token the provider gives for this authorization code (and the PKCE verifier)."""
    try:
        with _client(settings) as client:
            token = client.fetch_token(
                provider.token_endpoint, grant_type="authorization_code", code=code, code_verifier=code_verifier,
            )
    except OAuthError as error:
        raise SsoFailure(
            "provider_error",
            f"The provider refused to complete the sign-in: {error.error}"
            + (f" ({error.description})" if error.description else "")
            + ". A wrong client secret or redirect URI registered at the provider are the usual causes.",
            status_code=502, details={"provider_error": error.error, "description": error.description},
        ) from None
    except httpx.HTTPError as error:
        raise SsoFailure(
            "provider_unreachable",
            f"gtready could not reach the sign-in provider's token endpoint at {_host(provider.token_endpoint)} "
            f"({type(error).__name__}). Try again in a few minutes.",
            status_code=502, details={"error": str(error)},
        ) from None
    except ValueError as error:  # a body that is not JSON
        raise SsoFailure("provider_error", "The provider's token endpoint did not answer with JSON.",
                         status_code=502, details={"error": str(error)}) from None
    id_token = token.get("id_token") if isinstance(token, dict) else None
    if not isinstance(id_token, str):
        raise SsoFailure("provider_error", "The provider answered without an ID token: is 'openid' in the scopes?",
                         status_code=502, details={"token_fields": sorted(token) if isinstance(token, dict) else []})
    return id_token


def validate_id_token(
    settings: Settings, provider: Provider, id_token: str, nonce: str, now: int
) -> dict[str, Any]:
    """The ID token's claims, once its signature (the provider's JWKS), issuer, audience, expiry, issue time (with
    a small leeway) and nonce all check out."""
    keys = fetch_json(provider.jwks_uri, settings.oidc_timeout, "signing keys (JWKS)")
    try:
        key_set = KeySet.import_key_set(keys)  # type: ignore[arg-type]
    except (JoseError, ValueError, TypeError, KeyError) as error:
        raise SsoFailure("provider_error", "The provider's signing keys (JWKS) could not be read.",
                         status_code=502, details={"error": str(error)}) from None
    try:
        token = jwt.decode(id_token, key_set, algorithms=SIGNING_ALGORITHMS)
    except BadSignatureError:
        raise SsoFailure(
            "bad_signature",
            "The sign-in token's signature does not match the provider's published keys. Either the token did "
            "not come from the configured provider or the provider rotated its keys mid-sign-in; try again, "
            "and if it goes on check GTREADY_OIDC_ISSUER.",
            details={"jwks_uri": provider.jwks_uri},
        ) from None
    except (JoseError, ValueError, TypeError, KeyError) as error:
        raise SsoFailure("bad_signature", "The sign-in token could not be verified against the provider's keys "
                         f"({type(error).__name__}).", details={"error": str(error)}) from None
    claims = dict(token.claims)
    registry = jwt.JWTClaimsRegistry(
        now=now, leeway=settings.oidc_leeway,
        iss={"essential": True, "value": provider.issuer},
        aud={"essential": True, "value": settings.oidc_client_id},
        exp={"essential": True}, iat={"essential": True}, sub={"essential": True},
        nonce={"essential": True, "value": nonce},
    )
    logged = loggable_claims(claims)
    try:
        registry.validate(claims)
    except ExpiredTokenError:
        raise SsoFailure(
            "expired",
            "The sign-in token had already expired when it reached gtready. If this happens at every attempt, "
            "the clocks of gtready's server and the provider disagree (clock skew): check both use NTP.",
            details={"claims": logged, "now": now},
        ) from None
    except MissingClaimError as error:
        raise SsoFailure("provider_error", f"The sign-in token lacks the claim(s) {error.claim}.",
                         details={"claims": logged}) from None
    except InvalidClaimError as error:
        raise _claim_failure(error, claims, provider, settings, now, logged) from None
    except ClaimError as error:
        raise SsoFailure("provider_error", f"The sign-in token has an invalid claim: {error.claim}.",
                         details={"claims": logged}) from None
    return claims


def _claim_failure(
    error: InvalidClaimError, claims: dict[str, Any], provider: Provider, settings: Settings, now: int,
    logged: dict[str, Any],
) -> SsoFailure:
    if error.claim == "iss":
        return SsoFailure(
            "wrong_issuer",
            f"The sign-in token was issued by {claims.get('iss')!r}, not by the configured provider "
            f"{provider.issuer!r}.", details={"claims": logged})
    if error.claim == "aud":
        return SsoFailure(
            "wrong_audience",
            f"The sign-in token was issued for {claims.get('aud')!r}, not for gtready's client id "
            f"{settings.oidc_client_id!r}: check GTREADY_OIDC_CLIENT_ID matches the application registered at the "
            "provider.", details={"claims": logged})
    if error.claim == "nonce":
        return SsoFailure(
            "replayed",
            "The sign-in token does not belong to this sign-in (its nonce does not match): it was replayed or "
            "mixed up with another tab's sign-in. Start again.", details={"claims": logged})
    if error.claim in {"iat", "nbf"}:
        return SsoFailure(
            "clock_skew",
            "The sign-in token says it was issued in the future: the clocks of gtready's server and the provider "
            "disagree (clock skew) by more than a minute. Check both use NTP.", details={"claims": logged, "now": now})
    return SsoFailure("provider_error", f"The sign-in token has an invalid claim: {error.claim}.",
                      details={"claims": logged})


SECRET_CLAIMS = frozenset({"at_hash", "c_hash", "nonce", "sid"})


def loggable_claims(claims: dict[str, Any]) -> dict[str, Any]:
    """The claims for a log line: what helps find a mapping mistake, not what could replay anything."""
    return {k: v for k, v in claims.items() if k not in SECRET_CLAIMS}
