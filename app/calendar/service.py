"""Private calendar feeds: due dates of the items a person owns and lapse dates of their sign-offs, or a whole
program's for its champions, as iCalendar. The address carries a secret, stored only as a hash (like API
tokens); revoking it makes the address answer 404.

Each event's UID comes from the item's id and the kind of date, so when a date moves the calendar application
moves the event instead of adding another; SEQUENCE (the item's version) and LAST-MODIFIED tell it which is newer.
"""

import uuid
from collections.abc import Sequence
from datetime import date, timedelta

from icalendar import Calendar, Event
from sqlalchemy import exists, select
from sqlmodel import Session, col

from app.auth.models import Membership, User
from app.auth.permissions import require_member
from app.auth.roles import Role
from app.auth.secrets import new_token, token_hash
from app.calendar.models import CalendarFeed
from app.clock import utcnow
from app.errors import NotFound
from app.programs.models import ItemStatus, Program, ProgramItem
from app.signoffs.models import Revocation, SignOff

PERSONAL = "personal"
PROGRAM = "program"
FEED_MANAGERS = frozenset({Role.CHAMPION, Role.ADMINISTRATOR})


def create_feed(session: Session, user: User, program: Program | None = None) -> tuple[CalendarFeed, str]:
    """A new feed address (shown once). The person's previous address for the same feed stops working."""
    if program is not None:
        require_member(session, user, program.institution_id, FEED_MANAGERS, what="program")
    for old in feeds_of(session, user):
        if old.program_id == (program.id if program else None):
            old.revoked_at = utcnow()
            session.add(old)
    plain = "cal_" + new_token()
    feed = CalendarFeed(user_id=user.id, scope=PROGRAM if program else PERSONAL,
                        program_id=program.id if program else None, token_hash=token_hash(plain), prefix=plain[:10])
    session.add(feed)
    session.commit()
    return feed, plain


def feeds_of(session: Session, user: User) -> Sequence[CalendarFeed]:
    """The person's feeds that still work, oldest first."""
    return session.scalars(select(CalendarFeed).where(col(CalendarFeed.user_id) == user.id,
                                                      col(CalendarFeed.revoked_at).is_(None))
                           .order_by(col(CalendarFeed.created_at))).all()


def programs_managed_by(session: Session, user: User) -> list[Program]:
    """Programs whose feed the person may make: those of institutions they champion or administer."""
    query = select(Program).order_by(col(Program.title))
    if not user.is_superuser:
        managed = select(col(Membership.institution_id)).where(
            col(Membership.user_id) == user.id, col(Membership.role).in_([r.value for r in FEED_MANAGERS]))
        query = query.where(col(Program.institution_id).in_(managed))
    return list(session.scalars(query))


def revoke_feed(session: Session, user: User, feed_id: uuid.UUID) -> CalendarFeed:
    feed = session.get(CalendarFeed, feed_id)
    if feed is None or feed.user_id != user.id:
        raise NotFound("calendar feed not found")
    feed.revoked_at = feed.revoked_at or utcnow()
    session.add(feed)
    session.commit()
    return feed


def _event(item: ProgramItem, program: Program, kind: str, day: date, base_url: str) -> Event:
    event = Event()
    event.add("uid", f"{item.id}-{kind}@gtready")
    event.add("summary", f"{'Due' if kind == 'due' else 'Sign-off lapses'}: {item.key} {item.title}")
    event.add("dtstart", day)
    event.add("dtend", day + timedelta(days=1))
    event.add("dtstamp", utcnow())
    event.add("last-modified", item.updated_at)
    event.add("sequence", item.version)
    link = f"{base_url}/programs/{program.id}/items/{item.key}"
    event.add("url", link)
    event.add("description", f"{program.title}\n{link}")
    return event


def feed_calendar(session: Session, token: str, base_url: str) -> bytes:
    """The feed behind a secret address, as iCalendar bytes; 404 for an unknown or revoked one."""
    row = session.execute(
        select(CalendarFeed, User).join(User, col(User.id) == CalendarFeed.user_id)
        .where(col(CalendarFeed.token_hash) == token_hash(token), col(CalendarFeed.revoked_at).is_(None),
               col(User.is_active))
    ).first()
    if row is None:
        raise NotFound("calendar feed not found")
    feed, user = row
    member = exists().where(col(Membership.user_id) == user.id,
                            col(Membership.institution_id) == Program.institution_id)
    live = (~col(ProgramItem.retired), col(ProgramItem.status).not_in([ItemStatus.NOT_APPLICABLE.value]))
    base = select(ProgramItem, Program).join(Program, col(Program.id) == ProgramItem.program_id).where(*live)
    if feed.scope == PROGRAM:
        manager = exists().where(col(Membership.user_id) == user.id,
                                 col(Membership.institution_id) == Program.institution_id,
                                 col(Membership.role).in_([r.value for r in FEED_MANAGERS]))
        rows = session.execute(base.where(col(Program.id) == feed.program_id, manager)).all()
        due = [(i, p) for i, p in rows if i.due_date and i.status != ItemStatus.SIGNED_OFF]
        lapses = [(i, p) for i, p in rows if i.lapses_on]
        name = f"gtready: {rows[0][1].title}" if rows else "gtready"
    else:
        mine = session.execute(base.where(member, col(ProgramItem.owner_id) == user.id)).all()
        due = [(i, p) for i, p in mine if i.due_date and i.status != ItemStatus.SIGNED_OFF]
        signed = exists().where(col(SignOff.item_id) == ProgramItem.id, col(SignOff.signer_id) == user.id,
                                ~exists().where(col(Revocation.signoff_id) == SignOff.id))
        lapses = [(i, p) for i, p in session.execute(
            base.where(member, signed, col(ProgramItem.lapses_on).is_not(None)))]
        name = f"gtready: {user.full_name}"
    calendar = Calendar()
    calendar.add("prodid", "-//gtready//readiness calendar//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    for item, program in due:
        calendar.add_component(_event(item, program, "due", item.due_date, base_url))
    for item, program in lapses:
        calendar.add_component(_event(item, program, "lapse", item.lapses_on, base_url))
    feed.last_used_at = utcnow()
    session.add(feed)
    session.commit()
    return bytes(calendar.to_ical())


def feed_label(feed: CalendarFeed, programs: dict[uuid.UUID, str]) -> str:
    if feed.program_id is None:
        return "My due dates and sign-off lapses"
    return f"Program: {programs.get(feed.program_id, 'a program')}"
