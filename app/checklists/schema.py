"""The checklist library format (see checklists/README.md), as pydantic models.

Vocabulary fields validate with messages a content author understands
("unknown sign-off role 'pharmasist'"), because these errors are read by people editing YAML.
"""

import re
from collections.abc import Sequence
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from app.auth.roles import SIGNING_ROLES


class Criticality(StrEnum):
    BLOCKER = "blocker"
    MAJOR = "major"
    MINOR = "minor"


class CareRole(StrEnum):
    HUB = "hub"
    SPOKE = "spoke"


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

DEFAULT_WEIGHT = {Criticality.BLOCKER: 3, Criticality.MAJOR: 2, Criticality.MINOR: 1}

SEMVER_PATTERN = r"^(0|[1-9]\d{0,5})\.(0|[1-9]\d{0,5})\.(0|[1-9]\d{0,5})$"
_SEMVER = re.compile(SEMVER_PATTERN)
_SLUG = re.compile(r"^[a-z][a-z0-9_-]*$")
_ITEM_ID = re.compile(r"^[A-Z][A-Z0-9]*-\d{3}$")


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
Text = Annotated[str, Field(min_length=1, max_length=4000)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProductDef(_Strict):
    id: Slug
    name: Text
    disease: Slug


class AreaDef(_Strict):
    id: Slug
    title: Text
    description: str = ""


class Applicability(_Strict):
    """Which programs an item applies to; a missing key means every value."""

    products: list[Slug] | None = None
    diseases: list[Slug] | None = None
    care_roles: list[CareRoleName] | None = None

    def matches(self, products: Sequence[str], diseases: Sequence[str], care_role: str) -> bool:
        return (
            (self.products is None or bool(set(self.products) & set(products)))
            and (self.diseases is None or bool(set(self.diseases) & set(diseases)))
            and (self.care_roles is None or care_role in self.care_roles)
        )


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
    applies_to: Applicability = Applicability()
    depends_on: list[ItemId] = []
    renewal_months: Annotated[int, Field(ge=1, le=120)] | None = None
    references: Annotated[list[Text], Field(min_length=1)]

    @property
    def effective_weight(self) -> int:
        return self.weight if self.weight is not None else DEFAULT_WEIGHT[Criticality(self.criticality)]


class LibraryHeader(_Strict):
    """The top of a library file: everything but the items, which may come from part files."""

    kind: Annotated[str, _one_of("kind", ["library"])] = "library"
    id: Slug
    version: SemVer
    title: Text
    description: str = ""
    products: Annotated[list[ProductDef], Field(min_length=1)]
    areas: Annotated[list[AreaDef], Field(min_length=1)]


class PartFile(_Strict):
    area: Slug | None = None
    items: list[dict[str, Any]]


class Library(_Strict):
    id: str
    version: str
    title: str
    description: str
    products: list[ProductDef]
    areas: list[AreaDef]
    items: list[ItemDef]

    @property
    def key(self) -> tuple[str, str]:
        return (self.id, self.version)

    def product(self, product_id: str) -> ProductDef | None:
        return next((p for p in self.products if p.id == product_id), None)

    def diseases_of(self, products: Sequence[str]) -> list[str]:
        return sorted({p.disease for p in self.products if p.id in products})

    def applicable_items(self, products: Sequence[str], care_role: str) -> list[ItemDef]:
        """Items that apply to a program offering `products` in `care_role` (hub or spoke)."""
        diseases = self.diseases_of(products)
        return [item for item in self.items if item.applies_to.matches(products, diseases, care_role)]


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))
