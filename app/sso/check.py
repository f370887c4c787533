"""`gtready sso check`: a configuration tried against the provider, each finding in plain words."""

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from app.config import Settings
from app.sso import oidc
from app.sso.oidc import SsoFailure


@dataclass
class Findings:
    ok: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _listed(metadata: dict[str, object], key: str) -> list[str] | None:
    value = metadata.get(key)
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else None


def check_configuration(settings: Settings) -> Findings:
    found = Findings()
    if not settings.oidc_issuer or not settings.oidc_client_id:
        found.problems.append("single sign-on is not configured: set GTREADY_OIDC_ISSUER and GTREADY_OIDC_CLIENT_ID")
        return found
    try:
        provider = oidc.discover(settings)
    except SsoFailure as failure:
        found.problems.append(failure.message)
        return found
    found.ok.append(f"discovery document read from {oidc.discovery_url(settings)}; the issuer matches")
    meta = provider.metadata
    try:
        keys = KeySet.import_key_set(oidc.fetch_json(provider.jwks_uri, settings.oidc_timeout, "JWKS"))  # type: ignore[arg-type]
        found.ok.append(f"{len(keys.keys)} signing key(s) published at {provider.jwks_uri}")
    except SsoFailure as failure:
        found.problems.append(failure.message)
    except (JoseError, ValueError, TypeError, KeyError) as error:
        found.problems.append(f"the provider's JWKS at {provider.jwks_uri} cannot be read: {error}")
    redirect = oidc.redirect_uri(settings)
    parts = urlsplit(redirect)
    if parts.scheme != "https" and parts.hostname not in {"localhost", "127.0.0.1", "::1"}:
        found.problems.append(f"the redirect URI {redirect} is not https: set GTREADY_BASE_URL to the https address "
                              "people use (providers refuse plain http except on localhost)")
    else:
        found.ok.append(f"redirect URI {redirect}: register exactly this at the provider")
    scopes = settings.oidc_scopes.split()
    if "openid" not in scopes:
        found.problems.append(f"the scopes ({settings.oidc_scopes}) lack 'openid': without it there is no ID token")
    supported_scopes = _listed(meta, "scopes_supported")
    if supported_scopes is not None:
        missing = [s for s in scopes if s not in supported_scopes]
        if missing:
            found.problems.append(f"the provider does not support the scope(s) {', '.join(missing)} "
                                  f"(it lists {', '.join(supported_scopes)}): change GTREADY_OIDC_SCOPES")
        else:
            found.ok.append(f"scopes supported: {' '.join(scopes)}")
    response_types = _listed(meta, "response_types_supported")
    if response_types is not None and "code" not in response_types:
        found.problems.append("the provider does not offer the authorization code flow (response type 'code')")
    challenges = _listed(meta, "code_challenge_methods_supported")
    if challenges is not None and "S256" not in challenges:
        found.problems.append("the provider does not support PKCE with S256, which gtready always sends")
    algorithms = _listed(meta, "id_token_signing_alg_values_supported")
    if algorithms is not None and not set(algorithms) & set(oidc.SIGNING_ALGORITHMS):
        found.problems.append(f"the provider signs ID tokens only with {', '.join(algorithms)}, which gtready does "
                              "not accept (symmetric or unsigned tokens)")
    claims = _listed(meta, "claims_supported")
    for name, setting in ((settings.oidc_email_claim, "GTREADY_OIDC_EMAIL_CLAIM"),
                          (settings.oidc_groups_claim, "GTREADY_OIDC_GROUPS_CLAIM")):
        if claims is None:
            found.warnings.append(f"the provider does not list its claims: make sure it sends {name!r} in the "
                                  "ID token (see the README's provider sections)")
        elif name not in claims:
            found.warnings.append(f"the provider does not list the claim {name!r} ({setting}) among the claims it "
                                  "supports; many send group claims only once configured (see the README)")
        else:
            found.ok.append(f"claim {name!r} supported")
    return found
