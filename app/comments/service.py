"""Comments on items with @mentions of institution members. An edit writes a new version; nothing is updated
or deleted, and every version is in the audit trail.

A mention is `@` followed by a member's email or handle (the part of their email before the @, when no other
member shares it). Text that names nobody in the institution stays plain text: whether such a person exists
elsewhere is never revealed, not even by a difference in the answer.
"""

import re
import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from app.audit.service import record_event
from app.auth.directory import Person, people_of
from app.auth.models import User
from app.comments.models import Comment, CommentMention
from app.comments.schemas import CommentRead, CommentVersion, MentionRead
from app.errors import Conflict, Forbidden, NotFound
from app.notifications.models import NotificationKind
from app.notifications.service import notify
from app.programs.models import Program, ProgramItem

MENTION = re.compile(r"(?<![\w.@])@([A-Za-z0-9._%+-]+(?:@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)?)")


def handle_of(email: str) -> str:
    return email.split("@", 1)[0].lower()


def mentioned_members(body: str, people: Sequence[Person]) -> list[Person]:
    """The members named in `body`, in order of first mention; anything else is ignored."""
    by_email = {p.email.lower(): p for p in people}
    handles: dict[str, list[Person]] = {}
    for person in people:
        handles.setdefault(handle_of(person.email), []).append(person)
    found: dict[uuid.UUID, Person] = {}
    for match in MENTION.finditer(body):
        name = match.group(1).lower().rstrip(".")
        named = handles.get(name, [])
        member = by_email.get(name) or (named[0] if len(named) == 1 else None)
        if member is not None:
            found.setdefault(member.id, member)
    return list(found.values())


def _announce_mention(
    session: Session, actor: User, person: Person, program: Program, item: ProgramItem, thread_id: uuid.UUID,
    body: str,
) -> None:
    """The single place a mention is announced to the person named, in the comment's transaction (once per
    comment and person: an edit announces only people it newly names)."""
    notify(
        session, person.id, NotificationKind.MENTIONED, subject=f"comment:{thread_id}",
        title=f"{actor.full_name} mentioned you on {item.key} {item.title}",
        link=f"/programs/{program.id}/items/{item.key}#comment-{thread_id}",
        context={"program": program.title, "item_key": item.key, "item_title": item.title,
                 "actor": actor.full_name, "excerpt": body[:280]},
    )


def _write_version(
    session: Session, actor: User, program: Program, item: ProgramItem, thread_id: uuid.UUID, version: int,
    body: str,
) -> tuple[Comment, list[Person]]:
    people = people_of(session, program.institution_id)
    mentions = mentioned_members(body, people)
    comment = Comment(id=thread_id if version == 1 else uuid.uuid4(), thread_id=thread_id, version=version,
                      program_id=program.id, item_id=item.id, item_key=item.key, author_id=actor.id,
                      author_name=actor.full_name, body=body)
    session.add(comment)
    try:
        session.flush()
    except IntegrityError as error:
        session.rollback()
        raise Conflict("the comment was edited meanwhile; reload it and edit the newest version") from error
    session.add_all(CommentMention(comment_id=comment.id, user_id=person.id) for person in mentions)
    record_event(
        session, actor, "comment.added" if version == 1 else "comment.edited", entity="comment",
        entity_key=item.key, institution_id=program.institution_id, program_id=program.id,
        after={"comment_id": thread_id, "version": version, "body": body, "mentions": [p.id for p in mentions]},
    )
    return comment, mentions


def add_comment(session: Session, actor: User, program: Program, item: ProgramItem, body: str) -> CommentRead:
    """Post a comment on an item; members it mentions are told."""
    thread_id = uuid.uuid4()
    _, mentions = _write_version(session, actor, program, item, thread_id, 1, body)
    for person in mentions:
        if person.id != actor.id:
            _announce_mention(session, actor, person, program, item, thread_id, body)
    session.commit()
    return comment_threads(session, program.id, item.key, only=thread_id)[0]


def thread_versions(session: Session, thread_id: uuid.UUID) -> list[Comment]:
    query = select(Comment).where(col(Comment.thread_id) == thread_id).order_by(col(Comment.version))
    return list(session.scalars(query))


def thread_program(session: Session, thread_id: uuid.UUID) -> Program:
    """The program a comment belongs to (for the caller's access check); 404 for an unknown comment."""
    program = session.scalars(
        select(Program).join(Comment, col(Comment.program_id) == Program.id).where(col(Comment.thread_id) == thread_id)
    ).first()
    if program is None:
        raise NotFound("comment not found")
    return program


def edit_comment(
    session: Session, actor: User, program: Program, thread_id: uuid.UUID, body: str, version: int
) -> CommentRead:
    """A new version of the author's own comment. People it newly mentions are told."""
    versions = thread_versions(session, thread_id)
    if not versions:
        raise NotFound("comment not found")
    latest = versions[-1]
    if latest.author_id != actor.id or versions[0].author_id != actor.id:
        raise Forbidden("only the comment's author can edit it")
    if version != latest.version:
        raise Conflict(f"the comment is at version {latest.version}, not {version}; reload it and edit that")
    item = session.get(ProgramItem, latest.item_id)
    if item is None:  # pragma: no cover  (a comment's item is deleted with it)
        raise NotFound("comment not found")
    before = set(session.scalars(select(col(CommentMention.user_id))
                                 .where(col(CommentMention.comment_id).in_([v.id for v in versions]))))
    _, mentions = _write_version(session, actor, program, item, thread_id, latest.version + 1, body)
    for person in mentions:
        if person.id not in before and person.id != actor.id:
            _announce_mention(session, actor, person, program, item, thread_id, body)
    session.commit()
    return comment_threads(session, program.id, item.key, only=thread_id)[0]


def comment_threads(
    session: Session, program_id: uuid.UUID, item_key: str, only: uuid.UUID | None = None
) -> list[CommentRead]:
    """An item's comments, oldest first, each at its newest version with its earlier ones: two queries."""
    query = select(Comment).where(col(Comment.program_id) == program_id, col(Comment.item_key) == item_key)
    if only is not None:
        query = query.where(col(Comment.thread_id) == only)
    rows = list(session.scalars(query.order_by(col(Comment.created_at), col(Comment.version))))
    mentions: dict[uuid.UUID, list[MentionRead]] = {}
    if rows:
        for comment_id, user_id, full_name in session.execute(
            select(col(CommentMention.comment_id), col(User.id), col(User.full_name))
            .join(User, col(User.id) == CommentMention.user_id)
            .where(col(CommentMention.comment_id).in_([row.id for row in rows]))
            .order_by(col(User.full_name))
        ):
            mentions.setdefault(comment_id, []).append(MentionRead(id=user_id, full_name=full_name))
    threads: dict[uuid.UUID, list[Comment]] = {}
    for row in rows:
        threads.setdefault(row.thread_id, []).append(row)
    result = []
    for versions in threads.values():
        versions.sort(key=lambda v: v.version)
        first, latest = versions[0], versions[-1]
        result.append(CommentRead(
            id=first.thread_id, version=latest.version, program_id=first.program_id, item_key=first.item_key,
            author_id=first.author_id, author_name=first.author_name, body=latest.body,
            mentions=mentions.get(latest.id, []), created_at=first.created_at,
            edited_at=latest.created_at if latest.version > 1 else None,
            history=[CommentVersion(version=v.version, body=v.body, created_at=v.created_at) for v in versions[:-1]],
        ))
    result.sort(key=lambda c: c.created_at)
    return result
