"""Request body limits, enforced before anything reads or spools a body, and before authentication.

Without them an anonymous client could send a 60 MB upload that was read whole and spooled to disk before the 401.
The declared Content-Length is checked first (413 at once, nothing read); bodies without one (chunked) are counted
as they stream in and refused as soon as they pass the limit. Evidence uploads may carry a file of up to
`max_upload_bytes` plus the multipart framing; every other address takes `max_body_bytes`.
"""

import re
from collections.abc import Callable

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MULTIPART_OVERHEAD = 64 * 1024  # boundaries, part headers and the form's other fields around the file
UPLOAD_ROUTES = re.compile(
    r"^(/api)?/programs/[^/]+/items/[^/]+/evidence/?$|^/api/dossiers/verify/?$|^(/api/reports)?/verify/?$"
)


class BodyTooLarge(HTTPException):
    """Raised from the counted `receive` when a streamed body passes its limit; FastAPI re-raises HTTPExceptions
    met while reading a body, so it reaches the error handlers (or this middleware) as a 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than this address accepts ({limit:,} bytes)")
        self.limit = limit


TooLargePage = Callable[[Scope, int], Response]  # (the request, the limit it passed) -> the page saying so


def wants_page(scope: Scope) -> bool:
    """A form of the web app (any address outside /api) answers with a page, unless the client asked for JSON."""
    accept = dict(scope.get("headers") or []).get(b"accept", b"").decode("latin-1")
    asks_json = "application/json" in accept and "text/html" not in accept
    return not str(scope["path"]).startswith("/api/") and not asks_json


class BodySizeLimit:
    """413 for a request body over the limit of its route, declared or streamed (pure ASGI: nothing buffered).

    The API answers JSON; a web form answers `page`'s HTML (the app's error page, with a way back), so a
    person who dropped too large a file reads why instead of a line of JSON."""

    def __init__(
        self, app: ASGIApp, *, max_body_bytes: int, max_upload_bytes: int, page: TooLargePage | None = None
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_upload_bytes = max_upload_bytes
        self.page = page

    def limit_for(self, scope: Scope) -> int:
        if scope["method"] in {"POST", "PUT"} and UPLOAD_ROUTES.match(scope["path"]):
            return self.max_upload_bytes + MULTIPART_OVERHEAD
        return self.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.strip().isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send, limit)
            return
        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except BodyTooLarge:
            if started:
                raise
            await self._refuse(scope, receive, send, limit)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        if self.page is not None and wants_page(scope):
            response = self.page(scope, limit)
        else:
            response = JSONResponse({"detail": BodyTooLarge(limit).detail}, status_code=413)
        # Connection: close, so the server does not read the rest of the body to reuse the connection
        response.headers["Connection"] = "close"
        await response(scope, receive, send)
