"""405 answers that name, in `Allow`, every method an address takes.

Starlette tries routes in order and answers 405 with the methods of the first route whose path fitted, so an
address served by two routes (GET and POST /api/auth/tokens) advertised only one of them. And an address that is
one route's fixed path and also fits another's parameter (POST /api/invitations/accept, DELETE
/api/invitations/{invitation_id}; POST /api/programs/{program_id}/items/bulk, PATCH
/api/programs/{program_id}/items/{key}) answered a method only the other route takes with that route's 422
("accept" is not a UUID, "bulk" not an item key) instead of 405. Here the most specific path wins, as a reader of
the API would expect: the one with a fixed segment where the other has a parameter, read from the left.
"""

from typing import Any

from fastapi.routing import iter_route_contexts
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send


def specificity(path_format: str) -> tuple[int, ...]:
    """How fixed each segment of a route's path is, from the left (2 fixed, 1 a parameter with fixed text such as
    `{kind}.yaml`, 0 a bare parameter): the larger tuple is the more specific path."""
    return tuple(segment_fixedness(segment) for segment in path_format.split("/"))


def segment_fixedness(segment: str) -> int:
    if "{" not in segment:
        return 2
    bare_parameter = segment.startswith("{") and segment.endswith("}") and segment.count("{") == 1
    return 0 if bare_parameter else 1


def allowed_methods(routes: Any, path: str) -> set[str]:
    """The methods the routes answer at `path`: those of the most specific routes that fit it (see the module's
    docstring). Empty when no route does (the router's 404)."""
    fitting = [
        context for context in iter_route_contexts(routes)
        if context.methods and getattr(context, "path_regex", None) is not None and context.path_regex.match(path)
    ]
    if not fitting:
        return set()
    most_specific = max(specificity(context.path_format or "") for context in fitting)
    return {
        method for context in fitting if specificity(context.path_format or "") == most_specific
        for method in context.methods or ()
    }


class AllowedMethods:
    """A method the address does not take is answered 405 with `Allow`, through the app's own HTTP error handler
    (JSON for API clients, a page for browsers)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            allowed = allowed_methods(scope["app"].routes, scope["path"])
            if allowed and scope["method"] not in allowed:
                allow = ", ".join(sorted(allowed))
                handler = scope["app"].exception_handlers[HTTPException]
                response = await handler(Request(scope, receive), HTTPException(405, headers={"Allow": allow}))
                response.headers["Allow"] = allow  # the error page for browsers is built without the headers
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
