"""One item's own history from the audit trail, in plain words: status, owner and due-date changes, evidence,
signatures and revocations, comments, and the library upgrades that touched it. Two queries whatever its length."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlmodel import Session, col

from app.audit.models import AuditEvent
from app.auth.models import User
from app.programs.history import _item_update_words


@dataclass(frozen=True)
class ItemEvent:
    at: datetime
    actor: str
    words: str


def _words(action: str, key: str, before: dict[str, Any], after: dict[str, Any], owners: dict[uuid.UUID, str]) -> str:
    match action:
        case "item.updated":
            return _item_update_words(after, owners) or "updated the item"
        case "item.signed_off":
            meaning = str(after.get("meaning", "")).replace("_", " ")
            return f"signed it off as {meaning}" if meaning else "signed it off"
        case "signoff.revoked":
            return f"revoked the sign-off: {after['reason']}" if after.get("reason") else "revoked the sign-off"
        case "evidence.added":
            return f"attached evidence: {after.get('file', '')}"
        case "evidence.removed":
            lapsed = " (its sign-off lapsed)" if after.get("signature_lapsed") else ""
            return f"removed evidence: {before.get('file', '')}{lapsed}"
        case "comment.added":
            body = str(after.get("body", ""))
            return f"commented: “{body[:117] + '…' if len(body) > 120 else body}”" if body else "commented"
        case "comment.edited":
            return f"edited a comment (version {after.get('version', '?')})"
        case "item.local_created":
            return "added it as a local item (the program's own, not from the library)"
        case "item.local_updated":
            changed = ", ".join(f.replace("_", " ") for f in after if f not in ("version", "status", "lapses_on"))
            reset = "; its sign-off must be given again" if after.get("status") else ""
            return f"changed the local item's {changed}{reset}"
        case "item.local_retired":
            return f"retired it: {after['reason']}" if after.get("reason") else "retired it"
        case "program.library_upgraded":
            change = "added to the program" if key in after.get("added", []) else (
                "retired" if key in after.get("retired", []) else "changed")
            return f"upgraded the library to {after.get('library_version', '?')}: this item was {change}"
    return action.replace(".", " ").replace("_", " ")


def item_history(session: Session, program_id: uuid.UUID, key: str) -> list[ItemEvent]:
    """The item's events, oldest first. Library upgrades are kept only when they added, retired or changed it."""
    rows = session.execute(
        select(col(AuditEvent.at), col(AuditEvent.actor_name), col(AuditEvent.action), col(AuditEvent.before),
               col(AuditEvent.after))
        .where(col(AuditEvent.program_id) == program_id,
               or_(col(AuditEvent.entity_key) == key,
                   col(AuditEvent.action) == "program.library_upgraded"))
        .order_by(col(AuditEvent.seq))
    ).all()
    kept = []
    for at, actor, action, before, after in rows:
        before, after = before or {}, after or {}
        if action == "program.library_upgraded" and key not in {
            *after.get("added", []), *after.get("retired", []), *after.get("changed", [])
        }:
            continue
        if action in ("report.generated", "report.downloaded") or action.startswith("scenario."):
            continue
        kept.append((at, actor, action, before, after))
    owner_ids = {uuid.UUID(a["owner_id"]) for _, _, action, _, a in kept
                 if action == "item.updated" and a.get("owner_id")}
    owners: dict[uuid.UUID, str] = {}
    if owner_ids:
        query = select(col(User.id), col(User.full_name)).where(col(User.id).in_(owner_ids))
        owners = {user_id: name for user_id, name in session.execute(query)}
    return [ItemEvent(at, actor, _words(action, key, before, after, owners))
            for at, actor, action, before, after in kept]
