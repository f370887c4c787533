"""The packet definition format (report_templates/packets/<kind>.yaml), as strict pydantic models.

A packet is a report for one deciding audience: which items it covers (areas, item keys, tags), which planning
model results it shows, whether its evidence index is printed, and the decisions it asks for. Messages are read by
people editing YAML, so they name the value and what was expected."""

import re
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from app.auth.roles import SIGNING_ROLES
from app.checklists.schema import EVIDENCE_KINDS, Criticality, ItemId, SignoffRole, Slug


class PacketKind(StrEnum):
    PT_COMMITTEE = "pt-committee"
    IBC = "ibc"
    FINANCE = "finance"
    MEC = "mec"


PACKET_KINDS: tuple[str, ...] = tuple(k.value for k in PacketKind)

# Checklist items carry no free tags; a packet selects by the attributes every item has, written as tags:
# criticality:blocker, role:pharmacy_lead (the sign-off role), evidence:financial_analysis (an evidence kind).
_TAG = re.compile(r"^(criticality|role|evidence):([a-z_]+)$")
_TAG_VALUES: dict[str, list[str]] = {
    "criticality": [c.value for c in Criticality],
    "role": sorted(r.value for r in SIGNING_ROLES),
    "evidence": list(EVIDENCE_KINDS),
}


def _check_tag(value: str) -> str:
    match = _TAG.match(value)
    if not match:
        raise ValueError(f"tag '{value}' is not of the form criticality:NAME, role:NAME or evidence:NAME")
    prefix, name = match.groups()
    allowed = _TAG_VALUES[prefix]
    if name not in allowed:
        raise ValueError(f"unknown {prefix} '{name}' in tag '{value}' (expected one of: {', '.join(allowed)})")
    return value


def _check_kind(value: str) -> str:
    if value not in PACKET_KINDS:
        raise ValueError(f"unknown packet kind '{value}' (expected one of: {', '.join(PACKET_KINDS)})")
    return value


Tag = Annotated[str, AfterValidator(_check_tag)]
KindName = Annotated[str, AfterValidator(_check_kind)]
Text = Annotated[str, Field(min_length=1, max_length=4000)]
Line = Annotated[str, Field(min_length=3, max_length=200)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Scope(_Strict):
    """An item is in the packet if it is in one of `areas`, is named in `items` or carries one of `tags`,
    and is not named in `exclude_items`."""

    areas: list[Slug] = []
    items: list[ItemId] = []
    tags: list[Tag] = []
    exclude_items: list[ItemId] = []

    @model_validator(mode="after")
    def _selects_something(self) -> "Scope":
        if not (self.areas or self.items or self.tags):
            raise ValueError("include selects nothing: name at least one of areas, items or tags")
        return self

    def includes(self, key: str, area: str, tags: set[str]) -> bool:
        if key in self.exclude_items:
            return False
        return area in self.areas or key in self.items or bool(tags & set(self.tags))


class ModelResults(_Strict):
    reimbursement: bool = False  # the payer reimbursement scenario's results
    capacity: bool = False  # the 15-year follow-up capacity scenario's results


class SectionKind(StrEnum):
    """Sections a definition may add beyond its items, models and evidence."""

    # every program of the institution side by side, and the resources they share counted once
    INSTITUTION_PROGRAMS = "institution_programs"


class PacketDefinition(_Strict):
    kind: KindName
    title: Line
    audience: Line
    cover_text: Text
    # The sign-off roles that stand for this committee's decisions: an item in scope, not yet signed off and
    # signed by one of these roles is listed under "decisions requested".
    signoff_roles: Annotated[list[SignoffRole], Field(min_length=1)]
    include: Scope
    models: ModelResults = ModelResults()
    evidence: bool = True  # print the evidence index of the included items
    sections: list[SectionKind] = []  # extra sections, in the order they are printed
    decisions: Annotated[list[Text], Field(min_length=1, max_length=30)]


def item_tags(criticality: str, signoff_role: str, evidence_kinds: list[str]) -> set[str]:
    """The tags an item carries, derived from its attributes (see Tag)."""
    return {f"criticality:{criticality}", f"role:{signoff_role}", *(f"evidence:{k}" for k in evidence_kinds)}
