"""Who is looking at a page, and rendering with what every page needs (the user, the CSRF token)."""

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from app.auth.deps import Principal, optional_principal
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


async def redirect_to_login(request: Request, exc: Exception) -> RedirectResponse:
    next_path = exc.next_path if isinstance(exc, LoginRequired) else "/"
    return RedirectResponse(f"/login?next={quote(next_path)}", status_code=303)


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
    }
    return templates.TemplateResponse(request, template, shared | context, status_code=status_code, headers=headers)
