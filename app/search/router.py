"""Global search over HTTP."""

from typing import Annotated

from fastapi import APIRouter, Query

from app.auth.deps import CurrentUser
from app.db import SessionDep
from app.search import service
from app.search.schemas import MAX_QUERY_LENGTH, SearchResults

router = APIRouter(prefix="/api", tags=["search"])

SearchText = Annotated[str, Query(min_length=1, max_length=MAX_QUERY_LENGTH, pattern=r"^[^\x00]*$",
                                  description="Words to find (each must appear); % and _ match themselves")]


@router.get("/search", response_model=SearchResults)
def search(q: SearchText, user: CurrentUser, session: SessionDep) -> SearchResults:
    """Items (key, title), evidence files (name), people (name, email) and reports (number) in your institutions,
    up to 10 of each."""
    return service.search(session, user, q)
