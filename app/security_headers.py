"""Security headers on every response: what a browser may load, frame, send as referrer or sniff.

Scripts come only from the app's own files (no inline script, no `on…` attribute: the templates keep none).
Styles also allow inline `style` attributes, which the templates use for one-off layout and data-driven widths
(readiness bars); htmx's own injected <style> is switched off by a meta tag (see base.html). Swagger UI at /docs
starts itself with an inline script, so that page alone gets a relaxed policy. HSTS is sent only over https: as
the request arrived, or as the trusted proxy said (uvicorn runs with proxy_headers, which sets the scheme from
X-Forwarded-Proto for the proxies it trusts).
"""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
DOCS_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect"})
HSTS = "max-age=31536000; includeSubDomains"

COMMON = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]


class SecurityHeaders:
    """Add the headers above to every HTTP response the app sends (pure ASGI: bodies pass through untouched)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = DOCS_CONTENT_SECURITY_POLICY if scope["path"] in DOCS_PATHS else CONTENT_SECURITY_POLICY
        added = [*COMMON, (b"content-security-policy", policy.encode())]
        if scope.get("scheme") == "https":
            added.append((b"strict-transport-security", HSTS.encode()))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                present = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in added if name not in present]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
