"""Global search: every word of the search text, as typed (LIKE wildcards taken literally), found in items' keys and
titles, evidence file names, people's names and emails, and report numbers, within the institutions the person
belongs to (a superuser sees every institution). One query per group, capped, so a search costs the same whatever
it matches."""

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, func, or_, select, true
from sqlmodel import Session, col

from app.auth.models import Membership, User
from app.auth.security_models import ServiceAccount
from app.auth.service import institution_ids_of
from app.errors import Invalid
from app.evidence.models import Evidence
from app.programs.models import Institution, Program, ProgramItem
from app.reports.models import Report
from app.search.schemas import (
    MAX_QUERY_LENGTH,
    PER_GROUP,
    EvidenceHit,
    Group,
    ItemHit,
    PersonHit,
    ReportHit,
    SearchResults,
)


def like_pattern(word: str) -> str:
    """`%word%` with the word's own `%`, `_` and `\\` matching themselves (used with escape='\\')."""
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def words_of(q: str) -> list[str]:
    return q.lower().split()


def _every_word_in(words: Sequence[str], *columns: Any) -> Any:
    """Each word somewhere in one of the columns (case-insensitive)."""
    return and_(true(), *(or_(*(func.lower(c).like(like_pattern(w), escape="\\") for c in columns)) for w in words))


def _visible(column: Any, institution_ids: list[uuid.UUID] | None) -> Any:
    return true() if institution_ids is None else col(column).in_(institution_ids)


def _capped(rows: Sequence[Any]) -> tuple[Sequence[Any], bool]:
    return rows[:PER_GROUP], len(rows) > PER_GROUP


def _items(session: Session, words: list[str], ids: list[uuid.UUID] | None) -> Group[ItemHit]:
    exact_key = func.lower(col(ProgramItem.key)) == " ".join(words)
    query = (
        select(col(Program.id), col(Program.title), col(ProgramItem.key), col(ProgramItem.title),
               col(ProgramItem.status), col(ProgramItem.local))
        .join(Program, col(Program.id) == ProgramItem.program_id)
        .where(_visible(Program.institution_id, ids), ~col(ProgramItem.retired),
               _every_word_in(words, ProgramItem.key, ProgramItem.title))
        .order_by(exact_key.desc(), col(Program.title), col(Program.id), col(ProgramItem.position))
        .limit(PER_GROUP + 1)
    )
    rows, more = _capped(session.execute(query).all())
    return Group(results=[ItemHit(program_id=p, program_title=pt, key=k, title=t, status=s, local=bool(loc))
                          for p, pt, k, t, s, loc in rows], more=more)


def _evidence(session: Session, words: list[str], ids: list[uuid.UUID] | None) -> Group[EvidenceHit]:
    query = (
        select(col(Evidence.id), col(Program.id), col(Program.title), col(Evidence.item_key),
               col(Evidence.original_name), col(Evidence.kind), col(Evidence.uploaded_at), col(Evidence.removed_at))
        .join(Program, col(Program.id) == Evidence.program_id)
        .where(_visible(Program.institution_id, ids), _every_word_in(words, Evidence.original_name))
        .order_by(col(Evidence.removed_at).is_not(None), col(Evidence.uploaded_at).desc(), col(Evidence.id))
        .limit(PER_GROUP + 1)
    )
    rows, more = _capped(session.execute(query).all())
    return Group(results=[EvidenceHit(id=e, program_id=p, program_title=pt, item_key=k, file_name=n, kind=kind,
                                      uploaded_at=at, withdrawn=removed is not None)
                          for e, p, pt, k, n, kind, at, removed in rows], more=more)


def _people(session: Session, words: list[str], ids: list[uuid.UUID] | None) -> Group[PersonHit]:
    """Active members (not integrations), one hit per person and institution, with their roles there."""
    matching = (
        select(col(User.id), col(User.full_name), col(User.email), col(Institution.id), col(Institution.name))
        .join(Membership, col(Membership.user_id) == User.id)
        .join(Institution, col(Institution.id) == Membership.institution_id)
        .where(_visible(Membership.institution_id, ids), col(User.is_active),
               col(User.id).not_in(select(col(ServiceAccount.user_id))),
               _every_word_in(words, User.full_name, User.email))
        .distinct()
        .order_by(col(User.full_name), col(User.email), col(Institution.name))
        .limit(PER_GROUP + 1)
    )
    rows, more = _capped(session.execute(matching).all())
    roles: dict[tuple[uuid.UUID, uuid.UUID], list[str]] = {}
    if rows:
        found = session.execute(
            select(col(Membership.user_id), col(Membership.institution_id), col(Membership.role))
            .where(col(Membership.user_id).in_({r[0] for r in rows}),
                   col(Membership.institution_id).in_({r[3] for r in rows}))
            .order_by(col(Membership.role))
        ).all()
        for user_id, institution_id, role in found:
            roles.setdefault((user_id, institution_id), []).append(role)
    return Group(results=[PersonHit(id=u, full_name=name, email=email, institution_id=i, institution_name=iname,
                                    roles=roles.get((u, i), []))
                          for u, name, email, i, iname in rows], more=more)


def _reports(session: Session, words: list[str], ids: list[uuid.UUID] | None) -> Group[ReportHit]:
    query = (
        select(col(Report.number), col(Program.id), col(Program.title), col(Report.kind), col(Report.created_at),
               col(Report.finalised_at))
        .join(Program, col(Program.id) == Report.program_id)
        .where(_visible(Report.institution_id, ids), _every_word_in(words, Report.number))
        .order_by(col(Report.created_at).desc(), col(Report.number).desc())
        .limit(PER_GROUP + 1)
    )
    rows, more = _capped(session.execute(query).all())
    return Group(results=[ReportHit(number=n, program_id=p, program_title=pt, kind=kind, created_at=at,
                                    final=final is not None)
                          for n, p, pt, kind, at, final in rows], more=more)


def check_query(q: str) -> None:
    """The API's query schema says the same; pages, which take any text, are answered by this."""
    if len(q) > MAX_QUERY_LENGTH:
        raise Invalid(f"the search text is {len(q)} characters long; use at most {MAX_QUERY_LENGTH}",
                      field="q", location="query")
    if "\x00" in q:
        raise Invalid("the search text must not contain NUL characters", field="q", location="query")


def search(session: Session, user: User, q: str) -> SearchResults:
    """Items, evidence files, people and reports matching every word of `q`, in the person's institutions."""
    check_query(q)
    words = words_of(q)
    if not words:
        empty: Group[Any] = Group(results=[], more=False)
        return SearchResults(q="", items=empty, evidence=empty, people=empty, reports=empty)
    ids = institution_ids_of(session, user)
    return SearchResults(q=" ".join(q.split()), items=_items(session, words, ids),
                         evidence=_evidence(session, words, ids), people=_people(session, words, ids),
                         reports=_reports(session, words, ids))
