"""Moving a program to a newer library version: show the difference, then apply it keeping all state."""

import uuid
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.audit.service import record_event
from app.auth.models import User
from app.checklists.loader import Catalog
from app.checklists.schema import ItemDef, version_key
from app.clock import utcnow
from app.errors import Invalid
from app.institution_libraries.catalog import institution_catalog
from app.programs.models import ItemStatus, Program, ProgramItem
from app.programs.schemas import ItemChange, ItemSummary, LibraryDiff
from app.programs.service import (
    DEFINITION_FIELDS,
    applicable_definitions,
    check_jurisdiction,
    get_library,
    get_program,
    item_definition,
)


def _summary(key: str, definition: dict[str, Any]) -> ItemSummary:
    return ItemSummary(
        key=key, title=definition["title"], area=definition["area"], criticality=definition["criticality"]
    )


def _plan(
    session: Session, catalog: Catalog, program: Program, to_version: str
) -> tuple[LibraryDiff, list[ProgramItem], dict[str, ItemDef]]:
    if version_key(to_version) <= version_key(program.library_version):
        raise Invalid(
            f"{to_version} is not newer than the program's {program.library_version}", field="to_version"
        )
    catalog = institution_catalog(session, catalog, program.institution_id, program.library_id)
    library = get_library(catalog, program.library_id, to_version)
    current = list(
        session.scalars(
            # Local items are the program's own: a library version neither changes nor retires them.
            select(ProgramItem).where(
                col(ProgramItem.program_id) == program.id, ~col(ProgramItem.retired), ~col(ProgramItem.local)
            )
        )
    )
    check_jurisdiction(library, program.jurisdiction)
    definitions = applicable_definitions(library, program.products, program.care_role, program.jurisdiction)
    wanted = {d.id: d for d in definitions}
    existing = {item.key: item for item in current}
    changed = []
    for item in current:
        if item.key not in wanted:
            continue
        before = {f: getattr(item, f) for f in DEFINITION_FIELDS}
        after = item_definition(wanted[item.key])
        fields = [f for f in DEFINITION_FIELDS if before[f] != after[f]]
        if fields:
            changed.append(
                ItemChange(
                    key=item.key,
                    title=after["title"],
                    fields=fields,
                    before={f: before[f] for f in fields},
                    after={f: after[f] for f in fields},
                )
            )
    diff = LibraryDiff(
        program_id=program.id,
        from_version=program.library_version,
        to_version=library.version,
        added=[_summary(k, item_definition(d)) for k, d in wanted.items() if k not in existing],
        removed=[_summary(i.key, item_definition_of(i)) for i in current if i.key not in wanted],
        changed=changed,
        unchanged=sum(1 for i in current if i.key in wanted) - len(changed),
    )
    return diff, current, wanted


def item_definition_of(item: ProgramItem) -> dict[str, Any]:
    return {f: getattr(item, f) for f in DEFINITION_FIELDS}


def library_diff(session: Session, catalog: Catalog, program_id: uuid.UUID, to_version: str) -> LibraryDiff:
    """Items a move to `to_version` would add, retire and change for this program."""
    diff, _, _ = _plan(session, catalog, get_program(session, program_id), to_version)
    return diff


def upgrade_program(
    session: Session, catalog: Catalog, program_id: uuid.UUID, to_version: str, actor: User | None = None
) -> LibraryDiff:
    """Apply a library version. Unchanged items keep their state; a changed signed-off item needs signing
    again (its signature attested the old text), so it returns to done; removed items are retired, not deleted.
    """
    program = get_program(session, program_id)
    diff, current, wanted = _plan(session, catalog, program, to_version)
    own = institution_catalog(session, catalog, program.institution_id, program.library_id)
    library = get_library(own, program.library_id, to_version)
    changed_keys = {change.key for change in diff.changed}
    now = utcnow()
    for item in current:
        if item.key not in wanted:
            item.retired = True
        elif item.key in changed_keys:
            for field, value in item_definition(wanted[item.key]).items():
                setattr(item, field, value)
            if item.status == ItemStatus.SIGNED_OFF:
                item.status = ItemStatus.DONE
                item.lapses_on = None
        else:
            continue
        item.version += 1
        item.updated_at = now
    positions = {key: index for index, key in enumerate(wanted)}
    for item in current:
        if item.key in positions:
            item.position = positions[item.key]
    retired_keys = set(
        session.scalars(
            select(col(ProgramItem.key)).where(
                col(ProgramItem.program_id) == program.id, col(ProgramItem.retired), ~col(ProgramItem.local)
            )
        )
    )
    for added in diff.added:
        if added.key in retired_keys:  # an item that comes back: revive its row, history and all
            revived = session.scalars(
                select(ProgramItem).where(col(ProgramItem.program_id) == program.id, col(ProgramItem.key) == added.key)
            ).one()
            for field, value in item_definition(wanted[added.key]).items():
                setattr(revived, field, value)
            revived.retired, revived.position, revived.version = False, positions[added.key], revived.version + 1
        else:
            session.add(
                ProgramItem(
                    program_id=program.id,
                    key=added.key,
                    position=positions[added.key],
                    **item_definition(wanted[added.key]),
                )
            )
    program.library_version = library.version
    program.areas = [{"id": a.id, "title": a.title} for a in library.areas]
    program.updated_at = now
    session.flush()
    record_event(
        session, actor, "program.library_upgraded", entity="program", institution_id=program.institution_id,
        program_id=program.id, before={"library_version": diff.from_version},
        after={"library_version": diff.to_version, "added": [i.key for i in diff.added],
               "retired": [i.key for i in diff.removed], "changed": [c.key for c in diff.changed]},
    )
    session.commit()
    return diff
