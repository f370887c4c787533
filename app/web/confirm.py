"""One confirmation page for every destructive action: GET asks ("Remove role X from Y? [Remove] [Cancel]"), the
POST to the same address does it. No JavaScript needed."""

from fastapi import Request
from fastapi.responses import HTMLResponse

from app.auth.deps import Principal
from app.web.session import render


def confirm_page(
    request: Request, principal: Principal, *, question: str, button: str, cancel: str, detail: str = "",
    nav: str = "",
) -> HTMLResponse:
    """The page asking `question`, whose button posts to the address it was shown at."""
    return render(request, principal, "confirm.html", {
        "question": question, "detail": detail, "button": button, "cancel": cancel,
        "action": request.url.path, "nav": nav,
    })
