"""My work: what needs a person now, across their institutions. Four lists and their counts, each one query,
so a page (and the header of every page) costs the same whatever the person owns."""

from datetime import timedelta
from typing import Any

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from app.auth.models import Membership, User
from app.clock import today
from app.comments.models import Comment, CommentMention
from app.evidence.models import Evidence
from app.me.schemas import MentionItem, MyWork, WorkCounts, WorkItem
from app.programs.models import ItemStatus, Program, ProgramItem
from app.signoffs.chains import next_step_waits_for

DUE_WITHIN_DAYS = 14
LAPSE_WITHIN_DAYS = 30
MENTIONS_SHOWN = 20
FINISHED = (ItemStatus.SIGNED_OFF.value, ItemStatus.NOT_APPLICABLE.value)


def _in_my_institutions(user: User) -> Any:
    """Programs of institutions the person belongs to now (ownership or mentions elsewhere are history)."""
    mine = select(col(Membership.institution_id)).where(col(Membership.user_id) == user.id)
    return col(Program.institution_id).in_(mine)


def _items() -> Any:
    return (select(col(Program.id), col(Program.title), col(ProgramItem.key), col(ProgramItem.title),
                   col(ProgramItem.status), col(ProgramItem.due_date), col(ProgramItem.lapses_on),
                   col(ProgramItem.signoff_role))
            .join(ProgramItem, col(ProgramItem.program_id) == Program.id)
            .where(~col(ProgramItem.retired)))


def _due(user: User) -> Any:
    return _items().where(
        _in_my_institutions(user), col(ProgramItem.owner_id) == user.id, col(ProgramItem.status).not_in(FINISHED),
        col(ProgramItem.due_date) <= today() + timedelta(days=DUE_WITHIN_DAYS),
    ).order_by(col(ProgramItem.due_date), col(Program.title), col(ProgramItem.position))


def _to_sign(user: User) -> Any:
    holds_role = exists().where(col(Membership.user_id) == user.id,
                                col(Membership.institution_id) == Program.institution_id,
                                col(Membership.role) == ProgramItem.signoff_role)
    waiting = or_(and_(col(ProgramItem.approval_chain).is_(None), holds_role), next_step_waits_for(user.id))
    return _items().where(waiting, col(ProgramItem.status) == ItemStatus.DONE.value).order_by(
        col(ProgramItem.due_date).is_(None), col(ProgramItem.due_date), col(Program.title), col(ProgramItem.position))


def _lapsing(user: User) -> Any:
    gave_evidence = exists().where(col(Evidence.item_id) == ProgramItem.id, col(Evidence.uploaded_by_id) == user.id,
                                   col(Evidence.removed_at).is_(None))
    return _items().where(
        _in_my_institutions(user), or_(col(ProgramItem.owner_id) == user.id, gave_evidence),
        col(ProgramItem.status).in_([ItemStatus.DONE.value, ItemStatus.SIGNED_OFF.value]),
        col(ProgramItem.lapses_on) <= today() + timedelta(days=LAPSE_WITHIN_DAYS),
    ).order_by(col(ProgramItem.lapses_on), col(Program.title), col(ProgramItem.position))


def _mentions(user: User) -> Any:
    newer = aliased(Comment)
    is_latest = ~exists().where(col(newer.thread_id) == Comment.thread_id, col(newer.version) > Comment.version)
    return (
        select(col(Comment.thread_id), col(Program.id), col(Program.title), col(ProgramItem.key),
               col(ProgramItem.title), col(Comment.author_name), col(Comment.body), col(Comment.created_at))
        .join(CommentMention, col(CommentMention.comment_id) == Comment.id)
        .join(ProgramItem, col(ProgramItem.id) == Comment.item_id)
        .join(Program, col(Program.id) == Comment.program_id)
        .where(col(CommentMention.user_id) == user.id, is_latest, _in_my_institutions(user))
        .order_by(col(Comment.created_at).desc())
    )


def _count(query: Any) -> Any:
    return select(func.count()).select_from(query.order_by(None).subquery()).scalar_subquery()


def work_counts(session: Session, user: User) -> WorkCounts:
    """How many of each: one query (the header of every page shows them)."""
    row = session.execute(select(_count(_due(user)), _count(_to_sign(user)), _count(_lapsing(user)),
                                 _count(_mentions(user)))).one()
    return WorkCounts(due=row[0], to_sign=row[1], lapsing=row[2], mentions=row[3])


def _work_items(session: Session, query: Any) -> list[WorkItem]:
    now = today()
    return [
        WorkItem(program_id=program_id, program_title=program_title, key=key, title=title, status=status,
                 due_date=due, lapses_on=lapses, signoff_role=role,
                 overdue=bool(due and due < now and status not in FINISHED))
        for program_id, program_title, key, title, status, due, lapses, role in session.execute(query)
    ]


def my_work(session: Session, user: User) -> MyWork:
    """Everything on a person's plate: five queries whatever they own."""
    mentions = [
        MentionItem(comment_id=thread_id, program_id=program_id, program_title=program_title, key=key, title=title,
                    author_name=author, body=body, at=at)
        for thread_id, program_id, program_title, key, title, author, body, at
        in session.execute(_mentions(user).limit(MENTIONS_SHOWN))
    ]
    return MyWork(due=_work_items(session, _due(user)), to_sign=_work_items(session, _to_sign(user)),
                  lapsing=_work_items(session, _lapsing(user)), mentions=mentions,
                  counts=work_counts(session, user))
