"""Time-driven notifications: due dates, overdue items, lapsing sign-offs, expiring evidence, champions' digest.

Computed by the worker in a constant number of queries whatever the number of programs (bench/bench_reminders.py):
each kind is one query over every program, people's choices are one more, and the new reminders go in as one
insert (one statement on PostgreSQL, column arrays unnested) that ignores those already recorded (the delivery
key), so running it again, or on two workers at once, adds nothing.
"""

import json
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.dialects import sqlite
from sqlmodel import Session, col

from app.auth.models import Membership, User
from app.auth.roles import Role
from app.checklists.schema import evidence_kind_label
from app.clock import today, utcnow
from app.evidence.models import Evidence
from app.formatting import format_date
from app.notifications.models import (
    Channel,
    DeliveryState,
    Notification,
    NotificationKind,
    NotificationSettings,
)
from app.notifications.service import DEFAULT_CHANNELS, delivery_key
from app.programs.models import ItemStatus, Program, ProgramItem
from app.programs.readiness import readiness_of_programs
from app.programs.service import complete_condition
from app.signoffs.models import Revocation, SignOff

DUE_THRESHOLDS = (1, 7, 30)  # days before the due date
LAPSE_THRESHOLDS = (7, 30)  # days before a sign-off lapses or evidence expires


@dataclass(frozen=True)
class Reminder:
    user_id: uuid.UUID
    kind: NotificationKind
    subject: str
    threshold: str
    title: str
    link: str
    context: dict[str, Any]


def _threshold(days_left: int, thresholds: tuple[int, ...]) -> int | None:
    """The nearest threshold not yet passed: an item found 5 days before its due date gets the 7-day reminder
    (a worker that was down still reminds, once)."""
    return next((t for t in thresholds if days_left <= t), None)


def _item_link(program_id: uuid.UUID, key: str) -> str:
    return f"/programs/{program_id}/items/{key}"


def item_reminders(session: Session, on: date) -> list[Reminder]:
    """Due in 30, 7 and 1 days, and overdue (then every week), for each owned, unfinished item."""
    rows = session.execute(
        select(col(ProgramItem.id), col(ProgramItem.key), col(ProgramItem.title), col(ProgramItem.due_date),
               col(ProgramItem.owner_id), col(Program.id), col(Program.title))
        .join(Program, col(Program.id) == ProgramItem.program_id)
        .where(col(ProgramItem.owner_id).is_not(None), ~col(ProgramItem.retired),
               col(ProgramItem.due_date) <= on + timedelta(days=max(DUE_THRESHOLDS)),
               col(ProgramItem.status) != ItemStatus.NOT_APPLICABLE, ~complete_condition())
    ).all()
    reminders = []
    for item_id, key, title, due, owner_id, program_id, program_title in rows:
        days_left = (due - on).days
        lines = [f"Program: {program_title}", f"Due date: {format_date(due)}"]
        subject = f"item:{item_id}:{due.isoformat()}"  # a new due date starts its reminders afresh
        context = {"program": program_title, "item_key": key, "item_title": title, "lines": lines}
        if days_left < 0:
            weeks = (-days_left - 1) // 7
            reminders.append(Reminder(owner_id, NotificationKind.OVERDUE, subject, f"w{weeks}",
                                      f"{key} {title} is overdue (due {format_date(due)})",
                                      _item_link(program_id, key), context))
            continue
        threshold = _threshold(days_left, DUE_THRESHOLDS)
        if threshold is not None:
            when = "today" if days_left == 0 else f"in {days_left} day{'s' if days_left != 1 else ''}"
            reminders.append(Reminder(owner_id, NotificationKind.DUE_SOON, subject, str(threshold),
                                      f"{key} {title} is due {when}", _item_link(program_id, key), context))
    return reminders


def lapse_reminders(session: Session, on: date) -> list[Reminder]:
    """A standing sign-off whose item lapses within 30 days (its signer is told), and current evidence that
    expires within 30 days (its uploader is told)."""
    horizon = on + timedelta(days=max(LAPSE_THRESHOLDS))
    signoffs = session.execute(
        select(col(SignOff.id), col(SignOff.signer_id), col(ProgramItem.key), col(ProgramItem.title),
               col(ProgramItem.lapses_on), col(Program.id), col(Program.title))
        .join(ProgramItem, col(ProgramItem.id) == SignOff.item_id)
        .join(Program, col(Program.id) == SignOff.program_id)
        .outerjoin(Revocation, col(Revocation.signoff_id) == SignOff.id)
        .where(col(Revocation.id).is_(None), col(ProgramItem.status) == ItemStatus.SIGNED_OFF,
               col(ProgramItem.lapses_on) >= on, col(ProgramItem.lapses_on) <= horizon, ~col(ProgramItem.retired))
    ).all()
    reminders = []
    for signoff_id, signer_id, key, title, lapses_on, program_id, program_title in signoffs:
        threshold = _threshold((lapses_on - on).days, LAPSE_THRESHOLDS)
        lines = [f"Program: {program_title}", f"Lapses on: {format_date(lapses_on)}"]
        reminders.append(Reminder(
            signer_id, NotificationKind.SIGNOFF_LAPSING, f"signoff:{signoff_id}:{lapses_on.isoformat()}",
            str(threshold), f"Your sign-off of {key} {title} lapses on {format_date(lapses_on)}",
            _item_link(program_id, key), {"program": program_title, "item_key": key, "lines": lines},
        ))
    files = session.execute(
        select(col(Evidence.id), col(Evidence.uploaded_by_id), col(Evidence.original_name), col(Evidence.kind),
               col(Evidence.expires_on), col(Evidence.item_key), col(Program.id), col(Program.title))
        .join(Program, col(Program.id) == Evidence.program_id)
        .where(col(Evidence.removed_at).is_(None), col(Evidence.uploaded_by_id).is_not(None),
               col(Evidence.expires_on) >= on, col(Evidence.expires_on) <= horizon)
    ).all()
    for evidence_id, uploader_id, name, kind, expires_on, key, program_id, program_title in files:
        threshold = _threshold((expires_on - on).days, LAPSE_THRESHOLDS)
        lines = [f"Program: {program_title}", f"Item: {key}", f"Kind: {evidence_kind_label(kind)}",
                 f"Expires on: {format_date(expires_on)}"]
        reminders.append(Reminder(
            uploader_id, NotificationKind.EVIDENCE_EXPIRING, f"evidence:{evidence_id}:{expires_on.isoformat()}",
            str(threshold), f"Evidence {name} for {key} expires on {format_date(expires_on)}",
            _item_link(program_id, key), {"program": program_title, "item_key": key, "lines": lines},
        ))
    return reminders


def digest_reminders(session: Session, on: date) -> list[Reminder]:
    """The weekly digest of each champion whose digest day is today: per program, readiness and its change
    since their last digest, blockers that are new since then, and items that slipped past their due date this
    week."""
    champions = session.execute(
        select(col(Membership.user_id), col(Membership.institution_id))
        .join(User, col(User.id) == Membership.user_id)
        .outerjoin(NotificationSettings, col(NotificationSettings.user_id) == Membership.user_id)
        .where(col(Membership.role) == Role.CHAMPION, col(User.is_active).is_(True),
               func.coalesce(col(NotificationSettings.digest_weekday), 0) == on.weekday())
    ).all()
    if not champions:
        return []
    institutions: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for user_id, institution_id in champions:
        institutions[user_id].append(institution_id)
    wanted = {institution_id for _, institution_id in champions}
    programs = session.scalars(select(Program).where(col(Program.institution_id).in_(wanted))
                               .order_by(col(Program.title))).all()
    readiness = readiness_of_programs(session, programs) if programs else {}
    slipped: dict[uuid.UUID, list[str]] = defaultdict(list)
    for program_id, key, title in session.execute(
        select(col(ProgramItem.program_id), col(ProgramItem.key), col(ProgramItem.title))
        .where(col(ProgramItem.program_id).in_([p.id for p in programs]), ~col(ProgramItem.retired),
               col(ProgramItem.due_date) >= on - timedelta(days=7), col(ProgramItem.due_date) < on,
               col(ProgramItem.status) != ItemStatus.NOT_APPLICABLE, ~complete_condition())
        .order_by(col(ProgramItem.key))
    ):
        slipped[program_id].append(f"{key} {title}")
    previous: dict[uuid.UUID, dict[str, Any]] = {}
    for user_id, context in session.execute(  # each champion's last digest: what "change" is measured from
        select(col(Notification.user_id), col(Notification.context))
        .where(col(Notification.kind) == NotificationKind.DIGEST,
               col(Notification.user_id).in_(list(institutions)),
               col(Notification.created_at) >= utcnow() - timedelta(days=35))  # a few weeks back is enough
        .order_by(col(Notification.created_at))
    ):
        previous[user_id] = context
    week = on.isocalendar()
    reminders = []
    for user_id, held in institutions.items():
        before = previous.get(user_id, {})
        lines: list[str] = []
        state: dict[str, Any] = {}
        for program in (p for p in programs if p.institution_id in held):
            ready = readiness[program.id]
            blockers = sorted(b.key for b in ready.gate.blocking)
            was = before.get("readiness", {}).get(str(program.id))
            change = "" if was is None else f" ({(ready.overall_ratio - was) * 100:+.0f} points since last digest)"
            new_blockers = sorted(set(blockers) - set(before.get("blockers", {}).get(str(program.id), [])))
            lines.append(f"{program.title}: {ready.overall_ratio * 100:.0f}% ready{change}; "
                         f"{len(blockers)} blocker{'s' if len(blockers) != 1 else ''} open")
            if new_blockers and was is not None:
                lines.append(f"  New blockers: {', '.join(new_blockers)}")
            if slipped[program.id]:
                lines.append(f"  Slipped past their due date this week: {', '.join(slipped[program.id])}")
            state.setdefault("readiness", {})[str(program.id)] = ready.overall_ratio
            state.setdefault("blockers", {})[str(program.id)] = blockers
        if not lines:
            continue
        reminders.append(Reminder(
            user_id, NotificationKind.DIGEST, f"digest:{week.year}-W{week.week:02d}", "",
            f"Weekly digest, week {week.week} of {week.year}", "/", {**state, "lines": lines},
        ))
    return reminders


def compute_reminders(session: Session, on: date | None = None) -> int:
    """Record every reminder due today that was not recorded before; returns how many are new."""
    on = on or today()
    reminders = [*item_reminders(session, on), *lapse_reminders(session, on), *digest_reminders(session, on)]
    if not reminders:
        return 0
    people = {r.user_id for r in reminders}
    choices = {
        user_id: (email, channels or {})
        for user_id, email, channels in session.execute(
            select(col(User.id), col(User.email), col(NotificationSettings.channels))
            .outerjoin(NotificationSettings, col(NotificationSettings.user_id) == User.id)
            .where(col(User.id).in_(people), col(User.is_active).is_(True))
        )
    }
    now = utcnow()
    rows = []
    for r in reminders:
        if r.user_id not in choices:
            continue
        email, channels = choices[r.user_id]
        chosen = channels.get(r.kind.value, "")
        channel = Channel(chosen) if chosen in set(Channel) else DEFAULT_CHANNELS[r.kind]
        if channel == Channel.OFF:
            continue
        by_email = channel == Channel.EMAIL
        rows.append({
            "id": uuid.uuid4(), "delivery_key": delivery_key(str(r.user_id), r.kind, r.subject, r.threshold),
            "user_id": r.user_id, "email": email, "kind": r.kind.value, "subject": r.subject[:200],
            "threshold": r.threshold, "title": r.title[:300], "link": r.link, "context": r.context,
            "state": (DeliveryState.QUEUED if by_email else DeliveryState.IN_APP).value, "attempts": 0,
            "next_attempt_at": now if by_email else None, "last_error": "", "created_at": now,
        })
    if not rows:
        return 0
    if session.get_bind().dialect.name == "postgresql":
        added = _insert_unnest(session, rows)
    else:
        table = Notification.__table__  # type: ignore[attr-defined]
        statement = sqlite.insert(table).on_conflict_do_nothing(index_elements=["delivery_key"]).returning(table.c.id)
        added = len(session.connection().execute(statement, rows).all())  # RETURNING names only the new rows
    session.commit()
    return added


# One statement however many rows: each column travels as one array (a multi-row VALUES costs the driver time in
# proportion to its parameters, and pages of 1,000 rows would make the statement count grow with the reminders).
_COLUMNS = {
    "id": "uuid", "delivery_key": "varchar", "user_id": "uuid", "email": "varchar", "kind": "varchar",
    "subject": "varchar", "threshold": "varchar", "title": "varchar", "link": "varchar", "context": "text",
    "state": "varchar", "attempts": "integer", "next_attempt_at": "timestamptz", "last_error": "text",
    "created_at": "timestamptz",
}
_NAMES = ", ".join(_COLUMNS)
_VALUES = ", ".join(f"CAST({c} AS json)" if c == "context" else c for c in _COLUMNS)
_ARRAYS = ", ".join(f"CAST(:{c} AS {t}[])" for c, t in _COLUMNS.items())
_UNNEST_INSERT = text(  # built from the constant column list above, never from input
    f"INSERT INTO notifications ({_NAMES}) SELECT {_VALUES} FROM unnest({_ARRAYS}) AS r({_NAMES}) "  # noqa: S608
    "ON CONFLICT (delivery_key) DO NOTHING RETURNING id"
)


def _insert_unnest(session: Session, rows: list[dict[str, Any]]) -> int:
    arrays = {c: [json.dumps(r[c]) if c == "context" else r[c] for r in rows] for c in _COLUMNS}
    return len(session.execute(_UNNEST_INSERT, arrays).all())
