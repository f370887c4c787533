"""Every table, imported once so SQLModel.metadata (and so Alembic) sees the whole schema."""

from app.audit.models import AuditCheckpoint, AuditEvent
from app.auth.models import ApiToken, AuthSession, LoginThrottle, Membership, User
from app.evidence.models import Evidence
from app.planning.models import PlanningScenario
from app.programs.models import Institution, Program, ProgramItem
from app.reports.models import Report
from app.signoffs.models import Revocation, SignOff

__all__ = [
    "ApiToken",
    "AuditCheckpoint",
    "AuditEvent",
    "AuthSession",
    "Evidence",
    "Institution",
    "LoginThrottle",
    "Membership",
    "PlanningScenario",
    "Program",
    "ProgramItem",
    "Report",
    "Revocation",
    "SignOff",
    "User",
]
