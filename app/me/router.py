"""The caller's own work over HTTP."""

from fastapi import APIRouter

from app.auth.deps import CurrentUser
from app.db import SessionDep
from app.me import service
from app.me.schemas import MyWork

router = APIRouter(prefix="/api/me", tags=["me"])


@router.get("/work", response_model=MyWork)
def my_work(user: CurrentUser, session: SessionDep) -> MyWork:
    """Items you own due within 14 days or overdue, items waiting for your signature, sign-offs lapsing within
    30 days, and comments that mention you."""
    return service.my_work(session, user)
