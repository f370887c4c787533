"""Every table, imported once so SQLModel.metadata (and so Alembic) sees the whole schema."""

from app.audit.models import AuditCheckpoint, AuditEvent
from app.auth.models import ApiToken, AuthSession, LoginThrottle, Membership, User
from app.auth.security_models import (
    InstitutionSecurity,
    MfaPendingLogin,
    MfaRecoveryCode,
    ServiceAccount,
    ServiceAccountToken,
    UserMfa,
)
from app.branding.models import InstitutionBranding
from app.calendar.models import CalendarFeed
from app.comments.models import Comment, CommentMention
from app.committees.models import Committee, CommitteeMember
from app.dossier.models import SiteDossier
from app.evidence.models import Evidence
from app.institution_libraries.models import InstitutionLibrary
from app.notifications.models import Notification, NotificationSettings
from app.packets.models import PacketDefinitionRecord
from app.planning.models import PlanningScenario
from app.programs.models import Institution, Program, ProgramItem
from app.reports.models import Report
from app.signoffs.models import Revocation, SignOff
from app.sso.models import SsoGroupRole, SsoIdentity, SsoInstitutionRule, SsoPending, SsoSigningGrant

__all__ = [
    "ApiToken",
    "AuditCheckpoint",
    "AuditEvent",
    "AuthSession",
    "CalendarFeed",
    "Comment",
    "CommentMention",
    "Committee",
    "CommitteeMember",
    "Evidence",
    "Institution",
    "InstitutionBranding",
    "InstitutionLibrary",
    "InstitutionSecurity",
    "LoginThrottle",
    "Membership",
    "MfaPendingLogin",
    "MfaRecoveryCode",
    "Notification",
    "NotificationSettings",
    "PacketDefinitionRecord",
    "PlanningScenario",
    "Program",
    "ProgramItem",
    "Report",
    "Revocation",
    "ServiceAccount",
    "ServiceAccountToken",
    "SignOff",
    "SiteDossier",
    "SsoGroupRole",
    "SsoIdentity",
    "SsoInstitutionRule",
    "SsoPending",
    "SsoSigningGrant",
    "User",
    "UserMfa",
]
