"""Who is looking at a page, and rendering with what every page needs (the user, the CSRF token)."""

from typing import Annotated, Any, cast
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import object_session
from sqlmodel import Session
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Scope

from app.auth.deps import Principal, optional_principal
from app.errors import DomainError, Forbidden, domain_error_response
from app.formatting import DEFAULT_TIME_ZONE
from app.limits import wants_page
from app.programs.service import time_zone_for
from app.web.templating import make_templates

templates = make_templates()


class LoginRequired(Exception):
    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


def web_principal(request: Request, principal: Annotated[Principal | None, Depends(optional_principal)]) -> Principal:
    if principal is None or principal.auth_session is None:
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(path)
    return principal


WebPrincipal = Annotated[Principal, Depends(web_principal)]


def require_same_site(request: Request) -> None:
    """Refuse a form posted from another site to a page that needs no login (login CSRF: an attacker's page
    logging the victim into the attacker's account). Browsers name the posting page's origin on every POST."""
    origin = request.headers.get("origin")
    cross_site = request.headers.get("sec-fetch-site") == "cross-site"
    if cross_site or (origin is not None and urlsplit(origin).netloc != request.headers.get("host")):
        raise Forbidden("this form was posted from another site; open the page on gtready and try again")


SameSite = Depends(require_same_site)

ERROR_TITLES = {403: "Not allowed", 404: "Not found", 409: "Not possible right now", 410: "No longer valid",
                413: "Too large to send"}


def _wants_page(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "") and not request.url.path.startswith("/api/")


def _error_page(request: Request, status_code: int, detail: str) -> HTMLResponse:
    context = {"status": status_code, "title": ERROR_TITLES.get(status_code, "Something went wrong"), "detail": detail}
    return render(request, None, "error.html", context, status_code=status_code)


def _back(request: Request) -> str:
    """The page the person came from (the form), when it is one of ours; else the dashboard."""
    came_from = urlsplit(request.headers.get("referer", ""))
    ours = came_from.netloc == request.headers.get("host")
    if ours and came_from.path.startswith("/") and not came_from.path.startswith("//"):  # //x leaves the site
        return came_from.path + (f"?{came_from.query}" if came_from.query else "")
    return "/"


def too_large_page(scope: Scope, limit: int) -> Response:
    """What a form sent over its size limit answers (app/limits.py refuses it before reading it): the error page,
    saying how much the page takes, with a link back to the form."""
    request = Request(scope)
    megabytes = max(1, round(limit / (1024 * 1024)))
    detail = (f"what you sent is larger than this page accepts (at most {megabytes} MB). Nothing was saved: "
              "go back and choose a smaller file, or split it into several")
    context = {"status": 413, "title": ERROR_TITLES[413], "detail": detail, "back": _back(request)}
    return render(request, None, "error.html", context, status_code=413)


async def domain_error_page(request: Request, exc: Exception) -> Response:
    """A browser asking for a page gets a page; API clients and scripts get the JSON every API error has."""
    error = cast(DomainError, exc)  # registered for DomainError only
    if not _wants_page(request):
        return await domain_error_response(request, exc)
    return _error_page(request, error.status_code, error.detail)


async def http_error_page(request: Request, exc: Exception) -> Response:
    """The same for the framework's own errors (an address no route answers, a method it does not take)."""
    error = cast(StarletteHTTPException, exc)  # registered for HTTPException only
    if error.status_code == 413 and wants_page(request.scope):  # a form's body passed its limit while streaming
        return too_large_page(request.scope, getattr(error, "limit", 0))  # as app/limits.py answers a declared one
    if not _wants_page(request) or error.status_code < 400:
        return await http_exception_handler(request, error)
    detail = "there is no page at this address" if error.status_code == 404 else str(error.detail).lower()
    return _error_page(request, error.status_code, detail)


async def redirect_to_login(request: Request, exc: Exception) -> RedirectResponse:
    next_path = exc.next_path if isinstance(exc, LoginRequired) else "/"
    return RedirectResponse(f"/login?next={quote(next_path)}", status_code=303)


def _time_zone(principal: Principal | None) -> str:
    """The zone the page shows times in (app/formatting.py); a page about one institution may pass its own."""
    db = object_session(principal.user) if principal else None
    if principal is None or not isinstance(db, Session):
        return DEFAULT_TIME_ZONE
    return time_zone_for(db, principal.user)


def render(
    request: Request,
    principal: Principal | None,
    template: str,
    context: dict[str, Any],
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    shared = {
        "user": principal.user if principal else None,
        "csrf_token": principal.auth_session.csrf_token if principal and principal.auth_session else "",
        "time_zone": _time_zone(principal),
    }
    return templates.TemplateResponse(request, template, shared | context, status_code=status_code, headers=headers)
