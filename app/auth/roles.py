"""Roles a member can hold in an institution. Pure vocabulary: no database, no FastAPI."""

from enum import StrEnum


class Role(StrEnum):
    CHAMPION = "champion"
    PHARMACY_LEAD = "pharmacy_lead"
    POLICY_LEAD = "policy_lead"
    EDUCATION_LEAD = "education_lead"
    FOLLOWUP_COORDINATOR = "followup_coordinator"
    FINANCE_LEAD = "finance_lead"
    ADMINISTRATOR = "administrator"
    VIEWER = "viewer"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS: dict[Role, str] = {
    Role.CHAMPION: "Program champion",
    Role.PHARMACY_LEAD: "Pharmacy lead",
    Role.POLICY_LEAD: "Policy lead",
    Role.EDUCATION_LEAD: "Education lead",
    Role.FOLLOWUP_COORDINATOR: "Follow-up coordinator",
    Role.FINANCE_LEAD: "Finance lead",
    Role.ADMINISTRATOR: "Administrator",
    Role.VIEWER: "Viewer",
}

# A viewer reads; every other role may be named as the one that signs an item off.
SIGNING_ROLES: frozenset[Role] = frozenset(Role) - {Role.VIEWER}
