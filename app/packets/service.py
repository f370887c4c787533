"""Packet definitions: the packaged ones, an institution's adaptations, and which one is in force.

A definition is validated like a checklist library (every problem with its line and field) before anything is
stored; the item keys and areas it names must exist in a loaded library, so a typo cannot silently empty a packet."""

import functools
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlmodel import Session, col

from app.audit.service import record_event
from app.auth.models import User
from app.auth.permissions import require_member
from app.auth.roles import Role
from app.checklists.loader import Catalog
from app.checklists.yaml_source import Problem, YamlSource, parse_yaml
from app.clock import utcnow
from app.config import PROJECT_ROOT
from app.errors import Invalid, NotFound
from app.packets.models import PacketDefinitionRecord
from app.packets.schema import PACKET_KINDS, PacketDefinition, item_tags
from app.packets.schemas import PacketDefinitionRead, PacketKindRead
from app.programs.models import ItemStatus

PACKAGED_DIR = PROJECT_ROOT / "report_templates" / "packets"
EDITORS = {Role.ADMINISTRATOR, Role.CHAMPION}


class PacketDefinitionError(Invalid):
    """A definition that does not validate: `problems` holds each one with its line."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        shown = "; ".join(_describe(p) for p in problems[:10])
        more = f"; and {len(problems) - 10} more" if len(problems) > 10 else ""
        super().__init__(f"packet definition is invalid: {shown}{more}", field="yaml")


def _describe(problem: Problem) -> str:
    return f"line {problem.line}: {problem.message}" if problem.line else problem.message


@dataclass(frozen=True)
class EffectiveDefinition:
    definition: PacketDefinition
    yaml: str
    number: int | None  # None: the packaged definition
    created_by_name: str | None
    created_at: datetime | None


def check_kind(kind: str) -> str:
    if kind not in PACKET_KINDS:
        raise NotFound(f"no packet kind '{kind[:40]}' (there are: {', '.join(PACKET_KINDS)})")
    return kind


def _schema_problems(source: YamlSource, error: ValidationError) -> list[Problem]:
    problems = []
    for detail in error.errors():
        loc = [part for part in detail["loc"] if isinstance(part, str | int)]
        message = "unknown key" if detail["type"] == "extra_forbidden" else detail["msg"].removeprefix("Value error, ")
        field_name = ".".join(str(part) for part in loc) or "value"
        problems.append(source.problem(loc, f"{field_name}: {message}"))
    return problems


def _library_problems(source: YamlSource, definition: PacketDefinition, catalog: Catalog) -> list[Problem]:
    """Item keys and areas must exist in some loaded library."""
    libraries = catalog.all()
    keys = {item.id for lib in libraries for item in lib.items} | {r.id for lib in libraries for r in lib.retired}
    areas = {area.id for lib in libraries for area in lib.areas}
    problems = []
    for index, area in enumerate(definition.include.areas):
        if area not in areas:
            problems.append(source.problem(["include", "areas", index], f"include.areas.{index}: no checklist "
                                           f"library has an area '{area}' (there are: {', '.join(sorted(areas))})"))
    for field_name in ("items", "exclude_items"):
        for index, key in enumerate(getattr(definition.include, field_name)):
            if key not in keys:
                problems.append(source.problem(["include", field_name, index],
                                               f"include.{field_name}.{index}: no checklist library has an item "
                                               f"'{key}'"))
    return problems


def parse_definition(text: str, catalog: Catalog | None, *, name: str = "packet definition",
                     kind: str | None = None) -> PacketDefinition:
    """`text` as a valid definition (of `kind`, if given), or PacketDefinitionError naming each problem's line.

    With a `catalog`, the item keys and areas it names must exist in one of its libraries."""
    source, problems = parse_yaml(Path(name), text)
    if source is None or problems:
        raise PacketDefinitionError(problems)
    if not isinstance(source.data, dict):
        raise PacketDefinitionError([source.problem([], "a packet definition is a mapping of keys (kind, title, "
                                                        "audience, cover_text, signoff_roles, include, decisions)")])
    try:
        definition = PacketDefinition.model_validate(source.data)
    except ValidationError as error:
        raise PacketDefinitionError(_schema_problems(source, error)) from None
    problems = _library_problems(source, definition, catalog) if catalog is not None else []
    if kind is not None and definition.kind != kind:
        problems.insert(0, source.problem(["kind"], f"kind: this is the {kind} packet, but the file says "
                                                    f"'{definition.kind}'"))
    if problems:
        raise PacketDefinitionError(problems)
    return definition


@functools.cache
def _packaged_text(kind: str) -> str:
    return (PACKAGED_DIR / f"{kind}.yaml").read_text(encoding="utf-8")


def packaged_definition(kind: str) -> EffectiveDefinition:
    """The definition shipped with gtready (written for the hemophilia-gt library; tests hold it to that)."""
    text = _packaged_text(check_kind(kind))
    definition = parse_definition(text, None, name=f"report_templates/packets/{kind}.yaml", kind=kind)
    return EffectiveDefinition(definition, text, None, None, None)


def _newest(session: Session, institution_id: uuid.UUID, kind: str) -> PacketDefinitionRecord | None:
    return session.scalars(
        select(PacketDefinitionRecord)
        .where(col(PacketDefinitionRecord.institution_id) == institution_id, col(PacketDefinitionRecord.kind) == kind)
        .order_by(col(PacketDefinitionRecord.number).desc())
        .limit(1)
    ).first()


def effective_definition(session: Session, institution_id: uuid.UUID, kind: str) -> EffectiveDefinition:
    """The institution's newest adapted definition of `kind`, or the packaged one."""
    record = _newest(session, institution_id, check_kind(kind))
    if record is None:
        return packaged_definition(kind)
    # Validated against the libraries when stored; not again, so a library change since (a key retired) leaves
    # the packet without that item rather than impossible to generate.
    definition = parse_definition(record.yaml, None, kind=kind)
    return EffectiveDefinition(definition, record.yaml, record.number, record.created_by_name, record.created_at)


def definition_read(session: Session, user: User, institution_id: uuid.UUID,
                    kind: str) -> PacketDefinitionRead:
    """What GET /api/institutions/{id}/packets/{kind} answers: any member may read it."""
    require_member(session, user, institution_id, what="institution")
    effective = effective_definition(session, institution_id, kind)
    return _read(institution_id, effective)


def _read(institution_id: uuid.UUID, effective: EffectiveDefinition) -> PacketDefinitionRead:
    return PacketDefinitionRead(
        kind=effective.definition.kind, institution_id=institution_id,
        source="packaged" if effective.number is None else "institution", number=effective.number,
        title=effective.definition.title, yaml=effective.yaml, created_by_name=effective.created_by_name,
        created_at=effective.created_at,
    )


def save_definition(session: Session, catalog: Catalog, actor: User, institution_id: uuid.UUID, kind: str,
                    text: str) -> PacketDefinitionRead:
    """Validate and store an adapted definition (administrators and champions); nothing is stored unless valid."""
    require_member(session, actor, institution_id, EDITORS, what="institution")
    check_kind(kind)
    definition = parse_definition(text, catalog, kind=kind)
    last = session.scalar(
        select(func.max(col(PacketDefinitionRecord.number))).where(
            col(PacketDefinitionRecord.institution_id) == institution_id, col(PacketDefinitionRecord.kind) == kind
        )
    )
    record = PacketDefinitionRecord(
        institution_id=institution_id, kind=kind, number=(last or 0) + 1, yaml=text, created_by_id=actor.id,
        created_by_name=actor.full_name, created_at=utcnow(),
    )
    session.add(record)
    session.flush()
    record_event(
        session, actor, "packet_definition.saved", entity="packet_definition", entity_key=f"{kind}#{record.number}",
        institution_id=institution_id, after={"kind": kind, "number": record.number, "title": definition.title},
    )
    session.commit()
    return _read(institution_id, EffectiveDefinition(definition, text, record.number, record.created_by_name,
                                                      record.created_at))


def visible_kinds(session: Session, institution_ids: list[uuid.UUID] | None) -> list[PacketKindRead]:
    """The packaged definitions, then the newest adaptation of each kind in each of `institution_ids` (None: in
    every institution, for a site superuser)."""
    kinds = [
        PacketKindRead(kind=kind, title=d.definition.title, audience=d.definition.audience, institution_id=None,
                       number=None)
        for kind in PACKET_KINDS
        for d in [packaged_definition(kind)]
    ]
    if institution_ids is not None and not institution_ids:
        return kinds
    newest_query = select(col(PacketDefinitionRecord.institution_id), col(PacketDefinitionRecord.kind),
                          func.max(col(PacketDefinitionRecord.number)).label("number"))
    if institution_ids is not None:
        newest_query = newest_query.where(col(PacketDefinitionRecord.institution_id).in_(institution_ids))
    newest = (
        newest_query.group_by(col(PacketDefinitionRecord.institution_id), col(PacketDefinitionRecord.kind))
        .subquery()
    )
    rows = session.scalars(
        select(PacketDefinitionRecord).join(
            newest,
            (col(PacketDefinitionRecord.institution_id) == newest.c.institution_id)
            & (col(PacketDefinitionRecord.kind) == newest.c.kind)
            & (col(PacketDefinitionRecord.number) == newest.c.number),
        ).order_by(col(PacketDefinitionRecord.institution_id), col(PacketDefinitionRecord.kind))
    ).all()
    for row in rows:
        source, _ = parse_yaml(Path("stored"), row.yaml)
        data: Any = source.data if source else {}
        kinds.append(PacketKindRead(kind=row.kind, title=str(data.get("title", row.kind)),
                                    audience=str(data.get("audience", "")), institution_id=row.institution_id,
                                    number=row.number))
    return kinds


def in_scope(definition: PacketDefinition, key: str, area: str, criticality: str, signoff_role: str,
             evidence_kinds: list[str]) -> bool:
    return definition.include.includes(key, area, item_tags(criticality, signoff_role, evidence_kinds))


def awaits_committee(definition: PacketDefinition, status: str, signoff_role: str) -> bool:
    """Whether an item in the packet's scope is a decision this committee is asked for.

    Today: not yet signed off (nor set aside as not applicable) and signed by one of the packet's roles. When
    approval chains name committees, the step naming this packet's committee is checked here, in one place."""
    settled = (ItemStatus.SIGNED_OFF, ItemStatus.NOT_APPLICABLE)
    return status not in settled and signoff_role in definition.signoff_roles
