"""The one permission check. Someone outside an institution gets 404, as if its records did not exist;
a member without the needed role gets 403 naming the role."""

import uuid
from collections.abc import Iterable

from sqlmodel import Session

from app.auth.models import User
from app.auth.roles import Role
from app.auth.service import roles_in
from app.errors import Forbidden, NotFound


def require_member(
    session: Session,
    user: User,
    institution_id: uuid.UUID,
    roles: Iterable[Role] | None = None,
    *,
    what: str = "record",
    superuser_allowed: bool = True,
) -> set[Role]:
    """The caller's roles in the institution, after checking membership and (if given) one of `roles`."""
    needed = set(roles) if roles is not None else None
    if user.is_superuser and superuser_allowed:
        return set(Role)
    held = roles_in(session, user, institution_id)
    if not held and not user.is_superuser:  # a superuser sees everything, so "not found" would be untrue
        raise NotFound(f"{what} not found")
    if needed is not None and not held & needed:
        names = " or ".join(sorted(role.value for role in needed))
        raise Forbidden(f"this needs the {names} role", required_roles=sorted(r.value for r in needed))
    return held
