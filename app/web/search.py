"""The global search page (the header's search box posts here); the same service as `GET /api/search`."""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from app.db import SessionDep
from app.errors import Invalid
from app.search import service
from app.search.schemas import MAX_QUERY_LENGTH
from app.web.session import WebPrincipal, render

router = APIRouter(include_in_schema=False)


@router.get("/search", response_class=HTMLResponse)
def search_page(
    request: Request, principal: WebPrincipal, session: SessionDep, q: Annotated[str, Query()] = ""
) -> HTMLResponse:
    """Grouped results with links; a search text the service refuses is said on the page, with what was typed."""
    try:
        results = service.search(session, principal.user, q)
    except Invalid as problem:
        shown = q.replace("\x00", "")[:MAX_QUERY_LENGTH]
        context: dict[str, Any] = {"nav": "search", "search_q": shown, "results": None, "error": problem.detail}
        return render(request, principal, "search.html", context, status_code=422)
    context = {"nav": "search", "search_q": q, "results": results, "error": None}
    return render(request, principal, "search.html", context)
