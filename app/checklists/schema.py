"""The checklist library format (see checklists/README.md), as pydantic models.

Vocabulary fields validate with messages a content author understands
("unknown sign-off role 'pharmasist'"), because these errors are read by people editing YAML.
"""

import re
from collections.abc import Sequence
from datetime import date
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from app.auth.roles import SIGNING_ROLES


class Criticality(StrEnum):
    BLOCKER = "blocker"
    MAJOR = "major"
    MINOR = "minor"


class CareRole(StrEnum):
    HUB = "hub"
    SPOKE = "spoke"


class Jurisdiction(StrEnum):
    """Where a program operates: payer, label and registry rules differ between them."""

    US = "us"
    EU_UK = "eu_uk"


JURISDICTION_LABELS = {Jurisdiction.US.value: "United States", Jurisdiction.EU_UK.value: "EU / UK"}


class ProductStatus(StrEnum):
    """Whether a product can still be bought, and for whom: a discontinued one cannot start a program; a restricted
    one can, but only for the patients its narrowed indication still covers (e.g. Elevidys since November 2025)."""

    ACTIVE = "active"
    DIVESTING = "divesting"
    DISCONTINUED = "discontinued"
    RESTRICTED = "restricted"


# What a program offering a product in each status must do before scheduling a patient.
STATUS_ACTIONS = {
    ProductStatus.DIVESTING.value: "Confirm supply before scheduling a patient.",
    ProductStatus.DISCONTINUED.value: "Confirm supply before scheduling a patient.",
    ProductStatus.RESTRICTED.value: "Check each patient against the restricted indication before ordering.",
}


class Phase(StrEnum):
    """When an item matters: before the first dose, only while dosed patients are followed, or both."""

    PRE_DOSE = "pre_dose"
    POST_DOSE = "post_dose"
    BOTH = "both"


EVIDENCE_KINDS: tuple[str, ...] = (
    "policy_document",
    "sop",
    "committee_approval",
    "training_record",
    "competency_assessment",
    "equipment_qualification",
    "temperature_log",
    "contract",
    "financial_analysis",
    "registry_confirmation",
    "checklist_record",
    "other",
)
# The same kinds in the words a person reads (pages, reports, exports); the codes stay in YAML and the API.
EVIDENCE_KIND_LABELS: dict[str, str] = {
    "policy_document": "Policy document",
    "sop": "Standard operating procedure",
    "committee_approval": "Committee approval",
    "training_record": "Training record",
    "competency_assessment": "Competency assessment",
    "equipment_qualification": "Equipment qualification",
    "temperature_log": "Temperature log",
    "contract": "Contract",
    "financial_analysis": "Financial analysis",
    "registry_confirmation": "Registry confirmation",
    "checklist_record": "Checklist record",
    "other": "Other",
}


def evidence_kind_label(kind: str) -> str:
    """'sop' → 'Standard operating procedure'; a kind not listed reads as its words."""
    return EVIDENCE_KIND_LABELS.get(kind, kind.replace("_", " ").capitalize())

# What a chain step's signature means (app.signoffs.models.Meaning holds the same words).
CHAIN_MEANINGS: tuple[str, ...] = ("authored", "reviewed", "approved")

DEFAULT_WEIGHT = {Criticality.BLOCKER: 3, Criticality.MAJOR: 2, Criticality.MINOR: 1}

SEMVER_PATTERN = r"^(0|[1-9]\d{0,5})\.(0|[1-9]\d{0,5})\.(0|[1-9]\d{0,5})$"
_SEMVER = re.compile(SEMVER_PATTERN)
_SLUG = re.compile(r"^[a-z][a-z0-9_-]*$")
_ITEM_ID = re.compile(r"^[A-Z][A-Z0-9]*-\d{3}$")
# Keys of a program's own (local) items; a library item id may not start with it, so the two never clash.
LOCAL_PREFIX = "LOC-"


def _one_of(what: str, allowed: Sequence[str]) -> Any:
    def check(value: str) -> str:
        if value not in allowed:
            raise ValueError(f"unknown {what} '{value}' (expected one of: {', '.join(allowed)})")
        return value

    return AfterValidator(check)


def _matching(what: str, pattern: re.Pattern[str], example: str) -> Any:
    def check(value: str) -> str:
        if not pattern.match(value):
            raise ValueError(f"{what} '{value}' is not of the form {example}")
        return value

    return AfterValidator(check)


Slug = Annotated[str, _matching("id", _SLUG, "lowercase-slug")]
ItemId = Annotated[str, _matching("item id", _ITEM_ID, "PHARM-012")]
SemVer = Annotated[str, _matching("version", _SEMVER, "1.2.0")]
SignoffRole = Annotated[str, _one_of("sign-off role", sorted(r.value for r in SIGNING_ROLES))]
EvidenceKind = Annotated[str, _one_of("evidence kind", EVIDENCE_KINDS)]
CriticalityName = Annotated[str, _one_of("criticality", [c.value for c in Criticality])]
CareRoleName = Annotated[str, _one_of("care role", [r.value for r in CareRole])]
JurisdictionName = Annotated[str, _one_of("jurisdiction", [j.value for j in Jurisdiction])]
ProductStatusName = Annotated[str, _one_of("product status", [s.value for s in ProductStatus])]
PhaseName = Annotated[str, _one_of("phase", [p.value for p in Phase])]
Text = Annotated[str, Field(min_length=1, max_length=4000)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProductDef(_Strict):
    id: Slug
    name: Text
    disease: Slug
    status: ProductStatusName = ProductStatus.ACTIVE.value
    status_date: date | None = None  # required (by the loader) when the status is not active
    status_source: Text | None = None
    status_note: Text | None = None
    review_by: date | None = None  # the product facts must be checked again by then

    @property
    def discontinued(self) -> bool:
        return self.status == ProductStatus.DISCONTINUED

    def review_overdue(self, today: date) -> bool:
        return self.review_by is not None and self.review_by < today

    def status_text(self) -> str:
        """'Beqvez (...) is discontinued since 2025-02-20 (source: ...): note', for refusals and warnings."""
        text = f"{self.name} is {self.status} since {self.status_date} (source: {self.status_source})"
        # The callers add their own full stop after it.
        return f"{text}: {self.status_note.rstrip('.')}" if self.status_note else text

    def status_action(self) -> str:
        """What to do before scheduling a patient on a product that is not simply active ('' when it is)."""
        return STATUS_ACTIONS.get(self.status, "")


class AreaDef(_Strict):
    id: Slug
    title: Text
    description: str = ""


class Applicability(_Strict):
    """Which programs an item applies to; a missing key means every value."""

    products: list[Slug] | None = None
    diseases: list[Slug] | None = None
    care_roles: list[CareRoleName] | None = None
    jurisdictions: list[JurisdictionName] | None = None

    def matches(
        self, products: Sequence[str], diseases: Sequence[str], care_role: str, jurisdiction: str = Jurisdiction.US
    ) -> bool:
        return (
            (self.products is None or bool(set(self.products) & set(products)))
            and (self.diseases is None or bool(set(self.diseases) & set(diseases)))
            and (self.care_roles is None or care_role in self.care_roles)
            and (self.jurisdictions is None or jurisdiction in self.jurisdictions)
        )


class ChainStep(_Strict):
    """One step of an approval chain: a role or a committee (by slug) signs it, with this meaning."""

    role: SignoffRole | None = None
    committee: Slug | None = None
    meaning: Annotated[str, _one_of("step meaning", list(CHAIN_MEANINGS))]

    @model_validator(mode="after")
    def _role_or_committee(self) -> "ChainStep":
        if (self.role is None) == (self.committee is None):
            raise ValueError("a chain step names exactly one of 'role' or 'committee'")
        return self


class ItemDef(_Strict):
    id: ItemId
    area: Slug
    title: Annotated[str, Field(min_length=3, max_length=200)]
    done_when: Text
    why: Text
    criticality: CriticalityName
    weight: Annotated[int, Field(ge=1, le=10)] | None = None
    signoff_role: SignoffRole
    evidence: list[EvidenceKind] = []
    phase: PhaseName = Phase.BOTH.value
    applies_to: Applicability = Applicability()
    depends_on: list[ItemId] = []
    renewal_months: Annotated[int, Field(ge=1, le=120)] | None = None
    references: Annotated[list[Text], Field(min_length=1)]
    # An ordered chain of signatures instead of one by signoff_role; the item is signed off when the last stands.
    approval_chain: Annotated[list[ChainStep], Field(min_length=1, max_length=10)] | None = None

    @property
    def effective_weight(self) -> int:
        return self.weight if self.weight is not None else DEFAULT_WEIGHT[Criticality(self.criticality)]


class RetiredItem(_Strict):
    """An id that existed in an earlier version: never to be reused for another meaning."""

    id: ItemId
    version: SemVer
    reason: Text


class LibraryHeader(_Strict):
    """The top of a library file: everything but the items, which may come from part files."""

    kind: Annotated[str, _one_of("kind", ["library"])] = "library"
    id: Slug
    version: SemVer
    title: Text
    description: str = ""
    products: Annotated[list[ProductDef], Field(min_length=1)]
    jurisdictions: Annotated[list[JurisdictionName], Field(min_length=1)] = [Jurisdiction.US.value]
    areas: Annotated[list[AreaDef], Field(min_length=1)]
    retired: list[RetiredItem] = []


class CoveragePart(_Strict):
    id: Slug
    title: Text
    items: list[ItemId]
    unmapped_reason: Text | None = None  # required (by the loader) when no item covers the part


class CoverageFramework(_Strict):
    id: Slug
    title: Text
    source: Text
    parts: Annotated[list[CoveragePart], Field(min_length=1)]


class CoverageMap(_Strict):
    """Which library items answer each part of a published framework (coverage.yaml beside library.yaml)."""

    kind: Annotated[str, _one_of("kind", ["coverage"])]
    frameworks: Annotated[list[CoverageFramework], Field(min_length=1)]


class IncludeRef(_Strict):
    """A file of shared (core) items a shipped library takes in, by path relative to the including file."""

    path: Annotated[str, Field(min_length=1, max_length=300)]


class PartFile(_Strict):
    # `kind: core` marks a file of shared items under checklists/core/: never a library of its own.
    kind: Annotated[str, _one_of("kind", ["part", "core"])] = "part"
    area: Slug | None = None
    includes: list[IncludeRef] = []
    items: list[dict[str, Any]]


class Library(_Strict):
    id: str
    version: str
    title: str
    description: str
    products: list[ProductDef]
    jurisdictions: list[str] = [Jurisdiction.US.value]
    areas: list[AreaDef]
    items: list[ItemDef]
    retired: list[RetiredItem] = []
    coverage: CoverageMap | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.id, self.version)

    def overdue_reviews(self, today: date) -> list[ProductDef]:
        """Products whose facts were due for review before `today`."""
        return [p for p in self.products if p.review_overdue(today)]

    def product(self, product_id: str) -> ProductDef | None:
        return next((p for p in self.products if p.id == product_id), None)

    def diseases_of(self, products: Sequence[str]) -> list[str]:
        return sorted({p.disease for p in self.products if p.id in products})

    def applicable_items(
        self, products: Sequence[str], care_role: str, jurisdiction: str = Jurisdiction.US
    ) -> list[ItemDef]:
        """Items that apply to a program offering `products` in `care_role` (hub or spoke) and `jurisdiction`.

        A pre-dose overlay item applies only through products still on the market: nobody will be dosed with a
        discontinued one, so its preparation steps retire while its post-dose follow-up stays."""
        diseases = self.diseases_of(products)
        dosable = [p for p in products if (d := self.product(p)) is None or not d.discontinued]
        return [
            item
            for item in self.items
            if item.applies_to.matches(products, diseases, care_role, jurisdiction)
            and not (
                item.phase == Phase.PRE_DOSE
                and item.applies_to.products is not None
                and not set(item.applies_to.products) & set(dosable)
            )
        ]


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))
