"""What a report says: the snapshot its PDF is rendered from (and re-verified against)."""

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from app.audit.schemas import AuditHead
from app.branding.schemas import ReportBranding
from app.text import NO_NUL, NoNul


class ReportKind(StrEnum):
    """The steering committee's full report and executive summary, and a packet per deciding audience (defined
    as data in report_templates/packets/<kind>.yaml, adaptable per institution)."""

    FULL = "full"
    EXECUTIVE = "executive"
    PT_COMMITTEE = "pt-committee"
    IBC = "ibc"
    FINANCE = "finance"
    MEC = "mec"

    @property
    def is_packet(self) -> bool:
        return self not in (ReportKind.FULL, ReportKind.EXECUTIVE)

    @property
    def label(self) -> str:
        return REPORT_KIND_LABELS[self]


REPORT_KIND_LABELS = {
    ReportKind.FULL: "Full report",
    ReportKind.EXECUTIVE: "Executive summary",
    ReportKind.PT_COMMITTEE: "P&T committee packet",
    ReportKind.IBC: "Biosafety committee packet",
    ReportKind.FINANCE: "Finance packet",
    ReportKind.MEC: "Medical executive committee packet",
}


class ReportSignature(BaseModel):
    signer_name: str
    role: str
    meaning: str
    signed_at: datetime


class ReportItem(BaseModel):
    key: str
    title: str
    criticality: str
    status: str
    owner_name: str | None
    due_date: date | None
    overdue: bool
    lapsed: bool
    lapses_on: date | None
    notes: str
    signature: ReportSignature | None
    # The program's own item, not the library's. Left out of the snapshot when false, so reports made before local
    # items existed still hash (and verify) as they did.
    local: bool = Field(default=False, exclude_if=lambda value: not value)


class ReportArea(BaseModel):
    id: str
    title: str
    ratio: float
    completed_weight: int
    total_weight: int
    overdue: int
    lapsed: int
    items: list[ReportItem]


class ReportBlocker(BaseModel):
    key: str
    title: str
    area: str
    reason: str


class ReportRisk(BaseModel):
    severity: str  # high | moderate
    text: str


class ReportChanges(BaseModel):
    previous_number: str | None
    previous_date: datetime | None
    newly_signed: list[str]  # "PHARM-012 Storage equipment qualified"
    overall_delta: float | None
    area_deltas: dict[str, float]


class RegisterEntry(BaseModel):
    item_key: str
    signer_name: str
    role: str
    meaning: str
    statement: str
    signed_at: datetime
    revoked: str | None  # "by X on date: reason"


class EvidenceEntry(BaseModel):
    item_key: str
    file: str
    kind: str
    sha256: str
    uploaded_by: str
    uploaded_at: datetime
    expires_on: date | None


class Assumption(BaseModel):
    label: str
    value: str


class ReimbursementSection(BaseModel):
    scenario: str
    patients: int
    expected_loss_per_patient: float
    expected_loss_per_year: float
    loss_mean: float
    loss_median: float
    loss_p90: float
    loss_p95: float
    peak_cash_outstanding: float
    peak_cash_month: int
    peak_cash_outstanding_worst_case: float
    risk_level: str
    loss_share_of_cost: float
    top_sensitivity: list[Assumption]
    cash_series: list[tuple[int, float, float]]  # month, expected, worst case
    assumptions: list[Assumption]
    method: str


class CapacitySection(BaseModel):
    scenario: str
    capacity_holds: bool
    first_shortfall_year: int | None
    extra_visit_slots_needed: int
    extra_coordinator_fte_needed: float
    extra_lab_capacity_needed: int
    years: list[tuple[int, float, float, int]]  # year, patients, visits needed, visit slots
    assumptions: list[Assumption]
    method: str


class UnreadableScenarioSection(BaseModel):
    """The latest scenario of a model that cannot be run: the report says so instead of showing results."""

    kind: str
    scenario: str
    problem: str


class ReportProjection(BaseModel):
    """The first-patient projection as the report states it in one line."""

    gate_open: bool
    projected_date: date | None
    target: date | None
    slip_days: int | None
    moved_by: str | None
    moved_by_title: str | None
    unknown_because: list[str] = Field(default_factory=list, description="Keys of items without a due date")


class DecisionRequested(BaseModel):
    key: str
    title: str
    area: str
    status: str
    signoff_role: str
    owner_name: str | None
    due_date: date | None


class InstitutionProgramRow(BaseModel):
    """One program of the institution as the side-by-side table shows it."""

    program_id: uuid.UUID
    title: str
    library: str  # "hemophilia-gt 1.4.0"
    care_role: str
    products: list[str]
    overall_ratio: float
    gate_open: bool
    blockers: int
    planned_patients: int | None  # None: no capacity scenario saved, so the program is not counted below


class SharedResourceRow(BaseModel):
    """One shared resource in its decisive plan year: the first over capacity, or else the busiest."""

    resource: str
    period: int
    by_program: list[tuple[str, float]]  # program title, demand in that year
    total: float
    capacity: float | None
    capacity_source: str
    over: bool
    over_periods: list[int]  # every plan year the combined demand exceeds the capacity


class InstitutionProgramsSection(BaseModel):
    """Every program of the report's institution side by side, and their demand on the resources they share."""

    institution: str
    period: str  # what one period of the shared view is ("plan year")
    programs: list[InstitutionProgramRow]
    programs_without_scenario: list[str]
    resources: list[SharedResourceRow]


class PacketSection(BaseModel):
    """What makes a report a committee packet: its definition as used, and what it asks the committee."""

    kind: str
    title: str
    audience: str
    cover_text: str
    definition_number: int | None  # the institution's adapted definition; None for the packaged one
    signoff_roles: list[str]
    decisions: list[str]
    decisions_requested: list[DecisionRequested]
    included_items: int
    areas_included: list[str]  # titles of the areas with at least one included item
    evidence_included: bool
    models: list[str]  # "reimbursement", "capacity"
    # Extra sections the definition asks for ("institution_programs"); left out when none, so older packets keep
    # their hash.
    sections: list[str] = Field(default_factory=list, exclude_if=lambda v: not v)


class ReportData(BaseModel):
    number: str
    kind: ReportKind
    generated_at: datetime
    prepared_for: str
    prepared_by: str
    institution: str
    program_id: uuid.UUID
    program_title: str
    products: list[str]
    care_role: str
    library: str
    overall_ratio: float
    areas: list[ReportArea]
    gate_open: bool
    blocking: list[ReportBlocker]
    overdue: int
    lapsed: int
    top_risks: list[ReportRisk]
    changes: ReportChanges
    signoff_register: list[RegisterEntry]
    evidence: list[EvidenceEntry]
    reimbursement: ReimbursementSection | None = None
    capacity: CapacitySection | None = None
    # The audit trail's newest event as the snapshot was taken: an anchor `gtready audit verify` holds the trail to.
    audit_head: AuditHead | None = Field(default=None, exclude_if=lambda v: v is None)
    # Added after the first reports were stored: left out of the snapshot when unset, so older reports keep their hash.
    jurisdiction: str | None = Field(default=None, exclude_if=lambda v: v is None)
    product_notices: list[str] = Field(default_factory=list, exclude_if=lambda v: not v)
    overdue_reviews: list[str] = Field(default_factory=list, exclude_if=lambda v: not v)
    # left out of the snapshot when empty, so reports stored before the field existed keep their hash
    unreadable_scenarios: list[UnreadableScenarioSection] = Field(default_factory=list, exclude_if=lambda v: not v)
    # The first-patient projection as of the snapshot; left out when unset, so older reports keep their hash.
    projection: ReportProjection | None = Field(default=None, exclude_if=lambda v: v is None)
    # The institution's time zone the report shows times in; left out when UTC, so older reports keep their hash.
    time_zone: str | None = Field(default=None, exclude_if=lambda v: v is None)
    # The institution's logo, name line and colours as generated (app/branding); left out when none was set.
    branding: ReportBranding | None = Field(default=None, exclude_if=lambda v: v is None)
    # Set for committee packets only; left out otherwise, so full and executive reports keep their hash.
    packet: PacketSection | None = Field(default=None, exclude_if=lambda v: v is None)
    # The institution's programs side by side with their shared resources (full reports, and packets whose
    # definition asks for it); left out when unset, so older reports keep their hash.
    institution_programs: InstitutionProgramsSection | None = Field(default=None, exclude_if=lambda v: v is None)


class ReportRequest(BaseModel):
    kind: ReportKind = ReportKind.FULL
    prepared_for: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), NoNul, NO_NUL] = Field(
        default="Gene therapy program steering committee"
    )


class ReportRead(BaseModel):
    number: str
    program_id: uuid.UUID
    kind: ReportKind
    created_by_name: str
    created_at: datetime
    data_sha256: str
    pdf_sha256: str
    pages: int
    finalised_at: datetime | None = Field(default=None, description="Null while the report is a draft")
    finalised_by_name: str | None = None


class ReportVerification(BaseModel):
    matches: bool
    number: str | None = None
    program: str | None = None
    institution: str | None = None
    generated_at: datetime | None = None
    generated_by: str | None = None
    overall_ratio: float | None = None
    gate_open: bool | None = None
    data_sha256: str | None = None
    pdf: Literal["draft", "final"] | None = Field(
        default=None, exclude_if=lambda v: v is None,
        description="Verifying a PDF file: whether it is the report's draft PDF or its final one",
    )


class ReportJobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class ReportJobRead(BaseModel):
    """A report generated in the background: where it stands, then its number (or why it failed)."""

    id: uuid.UUID
    program_id: uuid.UUID
    kind: ReportKind | str  # a kind a newer server queued stays readable
    prepared_for: str
    state: ReportJobState
    step: str = Field(description="What it is doing now, in words")
    progress: float = Field(ge=0, le=1, description="Fraction done, 0 to 1")
    requested_by_name: str
    report_number: str | None = Field(default=None, description="Once done: the stored report's number")
    error: str = Field(description="Once failed: why, in words")
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
