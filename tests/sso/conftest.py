"""A real OpenID Connect provider for the SSO tests: oidc-provider-mock started as its own server process on a
free loopback port (a person signs in by submitting its authorization form with a subject; the claims of that
subject are set through its /users/<sub> endpoint), and a tiny provider of our own (a real HTTP server with its
own keys, joserfc) for what the mock cannot do: an ID token signed with a key it does not publish."""

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from sqlmodel import Session

from app.config import Settings
from app.programs.models import Institution
from app.sso.schemas import SsoConfig
from app.sso.service import set_sso_config
from tests import db_harness
from tests.factories import make_institution, make_user

CLIENT_ID = "gtready-tests"
CLIENT_SECRET = "a client secret"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class MockProvider:
    issuer: str

    def set_user(self, sub: str, **claims: Any) -> None:
        httpx.put(f"{self.issuer}/users/{sub}", json=claims, timeout=10).raise_for_status()

    def authorize(self, authorization_url: str, sub: str) -> str:
        """Submit the provider's own sign-in form as `sub`: the callback URL it sends the browser to."""
        answer = httpx.post(authorization_url, data={"sub": sub}, timeout=10)
        assert answer.status_code in {302, 303}, answer.text[:500]
        return answer.headers["location"]


@pytest.fixture(scope="session")
def mock_provider() -> Iterator[MockProvider]:
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 (this interpreter, fixed arguments)
        [sys.executable, "-m", "oidc_provider_mock", "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=os.environ | {"NO_COLOR": "1"},
    )
    issuer = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{issuer}/.well-known/openid-configuration", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("oidc-provider-mock did not start")
            time.sleep(0.2)
        yield MockProvider(issuer)
    finally:
        process.terminate()
        process.wait(10)


def sso_settings(template_url: str, tmp_path: Path, checklists_dir: Path, issuer: str) -> Settings:
    return Settings(
        database_url=db_harness.per_test_url(template_url, tmp_path), checklists_dir=checklists_dir,
        data_dir=tmp_path / "data", base_url="http://testserver", oidc_issuer=issuer, oidc_client_id=CLIENT_ID,
        oidc_client_secret=CLIENT_SECRET, oidc_display_name="Riverside ID", oidc_timeout=5.0,
    )


@pytest.fixture
def settings(template_url: str, tmp_path: Path, checklists_dir: Path, mock_provider: MockProvider) -> Settings:
    return sso_settings(template_url, tmp_path, checklists_dir, mock_provider.issuer)


@pytest.fixture
def riverside(session: Session) -> Institution:
    """An institution mapped to the provider by email domain, with two groups mapped to roles."""
    institution = make_institution(session, "Riverside University Hospital")
    admin = make_user(session, institution, roles=("administrator",), email="admin@riverside.example")
    set_sso_config(session, admin, institution.id, SsoConfig.model_validate({
        "rules": [{"email_domain": "riverside.example"}],
        "group_roles": [{"group": "gt-pharmacy", "role": "pharmacy_lead"},
                        {"group": "gt-champions", "role": "champion"},
                        {"group": "gt-viewers", "role": "viewer"}],
    }))
    return institution


def start(client: TestClient, path: str = "/auth/sso/login?next=/programs") -> str:
    answer = client.get(path, follow_redirects=False)
    assert answer.status_code == 303, answer.text[:500]
    return answer.headers["location"]


def callback_path(location: str) -> str:
    parts = urlsplit(location)
    assert parts.path == "/auth/sso/callback", location
    return f"{parts.path}?{parts.query}"


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def sign_in(client: TestClient, provider: MockProvider, sub: str, **claims: Any) -> httpx.Response:
    """The whole browser round trip: gtready → the provider's form → back to gtready's callback."""
    provider.set_user(sub, **claims)
    location = provider.authorize(start(client), sub)
    return client.get(callback_path(location), follow_redirects=False)


@dataclass
class RogueProvider:
    """Serves discovery and a JWKS with one key, and signs its ID tokens with another (or the right one)."""

    issuer: str = ""
    published: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "k1"}))
    signing: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "k1"}))
    claims: dict[str, Any] = field(default_factory=dict)

    def id_token(self) -> str:
        now = int(time.time())
        payload = {"iss": self.issuer, "aud": CLIENT_ID, "sub": "rogue", "iat": now, "exp": now + 300,
                   "auth_time": now} | self.claims
        return jwt.encode({"alg": "RS256", "kid": "k1"}, payload, self.signing)


@pytest.fixture
def rogue_provider() -> Iterator[RogueProvider]:
    rogue = RogueProvider()

    class Handler(BaseHTTPRequestHandler):
        def _json(self, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802
            if self.path == "/.well-known/openid-configuration":
                self._json({"issuer": rogue.issuer, "authorization_endpoint": f"{rogue.issuer}/authorize",
                            "token_endpoint": f"{rogue.issuer}/token", "jwks_uri": f"{rogue.issuer}/jwks",
                            "scopes_supported": ["openid", "email", "profile"],
                            "claims_supported": ["sub", "email", "groups", "auth_time"],
                            "response_types_supported": ["code"], "code_challenge_methods_supported": ["S256"]})
            elif self.path == "/jwks":
                self._json(KeySet([rogue.published]).as_dict(private=False))
            else:
                self.send_error(404)

        def do_POST(self) -> None:  # noqa: N802
            self.rfile.read(int(self.headers.get("content-length", 0)))
            self._json({"access_token": "at", "token_type": "Bearer", "id_token": rogue.id_token()})

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    rogue.issuer = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield rogue
    server.shutdown()
    server.server_close()
