"""Bulk edits: one change (owner, due date or status) applied to many items, each through the single-item path.

Each row goes through `item_for_change` and `service.update_item` exactly as one edit would: the same permission,
validation, version check and audit event per item. A row that fails does not stop the others; every row says
what happened to it.
"""

import uuid
from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlmodel import Session

from app.auth.models import User
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.programs import service
from app.programs.access import item_for_change, program_for
from app.programs.item_query import ItemSelection, matching_keys
from app.programs.schemas import ItemUpdate, SettableStatus
from app.text import ItemKey

MAX_ITEMS = 1000
Outcome = Literal["done", "unchanged", "refused", "conflict"]


class BulkChange(BaseModel):
    """The change to apply; only the fields sent change, and `null` clears owner or due date."""

    model_config = ConfigDict(extra="forbid")

    owner_id: uuid.UUID | None = None
    due_date: date | None = None
    status: SettableStatus | None = None

    @model_validator(mode="after")
    def _something(self) -> "BulkChange":
        if not self.model_fields_set:
            raise ValueError("send at least one of owner_id, due_date or status")
        if "status" in self.model_fields_set and self.status is None:
            raise ValueError("status cannot be cleared")
        return self


class BulkEdit(BaseModel):
    """Which items (their keys, or every item a selection matches), the versions the caller saw, and the change."""

    model_config = ConfigDict(extra="forbid")

    keys: Annotated[list[ItemKey], Field(max_length=MAX_ITEMS)] | None = None
    selection: ItemSelection | None = Field(default=None, description="Instead of keys: every item this matches")
    versions: Annotated[dict[ItemKey, int], Field(max_length=MAX_ITEMS)] = Field(
        default_factory=dict,
        description="The version of each item the caller saw; a row changed since answers 'conflict'. A key "
        "without a version is changed as it now stands.",
    )
    change: BulkChange

    @model_validator(mode="after")
    def _one_target(self) -> "BulkEdit":
        if (self.keys is None) == (self.selection is None):
            raise ValueError("send either keys or selection")
        return self


class BulkRow(BaseModel):
    key: str
    outcome: Outcome
    reason: str | None = Field(default=None, description="Why a row was refused or conflicted, in words")
    version: int | None = Field(default=None, description="The item's version after this edit")


class BulkResult(BaseModel):
    rows: list[BulkRow]
    done: int
    unchanged: int
    refused: int
    conflict: int


def bulk_edit(session: Session, program_id: uuid.UUID, edit: BulkEdit, actor: User) -> BulkResult:
    """Apply `edit.change` to each selected item, one at a time; return every row's outcome."""
    program_for(session, actor, program_id)
    if edit.selection is not None:
        keys = matching_keys(session, program_id, edit.selection)[:MAX_ITEMS]
    else:
        keys = list(dict.fromkeys(edit.keys or []))
    update = ItemUpdate.model_validate(edit.change.model_dump(include=edit.change.model_fields_set))
    rows = [_edit_one(session, program_id, key, edit.versions.get(key), update, actor) for key in keys]
    counts = {outcome: sum(1 for r in rows if r.outcome == outcome)
              for outcome in ("done", "unchanged", "refused", "conflict")}
    return BulkResult(rows=rows, **counts)


def _edit_one(
    session: Session, program_id: uuid.UUID, key: str, seen: int | None, update: ItemUpdate, actor: User
) -> BulkRow:
    try:
        item = item_for_change(session, actor, program_id, key)
    except (Forbidden, NotFound) as error:
        return BulkRow(key=key, outcome="refused", reason=error.detail)
    current = item.version
    if seen is not None and seen != current:
        return BulkRow(key=key, outcome="conflict", version=current,
                       reason=f"changed by someone else since you loaded the page (version {seen}, now {current})")
    try:
        updated, before = service.update_item(session, program_id, key, update, current, actor=actor)
    except Invalid as error:
        return BulkRow(key=key, outcome="refused", reason=error.detail, version=current)
    except Conflict as error:
        session.rollback()
        now = service.get_item(session, program_id, key).version
        if now != current:  # lost a race between our read and the update
            return BulkRow(key=key, outcome="conflict", reason=error.detail, version=now)
        return BulkRow(key=key, outcome="refused", reason=error.detail, version=now)
    return BulkRow(key=key, outcome="done" if before else "unchanged", version=updated.version)
