"""The workbook's columns, derived from the library models: a field added to ItemDef (or ProductDef, AreaDef...)
gets a column without touching this file. Scalars are cells, lists of words one value per line, nested models one
column per field (`applies_to.products`), and anything else (a list of mappings such as an approval chain) JSON."""

import types
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from app.auth.roles import SIGNING_ROLES
from app.checklists.schema import (
    EVIDENCE_KINDS,
    AreaDef,
    CareRole,
    Criticality,
    ItemDef,
    Jurisdiction,
    LibraryHeader,
    Phase,
    ProductDef,
    ProductStatus,
    RetiredItem,
)


class Kind(StrEnum):
    TEXT = "text"
    INTEGER = "integer"
    DATE = "date"
    LIST = "list"
    JSON = "json"


KIND_HELP = {
    Kind.TEXT: "text",
    Kind.INTEGER: "a whole number",
    Kind.DATE: "a date (a date cell, or text YYYY-MM-DD)",
    Kind.LIST: "one value per line (Alt+Enter between lines in Excel); values that are codes may also be "
    "separated by ';'",
    Kind.JSON: "JSON text (a list or mapping, as in the YAML file)",
}

# What a vocabulary column may hold; the pydantic validators refuse anything else with the same list.
VOCABULARIES: dict[str, tuple[str, ...]] = {
    "criticality": tuple(c.value for c in Criticality),
    "signoff_role": tuple(sorted(r.value for r in SIGNING_ROLES)),
    "evidence": EVIDENCE_KINDS,
    "phase": tuple(p.value for p in Phase),
    "applies_to.care_roles": tuple(r.value for r in CareRole),
    "applies_to.jurisdictions": tuple(j.value for j in Jurisdiction),
    "jurisdictions": tuple(j.value for j in Jurisdiction),
    "status": tuple(s.value for s in ProductStatus),
}
FORMS = {
    "id": "lowercase-slug (items: PREFIX-123, e.g. PHARM-012)",
    "version": "MAJOR.MINOR.PATCH, e.g. 1.2.0",
    "depends_on": "item ids, e.g. PHARM-012",
    "area": "an area id of the areas sheet",
    "applies_to.products": "product ids of the products sheet; empty: every product",
    "applies_to.diseases": "disease ids of the products sheet; empty: every disease",
    "applies_to.care_roles": "empty: hub and spoke",
    "applies_to.jurisdictions": "empty: every jurisdiction of the library",
    "references": "one source per line: a short name with its full citation in the sources sheet, or the citation",
    "approval_chain": 'the ordered steps, each naming a "role" (a sign-off role) or a "committee" (its id) and the '
    '"meaning" of its signature, e.g. [{"role": "policy_lead", "meaning": "authored"}, {"committee": "pt", '
    '"meaning": "approved"}]; empty: one signature by signoff_role',
}
# Lists of free text (a citation may hold ';'): split on new lines only.
FREE_TEXT_LISTS = frozenset({"references"})


@dataclass(frozen=True)
class Column:
    name: str  # the header cell, e.g. "title" or "applies_to.products"
    path: tuple[str, ...]  # where the value goes in the model's data
    kind: Kind
    required: bool

    @property
    def splits_on_semicolon(self) -> bool:
        return self.kind == Kind.LIST and self.name not in FREE_TEXT_LISTS

    def help(self) -> str:
        parts = [KIND_HELP[self.kind]]
        if self.name in FORMS:
            parts.append(FORMS[self.name])
        if self.name in VOCABULARIES:
            parts.append("allowed: " + ", ".join(VOCABULARIES[self.name]))
        return "; ".join(parts)


def _unwrap(annotation: Any) -> Any:
    """The type under Annotated[...] and `X | None`."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            rest = [a for a in get_args(annotation) if a is not type(None)]
            if len(rest) != 1:
                return annotation
            annotation = rest[0]
        else:
            return annotation


def _kind(annotation: Any) -> Kind:
    base = _unwrap(annotation)
    if get_origin(base) is list:
        return Kind.LIST if _unwrap(get_args(base)[0]) is str else Kind.JSON
    if base is str:
        return Kind.TEXT
    if base is int:
        return Kind.INTEGER
    if base is date:
        return Kind.DATE
    return Kind.JSON


def _flat_model(annotation: Any) -> type[BaseModel] | None:
    """A nested model whose fields are all cells or lists (applies_to): it gets a column per field."""
    base = _unwrap(annotation)
    if (
        isinstance(base, type)
        and issubclass(base, BaseModel)
        and all(_kind(f.annotation) != Kind.JSON for f in base.model_fields.values())
    ):
        return base
    return None


def _required(info: FieldInfo) -> bool:
    return info.is_required()


def columns_of(model: type[BaseModel], skip: frozenset[str] = frozenset()) -> list[Column]:
    columns: list[Column] = []
    for name, info in model.model_fields.items():
        if name in skip:
            continue
        nested = _flat_model(info.annotation)
        if nested is not None:
            columns += [
                Column(f"{name}.{sub}", (name, sub), _kind(sub_info.annotation), False)
                for sub, sub_info in nested.model_fields.items()
            ]
        else:
            columns.append(Column(name, (name,), _kind(info.annotation), _required(info)))
    return columns


# The sheets and their columns. Items: one sheet per area, named by the area's id, the area implied by the sheet.
ITEM_COLUMNS = columns_of(ItemDef, frozenset({"area"}))
PRODUCT_COLUMNS = columns_of(ProductDef)
AREA_COLUMNS = columns_of(AreaDef)
RETIRED_COLUMNS = columns_of(RetiredItem)
# The library sheet is a list of field/value rows, not a table.
LIBRARY_FIELDS = columns_of(LibraryHeader, frozenset({"kind", "products", "areas", "retired"}))
COVERAGE_COLUMNS = [
    Column("framework", ("framework",), Kind.TEXT, True),
    Column("framework_title", ("framework_title",), Kind.TEXT, True),
    Column("framework_source", ("framework_source",), Kind.TEXT, True),
    Column("part", ("part",), Kind.TEXT, True),
    Column("part_title", ("part_title",), Kind.TEXT, True),
    Column("items", ("items",), Kind.LIST, False),
    Column("unmapped_reason", ("unmapped_reason",), Kind.TEXT, False),
]
SOURCE_COLUMNS = [
    Column("reference", ("reference",), Kind.TEXT, True),
    Column("cited_by", ("cited_by",), Kind.LIST, False),
]

README, LIBRARY, AREAS, PRODUCTS, RETIRED, COVERAGE, SOURCES = (
    "README", "library", "areas", "products", "retired", "coverage", "sources",
)
TABLE_SHEETS: dict[str, list[Column]] = {
    AREAS: AREA_COLUMNS, PRODUCTS: PRODUCT_COLUMNS, RETIRED: RETIRED_COLUMNS, COVERAGE: COVERAGE_COLUMNS,
    SOURCES: SOURCE_COLUMNS,
}
RESERVED_SHEETS = (README, LIBRARY, AREAS, PRODUCTS, RETIRED, COVERAGE, SOURCES)
SHEET_PURPOSE = {
    README: "this explanation; ignored on upload",
    LIBRARY: "the library's id, version, title, description and jurisdictions: one field per row (field, value)",
    AREAS: "the areas in order; each area's items are on the sheet named after its id",
    PRODUCTS: "the products the library covers",
    RETIRED: "item ids of earlier versions that may not be reused (optional)",
    COVERAGE: "which items answer each part of a published framework, one part per row (optional)",
    SOURCES: "every reference the items cite, with the items citing it; for reading only, ignored on upload",
}
