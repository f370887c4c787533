"""What happened to programs, told from the audit trail: recent activity in plain words, and overall readiness
over time, reconstructed from item status changes, sign-offs, revocations and library upgrades.

Both read several programs at once in a constant number of queries (a dashboard never queries per program).
"""

import heapq
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from markupsafe import Markup, escape
from sqlalchemy import and_, or_, select, union_all
from sqlmodel import Session, col

from app.audit.models import AuditEvent
from app.auth.models import User
from app.clock import utcnow
from app.programs.models import ItemStatus, Program, ProgramItem
from app.programs.rules import counts_as_complete

# The events that change which items count, or whether they are complete.
STATUS_ACTIONS = ("program.created", "item.updated", "item.signed_off", "signoff.revoked", "program.library_upgraded",
                  "item.local_created", "item.local_updated", "item.local_retired")

STATUS_WORDS = {
    "not_started": "not started",
    "in_progress": "in progress",
    "done": "done, awaiting sign-off",
    "signed_off": "signed off",
    "not_applicable": "not applicable",
}


@dataclass(frozen=True)
class ReadinessPoint:
    at: datetime
    ratio: float  # weighted completion, 0..1, as the dashboard's overall figure counts it


@dataclass
class _Tracked:
    status: str
    weight: int
    criticality: str
    counted: bool  # False for items a library upgrade had not added yet, or retired


def _weights(item: _Tracked) -> tuple[int, int]:
    """What one item adds to overall readiness: (completed weight, counted weight). Lapses are not part of the
    history: they follow from dates outside the audit trail (renewals, evidence expiry), so a past point counts
    signed items as signed."""
    if not item.counted or item.status == ItemStatus.NOT_APPLICABLE:
        return 0, 0
    done = item.weight if counts_as_complete(item.status, item.criticality, None, date.max) else 0
    return done, item.weight


@dataclass
class _Overall:
    """Running completed and counted weight of a program's items, kept up to date item by item as the trail is
    walked back, so each step costs the items it touches rather than all of them (a dashboard walks thousands
    of events of programs with hundreds of items)."""

    done: int = 0
    total: int = 0

    def add(self, item: _Tracked, sign: int = 1) -> None:
        done, total = _weights(item)
        self.done += sign * done
        self.total += sign * total

    @property
    def ratio(self) -> float:
        return round(self.done / self.total, 4) if self.total else 1.0


def _overall(items: Iterable[_Tracked]) -> _Overall:
    overall = _Overall()
    for item in items:
        overall.add(item)
    return overall


def _touched(action: str, key: str, after: dict[str, Any]) -> list[str]:
    """The items an event may have changed."""
    if action == "program.library_upgraded":
        return [*after.get("added", []), *after.get("retired", [])]
    return [key]


def _undo(items: dict[str, _Tracked], action: str, key: str, before: dict[str, Any], after: dict[str, Any]) -> None:
    """Step the item states back to just before this event."""
    if action == "program.library_upgraded":
        for added in after.get("added", []):
            if added in items:
                items[added].counted = False
        for retired in after.get("retired", []):
            if retired in items:
                items[retired].counted = True
    elif action in ("item.local_created", "item.local_retired"):  # before it was added, after it was retired
        if key in items:
            items[key].counted = action == "item.local_retired"
    elif key in items and "status" in before and (action != "item.updated" or "status" in after):
        items[key].status = before["status"]


def _status_events(session: Session, ids: list[uuid.UUID]) -> list[tuple[Any, ...]]:
    """The events that can move readiness, newest first, as (program, at, action, key, before, after).

    Status changes are read as the two status strings only, not their whole JSON documents (a dashboard reads
    thousands), and item updates that did not touch the status are left in the database. Library upgrades,
    which are rare, are read whole."""
    before_status = col(AuditEvent.before)["status"].as_string()
    after_status = col(AuditEvent.after)["status"].as_string()
    of_programs = col(AuditEvent.program_id).in_(ids)
    changes = session.execute(
        select(col(AuditEvent.seq), col(AuditEvent.program_id), col(AuditEvent.at), col(AuditEvent.action),
               col(AuditEvent.entity_key), before_status, after_status)
        .where(of_programs, col(AuditEvent.action).in_([a for a in STATUS_ACTIONS if a != "program.library_upgraded"]),
               or_(col(AuditEvent.action) != "item.updated", after_status.is_not(None)))
        .order_by(col(AuditEvent.seq).desc())
    ).all()
    upgrades = session.execute(
        select(col(AuditEvent.seq), col(AuditEvent.program_id), col(AuditEvent.at), col(AuditEvent.action),
               col(AuditEvent.entity_key), col(AuditEvent.after))
        .where(of_programs, col(AuditEvent.action) == "program.library_upgraded")
        .order_by(col(AuditEvent.seq).desc())
    ).all()
    Row = tuple[int, tuple[Any, ...]]
    status_rows: Iterable[Row] = (
        (seq, (program_id, at, action, key, {"status": old} if old else {}, {"status": new} if new else {}))
        for seq, program_id, at, action, key, old, new in changes
    )
    upgrade_rows: Iterable[Row] = (
        (seq, (program_id, at, action, key, {}, after or {})) for seq, program_id, at, action, key, after in upgrades
    )
    return [row for _, row in heapq.merge(status_rows, upgrade_rows, key=lambda pair: pair[0], reverse=True)]


def readiness_history(session: Session, programs: Sequence[Program]) -> dict[uuid.UUID, list[ReadinessPoint]]:
    """Each program's overall readiness after every change that moved it, from its opening to now, oldest
    first. Walks the audit trail backwards from the items' current states; two queries for any number of
    programs."""
    ids = [p.id for p in programs]
    now = utcnow()
    items: dict[uuid.UUID, dict[str, _Tracked]] = {program_id: {} for program_id in ids}
    for program_id, key, status, weight, criticality, retired in session.execute(
        select(col(ProgramItem.program_id), col(ProgramItem.key), col(ProgramItem.status),
               col(ProgramItem.weight), col(ProgramItem.criticality), col(ProgramItem.retired))
        .where(col(ProgramItem.program_id).in_(ids))
    ):
        items[program_id][key] = _Tracked(status, weight, criticality, not retired)
    events = _status_events(session, ids)
    overall = {program_id: _overall(items[program_id].values()) for program_id in ids}
    backwards: dict[uuid.UUID, list[ReadinessPoint]] = {
        program_id: [ReadinessPoint(now, overall[program_id].ratio)] for program_id in ids
    }
    opened: set[uuid.UUID] = set()
    for program_id, at, action, key, before, after in events:
        if program_id in opened:
            continue  # events older than the program's opening (none, unless imported) change nothing
        state, tally = items[program_id], overall[program_id]
        backwards[program_id].append(ReadinessPoint(at, tally.ratio))
        if action == "program.created":
            opened.add(program_id)
            continue
        touched = [state[k] for k in dict.fromkeys(_touched(action, key, after or {})) if k in state]
        for item in touched:
            tally.add(item, -1)
        _undo(state, action, key, before or {}, after or {})
        for item in touched:
            tally.add(item)
    for program in programs:
        if program.id not in opened:  # no opening event: start from the program's creation time
            backwards[program.id].append(ReadinessPoint(program.created_at, overall[program.id].ratio))
    return {program_id: _changes_only(points[::-1]) for program_id, points in backwards.items()}


def _changes_only(points: list[ReadinessPoint]) -> list[ReadinessPoint]:
    """The first point, every point where readiness moved, and now."""
    kept = [points[0]]
    for point in points[1:-1]:
        if point.ratio != kept[-1].ratio:
            kept.append(point)
    if len(points) > 1:
        kept.append(points[-1])
    return kept


def readiness_chart(points: Sequence[ReadinessPoint], title: str, width: int = 320, height: int = 96) -> Markup:
    """A small step chart of overall readiness over time (readiness holds until the next change), as inline
    SVG with a text alternative."""
    left, right, top, bottom = 34, 8, 8, 18
    plot_w, plot_h = width - left - right, height - top - bottom
    start, end = points[0].at, points[-1].at
    span = max((end - start).total_seconds(), 1.0)

    def x(at: datetime) -> float:
        return left + plot_w * (at - start).total_seconds() / span

    def y(ratio: float) -> float:
        return top + plot_h * (1 - ratio)

    path = [f"M{x(points[0].at):.1f},{y(points[0].ratio):.1f}"]
    for point in points[1:]:
        path.append(f"H{x(point.at):.1f}V{y(point.ratio):.1f}")
    line = "".join(path)
    area = f"{line}V{y(0):.1f}H{x(start):.1f}Z"
    first, last = points[0], points[-1]
    changes = max(len(points) - 2, 0)  # the points between the opening and now
    label = (f"{title}: overall readiness {first.ratio:.0%} on {first.at:%Y-%m-%d}, "
             f"{last.ratio:.0%} now ({changes} change{'' if changes == 1 else 's'} since)")
    parts = [
        f'<svg class="history-chart" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}">',
        f"<title>{escape(label)}</title>",
        f'<line x1="{left}" y1="{y(1):.1f}" x2="{left + plot_w}" y2="{y(1):.1f}" class="grid"/>',
        f'<line x1="{left}" y1="{y(0.5):.1f}" x2="{left + plot_w}" y2="{y(0.5):.1f}" class="grid"/>',
        f'<line x1="{left}" y1="{y(0):.1f}" x2="{left + plot_w}" y2="{y(0):.1f}" class="axis"/>',
        f'<text x="{left - 4}" y="{y(1) + 4:.1f}" text-anchor="end">100%</text>',
        f'<text x="{left - 4}" y="{y(0.5) + 4:.1f}" text-anchor="end">50%</text>',
        f'<text x="{left - 4}" y="{y(0) + 4:.1f}" text-anchor="end">0%</text>',
        f'<path d="{area}" class="fill"/>',
        f'<path d="{line}" class="line"/>',
        f'<circle cx="{x(last.at):.1f}" cy="{y(last.ratio):.1f}" r="3" class="dot"/>',
        f'<text x="{left}" y="{height - 4}">{first.at:%d %b %Y}</text>',
        f'<text x="{left + plot_w}" y="{height - 4}" text-anchor="end">now</text>',
        "</svg>",
    ]
    return Markup("".join(parts))  # noqa: S704  (the only interpolated text, the label, is escaped)


@dataclass(frozen=True)
class Activity:
    """One audit event in plain words: `actor` `verb` `target` `detail`, e.g. "Sam Lindqvist signed off
    PHARM-001 Storage qualified as approved"."""

    at: datetime
    actor: str
    verb: str
    target: str
    link: str | None
    detail: str
    program_id: uuid.UUID
    program_title: str


def _item_update_words(after: dict[str, Any], owners: dict[uuid.UUID, str]) -> str:
    parts = []
    if "status" in after:
        parts.append(f"set the status to “{STATUS_WORDS.get(after['status'], after['status'])}”")
    if "owner_id" in after:
        owner = after["owner_id"]
        parts.append(f"assigned it to {owners.get(uuid.UUID(owner), 'a former member')}" if owner
                     else "removed its owner")
    if "due_date" in after:
        parts.append(f"set the due date to {after['due_date']}" if after["due_date"] else "cleared the due date")
    if "notes" in after:
        parts.append("edited the notes")
    return "; ".join(parts)


def _describe(
    program: Program, action: str, key: str, item_title: str | None, before: dict[str, Any], after: dict[str, Any],
    owners: dict[uuid.UUID, str],
) -> tuple[str, str, str | None, str]:
    """(verb, target, link, detail) for one event."""
    program_link = f"/programs/{program.id}"
    item = (f"{key} {item_title}" if item_title else key, f"{program_link}/items/{key}")
    reports = f"{program_link}/reports"
    match action:
        case "program.created":
            return "opened", program.title, program_link, ""
        case "program.library_upgraded":
            return "upgraded the checklist library of", program.title, program_link, \
                f" to version {after.get('library_version', '?')}"
        case "item.updated":
            return "updated", *item, f": {_item_update_words(after, owners)}"
        case "item.signed_off":
            meaning = str(after.get("meaning", "")).replace("_", " ")
            return "signed off", *item, f" as {meaning}" if meaning else ""
        case "signoff.revoked":
            return "revoked the sign-off of", *item, f": {after['reason']}" if after.get("reason") else ""
        case "item.local_created":
            return "added the local item", *item, ""
        case "item.local_updated":
            return "changed the local item", *item, ""
        case "item.local_retired":
            return "retired the local item", *item, f": {after['reason']}" if after.get("reason") else ""
        case "evidence.added":
            return "attached evidence to", *item, f": {after.get('file', '')}"
        case "evidence.removed":
            lapsed = " (its sign-off lapsed)" if after.get("signature_lapsed") else ""
            return "removed evidence from", *item, f": {before.get('file', '')}{lapsed}"
        case "report.generated":
            return "generated readiness report", key, reports, ""
        case "report.downloaded":
            return "downloaded readiness report", key, reports, ""
        case "scenario.created" | "scenario.updated":
            return "saved the planning scenario", str(after.get("name") or key), f"{program_link}/planning", ""
        case "scenario.deleted":
            return "deleted the planning scenario", key.split(":", 1)[-1], f"{program_link}/planning", ""
    return action.replace(".", " ").replace("_", " "), key or program.title, program_link, ""


def recent_activity(session: Session, programs: Sequence[Program], limit: int = 10) -> list[Activity]:
    """The latest events of these programs, newest first, in plain words with links to what they touched.
    Two queries: the events with their items' titles, then the names of people items were assigned to."""
    by_id = {p.id: p for p in programs}
    if not by_id:
        return []
    # Each program's latest events by the (program_id, seq) index, then the latest of those: a plain
    # "WHERE program_id IN (...) ORDER BY seq DESC" walks the whole deployment's trail backwards instead.
    per_program = [
        select(col(AuditEvent.id)).where(col(AuditEvent.program_id) == program_id)
        .order_by(col(AuditEvent.seq).desc()).limit(limit).subquery()
        for program_id in by_id
    ]
    latest = union_all(*(select(branch.c.id) for branch in per_program)).subquery()
    rows = session.execute(
        select(col(AuditEvent.program_id), col(AuditEvent.at), col(AuditEvent.actor_name), col(AuditEvent.action),
               col(AuditEvent.entity_key), col(AuditEvent.before), col(AuditEvent.after), col(ProgramItem.title))
        .join(latest, latest.c.id == col(AuditEvent.id))
        .outerjoin(ProgramItem, and_(col(ProgramItem.program_id) == col(AuditEvent.program_id),
                                     col(ProgramItem.key) == col(AuditEvent.entity_key)))
        .order_by(col(AuditEvent.seq).desc())
        .limit(limit)
    ).all()
    owner_ids = {uuid.UUID(row.after["owner_id"]) for row in rows
                 if row.action == "item.updated" and (row.after or {}).get("owner_id")}
    owners: dict[uuid.UUID, str] = {}
    if owner_ids:
        query = select(col(User.id), col(User.full_name)).where(col(User.id).in_(owner_ids))
        owners = {user_id: name for user_id, name in session.execute(query)}
    activity = []
    for program_id, at, actor, action, key, before, after, item_title in rows:
        program = by_id[program_id]
        verb, target, link, detail = _describe(program, action, key, item_title, before or {}, after or {}, owners)
        activity.append(Activity(at, actor, verb, target, link, detail, program.id, program.title))
    return activity
