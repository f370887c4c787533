"""Request and response bodies of the programs API."""

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from app.checklists.schema import (
    EVIDENCE_KINDS,
    SEMVER_PATTERN,
    CareRole,
    ChainStep,
    Criticality,
    CriticalityName,
    EvidenceKind,
    Jurisdiction,
    PhaseName,
    SignoffRole,
)
from app.formatting import valid_time_zone
from app.programs.models import ItemStatus
from app.text import NO_NUL, NOT_BLANK, ItemKey, Name, NoNul, Slug, Text

# A computed SQL condition is NULL when its inputs are (no due date): that means "no".
SqlFlag = Annotated[bool, BeforeValidator(lambda value: bool(value))]


class InstitutionCreate(BaseModel):
    name: Name


class InstitutionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    created_at: datetime
    time_zone: str = Field(description="IANA time zone people read times in (pages, exports, reports, emails)")


TimeZoneName = Annotated[str, StringConstraints(max_length=64), AfterValidator(valid_time_zone),
                         Field(examples=["America/New_York"])]


class InstitutionUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    time_zone: TimeZoneName | None = Field(
        default=None, description="IANA time zone name (e.g. America/Chicago, UTC) pages and reports show times in")


class ProgramCreate(BaseModel):
    title: Name
    library_id: Slug = Field(examples=["hemophilia-gt"])
    library_version: str | None = Field(default=None, pattern=SEMVER_PATTERN, description="Defaults to the latest")
    products: Annotated[list[Slug], Field(min_length=1, max_length=20, examples=[["hemgenix"]])]
    care_role: CareRole = Field(description="hub: doses patients; spoke: follows them up")
    jurisdiction: Jurisdiction = Field(
        default=Jurisdiction.US, description="us or eu_uk: items that apply only elsewhere are left out"
    )


class AreaRef(BaseModel):
    id: str
    title: str


class ProgramRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    institution_id: uuid.UUID
    title: str
    products: list[str]
    care_role: CareRole
    jurisdiction: Jurisdiction
    library_id: str
    library_version: str
    areas: list[AreaRef]
    created_at: datetime
    first_patient_target: date | None = None
    warnings: list[str] = Field(
        default=[], description="Product notices: a product being divested, product facts overdue for review"
    )


class SettableStatus(StrEnum):
    """Statuses a person sets directly; `signed_off` comes only from a sign-off."""

    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    NOT_APPLICABLE = "not_applicable"


class ItemRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    program_id: uuid.UUID
    key: str
    area: str
    title: str
    done_when: str
    why: str
    criticality: str
    weight: int
    signoff_role: str
    evidence_kinds: list[str]
    depends_on: list[str]
    renewal_months: int | None
    references: list[str]
    approval_chain: list[dict[str, str]] | None = None
    status: str
    owner_id: uuid.UUID | None
    owner_name: str | None = None
    due_date: date | None
    notes: str
    na_justification: str | None
    completed_at: datetime | None
    lapses_on: date | None
    overdue: SqlFlag = False
    lapsed: SqlFlag = False
    retired: bool
    local: bool = Field(default=False, description="The program's own item (LOC-...), not from the library")
    phase: str | None = Field(default=None, description="A local item's phase; library items keep theirs in the "
                              "library")
    retired_at: datetime | None = None
    retired_reason: str | None = None
    version: int
    updated_at: datetime


# A local item's definition uses the library's own field types (app/checklists/schema.py ItemDef), so a program's
# item obeys the same rules, with the same messages, as a shipped one.
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000), NoNul, NOT_BLANK]
ItemTitle = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=200), NoNul, NOT_BLANK]


class LocalItemFields(BaseModel):
    """The definition fields of a local item, all optional: a change sends only what it changes."""

    model_config = ConfigDict(extra="forbid")

    area: Slug | None = None
    title: ItemTitle | None = None
    done_when: LongText | None = Field(default=None, description="What done means")
    why: LongText | None = Field(default=None, description="Why it matters")
    references: Annotated[list[LongText], Field(min_length=1, max_length=20)] | None = Field(
        default=None, description="Sources: where the requirement comes from (a policy, a statute, a contract)"
    )
    signoff_role: SignoffRole | None = None
    criticality: CriticalityName | None = None
    weight: Annotated[int, Field(ge=1, le=10)] | None = Field(
        default=None, description="Defaults to the criticality's (blocker 3, major 2, minor 1)"
    )
    evidence_kinds: Annotated[list[EvidenceKind], Field(max_length=len(EVIDENCE_KINDS))] | None = None
    renewal_months: Annotated[int, Field(ge=1, le=120)] | None = None
    depends_on: Annotated[list[ItemKey], Field(max_length=100)] | None = None
    phase: PhaseName | None = None
    approval_chain: Annotated[list[ChainStep], Field(min_length=1, max_length=10)] | None = Field(
        default=None, description="Ordered steps (a role or a committee slug, and a meaning) instead of one signature"
    )


class LocalItemCreate(LocalItemFields):
    area: Slug
    title: ItemTitle
    done_when: LongText = Field(description="What done means")
    why: LongText = Field(description="Why it matters")
    references: Annotated[list[LongText], Field(min_length=1, max_length=20)] = Field(
        description="Sources: where the requirement comes from (a policy, a statute, a contract)"
    )
    signoff_role: SignoffRole
    criticality: CriticalityName
    owner_id: uuid.UUID | None = None
    due_date: date | None = None


class LocalItemUpdate(LocalItemFields):
    """Only the fields sent change; `null` clears weight (back to the criticality's) or renewal."""

    version: int | None = Field(default=None, description="The item version this change is based on (or If-Match)")


class LocalItemRetire(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000), NoNul, NOT_BLANK]
    version: int | None = Field(default=None, description="The item version this is based on (or If-Match)")


class ItemUpdate(BaseModel):
    """Only the fields sent are changed; `null` clears owner or due date."""

    model_config = ConfigDict(extra="forbid")

    status: SettableStatus | None = None
    owner_id: uuid.UUID | None = None
    due_date: date | None = None
    notes: Annotated[Text, Field(max_length=10_000)] | None = None
    na_justification: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000), NoNul, NO_NUL] | None
    ) = None
    version: int | None = Field(default=None, description="The item version this change is based on (or If-Match)")


class ItemFilters(BaseModel):
    area: Slug | None = None
    status: ItemStatus | None = None
    owner_id: uuid.UUID | None = None
    overdue: bool | None = None
    lapsed: bool | None = None
    criticality: Criticality | None = None
    include_retired: bool = False


class AreaReadiness(BaseModel):
    id: str
    title: str
    completed_weight: int
    total_weight: int
    ratio: float
    items: int
    by_status: dict[str, int]
    overdue: int
    lapsed: int


class BlockingItem(BaseModel):
    key: str
    title: str
    area: str
    status: str
    owner_id: uuid.UUID | None
    due_date: date | None
    reason: str


class Gate(BaseModel):
    open: bool
    blocking: list[BlockingItem]


class Readiness(BaseModel):
    program_id: uuid.UUID
    as_of: date
    overall_ratio: float
    completed_weight: int
    total_weight: int
    areas: list[AreaReadiness]
    gate: Gate
    overdue: int
    lapsed: int
    planning: dict[str, Any] | None = Field(
        default=None, description="Latest planning scenarios: payer risk level and whether follow-up capacity holds"
    )


class ItemChange(BaseModel):
    key: str
    title: str
    fields: list[str]
    before: dict[str, Any]
    after: dict[str, Any]


class ItemSummary(BaseModel):
    key: str
    title: str
    area: str
    criticality: str


class LibraryDiff(BaseModel):
    program_id: uuid.UUID
    from_version: str
    to_version: str
    added: list[ItemSummary]
    removed: list[ItemSummary]
    changed: list[ItemChange]
    unchanged: int


class UpgradeRequest(BaseModel):
    to_version: Annotated[str, Field(pattern=SEMVER_PATTERN, examples=["1.1.0"])]


class ProjectedItem(BaseModel):
    """One item the first-patient gate waits on, as the projection sees it."""

    key: str
    title: str
    area: str
    criticality: str
    status: str
    due_date: date | None
    finish: date | None = Field(description="Projected finish; null when it depends on an item with no due date")
    overdue: bool = Field(description="Past its due date and not finished: it finishes today at the earliest")
    awaiting_signature: bool = Field(description="Done (or lapsed) but not signed: it finishes when signed")
    slipped_days: int = Field(description="Days its dependencies push it past its own due date")
    slack_days: int | None = Field(description="Days it can slip before the projected gate date moves")
    gate_item: bool = Field(description="A blocker: the gate stays closed until it is signed off")


class ProjectionReason(BaseModel):
    key: str
    title: str
    reason: str


class Projection(BaseModel):
    program_id: uuid.UUID
    as_of: date
    gate_open: bool
    projected_date: date | None = Field(description="When the first-patient gate opens; null when unknown")
    reasons: list[ProjectionReason] = Field(description="Why the date is unknown: items the gate waits on with no "
                                            "due date")
    critical_path: list[ProjectedItem] = Field(
        description="From the gate item that opens last back to the item whose own date sets the projection"
    )
    items: list[ProjectedItem] = Field(description="Every open item the gate waits on, with its slack")
    target: date | None
    slip_days: int | None = Field(description="Days the projection is past the target (0: on time; null: unknown)")
    moved_by: str | None = Field(description="The item that moved the date past the target (last on the path)")
    warning: str | None = None


class TargetUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    first_patient_target: date | None = Field(description="The date the program aims to dose its first patient; "
                                              "null clears it")
