"""The OpenAPI document's security schemes, and /docs served from vendored Swagger UI (works offline, no CDN).

The schemes mirror app/auth/deps.py: an API token as `Authorization: Bearer`, or the browser session cookie
(whose writes also need the `X-CSRF-Token` header). Which operations need them is read from each route's
dependencies, so a new endpoint is documented correctly without anyone remembering to.
"""

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute, iter_route_contexts

from app.auth.deps import SESSION_COOKIE, api_principal

SWAGGER_UI = "/static/vendor/swagger-ui"
SECURITY_SCHEMES: dict[str, dict[str, str]] = {
    "apiToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "A personal API token (`gtr_…`), from `POST /api/auth/tokens` or `gtready tokens create`.",
    },
    "sessionCookie": {
        "type": "apiKey",
        "in": "cookie",
        "name": SESSION_COOKIE,
        "description": "The browser session set by `POST /api/auth/login`; writes also send its CSRF token "
        "as `X-CSRF-Token`.",
    },
}
EITHER_SCHEME: list[dict[str, list[str]]] = [{"apiToken": []}, {"sessionCookie": []}]

docs = APIRouter(include_in_schema=False)


def _calls(dependant: Dependant) -> set[Callable[..., Any]]:
    found: set[Callable[..., Any]] = set()
    for sub in dependant.dependencies:
        if sub.call is not None:
            found.add(sub.call)
        found |= _calls(sub)
    return found


def _needs_credentials(route: APIRoute) -> bool:
    return api_principal in _calls(route.dependant)


def install_openapi(app: FastAPI) -> None:
    """Replace the app's openapi() by one that adds the security schemes and each operation's `security`."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title, version=app.version, summary=app.summary, description=app.description,
            routes=app.routes,
        )
        schema.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
        for context in iter_route_contexts(app.routes):
            route = context.original_route
            if not isinstance(route, APIRoute) or not _needs_credentials(route):
                continue
            operations = schema.get("paths", {}).get(context.path_format or route.path_format, {})
            for method in route.methods or ():
                if method.lower() in operations:
                    operations[method.lower()]["security"] = EITHER_SCHEME
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to customise the schema


@docs.get("/docs")
def swagger_ui(request: Request) -> HTMLResponse:
    """Swagger UI from the app's own static files, with the Authorize button for the schemes above."""
    root = request.scope.get("root_path", "").rstrip("/")
    return get_swagger_ui_html(
        openapi_url=f"{root}/openapi.json",
        title="gtready API",
        swagger_js_url=f"{root}{SWAGGER_UI}/swagger-ui-bundle.js",
        swagger_css_url=f"{root}{SWAGGER_UI}/swagger-ui.css",
        swagger_favicon_url=f"{root}{SWAGGER_UI}/favicon.png",
        oauth2_redirect_url=None,
        # No calls to validator.swagger.io: the page must work on a network that reaches nothing else.
        swagger_ui_parameters={"validatorUrl": None},
    )
