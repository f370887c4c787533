"""Role changes keep an institution administrable and are audited."""

from sqlalchemy import select
from sqlmodel import Session, col

from app.audit.models import AuditEvent
from tests.conftest import Team
from tests.factories import make_user


def test_the_last_administrator_cannot_be_removed(team: Team, session: Session) -> None:
    admin = team.clients["administrator"]
    url = f"/api/institutions/{team.institution.id}/members/{team.people['administrator'].id}/roles/administrator"
    refused = admin.delete(url)
    assert refused.status_code == 409 and "last administrator" in refused.json()["detail"]
    second = make_user(session, team.institution, roles=("administrator",), full_name="Second Admin")
    assert admin.delete(url).json()["roles"] == []
    removed = session.scalars(select(AuditEvent).where(col(AuditEvent.action) == "membership.role_revoked")).one()
    assert removed.before == {"roles": ["administrator"]} and removed.after == {"roles": []}
    assert removed.actor_name == "Administrator" and second.full_name == "Second Admin"
