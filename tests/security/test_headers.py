"""Security headers on every response: pages, API answers (errors too), static files and /docs; HSTS only over
https, as the request came or as the trusted proxy said."""

import re
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import Team
from tests.web.form_client import as_role

EVERYWHERE = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
}


def assert_secured(response: httpx.Response) -> str:
    for name, value in EVERYWHERE.items():
        assert response.headers.get(name) == value, (response.request.url, name, response.headers.get(name))
    policy = response.headers["content-security-policy"]
    directives = dict((part.strip().split(" ", 1) + [""])[:2] for part in policy.split(";"))
    assert directives["default-src"] == "'self'" and directives["frame-ancestors"] == "'none'"
    return str(directives["script-src"])


def test_pages_api_answers_and_static_files_carry_the_headers(team: Team, anonymous: TestClient) -> None:
    viewer = team.clients["viewer"]
    for response in [
        anonymous.get("/login"),  # a page
        anonymous.get("/api/programs"),  # an API error (401)
        viewer.get(team.url("/readiness")),  # an API answer
        viewer.get(team.url("/nothing-here")),  # a 404
        anonymous.get("/static/gtready.css"),  # a static file
        anonymous.get("/healthz"),
        viewer.post(team.url("/scenarios/capacity"), content=b"x" * (2 << 20)),  # a 413 from the body limit
    ]:
        assert response.status_code < 500
        assert assert_secured(response) == "'self'"
        assert "strict-transport-security" not in response.headers  # plain http


def test_only_the_docs_page_may_run_swaggers_inline_script(anonymous: TestClient) -> None:
    docs = anonymous.get("/docs")
    assert docs.status_code == 200
    assert assert_secured(docs) == "'self' 'unsafe-inline'"
    assert assert_secured(anonymous.get("/login")) == "'self'"


def test_pages_have_no_inline_script_or_event_handler_attributes(app: FastAPI, team: Team) -> None:
    """What the policy would block in a browser: <script> without src, on… attributes, javascript: links."""
    admin = as_role(app, team, "administrator")
    pages = ["/", f"/programs/{team.program.id}", f"/programs/{team.program.id}/planning",
             f"/programs/{team.program.id}/items/PAY-001", f"/institutions/{team.institution.id}/admin", "/account"]
    for path in pages:
        html = admin.get(path).text
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
        assert not re.search(r"\son[a-z]+\s*=", html), path
        assert "javascript:" not in html, path


@pytest.fixture
def proxied_server(app: FastAPI) -> Iterator[str]:
    """The app behind uvicorn as `gtready serve` starts it: proxy headers trusted from 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", proxy_headers=True,
                            forwarded_allow_ips="127.0.0.1")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def test_hsts_only_when_the_request_came_over_https(app: FastAPI, proxied_server: str) -> None:
    plain = httpx.get(f"{proxied_server}/login")
    assert "strict-transport-security" not in plain.headers
    behind_tls = httpx.get(f"{proxied_server}/login", headers={"X-Forwarded-Proto": "https"})
    assert behind_tls.headers["strict-transport-security"].startswith("max-age=")
    assert_secured(behind_tls)
    with TestClient(app, base_url="https://testserver") as direct:
        assert "max-age=" in direct.get("/healthz").headers["strict-transport-security"]
