"""`gtready committees`: list an institution's committees, set one up, seat a member."""

import re
import uuid
from typing import Annotated

import typer
from sqlalchemy import select
from sqlmodel import Session, col

from app.auth.service import member_with_email
from app.cli_support import exit_on_domain_error, open_session, plural
from app.committees import service
from app.errors import Invalid, NotFound
from app.programs.models import Institution

committees_cli = typer.Typer(help="Committees an institution's approval chains name (P&T, MEC, ...).",
                             no_args_is_help=True)
InstitutionArg = Annotated[str, typer.Argument(help="The institution's id or exact name")]
SlugArg = Annotated[str, typer.Argument(help="The committee's slug, as approval chains name it (e.g. pt)")]
_SLUG = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")


def _institution(session: Session, wanted: str) -> Institution:
    try:
        found = session.get(Institution, uuid.UUID(wanted))
    except ValueError:
        found = session.scalars(select(Institution).where(col(Institution.name) == wanted)).first()
    if found is None:
        raise NotFound(f"INSTITUTION: no institution with id or name '{wanted}'")
    return found


def _member_id(session: Session, institution: Institution, email: str, what: str) -> uuid.UUID:
    member = member_with_email(session, institution.id, email)
    if member is None:
        raise Invalid(f"{what}: no member of {institution.name} with email '{email}'", field=what)
    return member.id


@committees_cli.command("list")
def list_committees(institution: InstitutionArg) -> None:
    """The institution's committees: slug, name, chair and members."""
    with open_session() as session, exit_on_domain_error():
        found = _institution(session, institution)
        records = service.committee_records(session, service.committees_of(session, found.id))
        if not records:
            typer.echo(f"{found.name} has no committees")
        for c in records:
            chair = f", chaired by {c.chair_name}" if c.chair_name else ""
            people = ", ".join(m.full_name for m in c.members) or "nobody yet"
            typer.echo(f"{c.slug}  {c.name}{chair}: {plural(len(c.members), 'member')} ({people})")


@committees_cli.command("add")
def add_committee(
    institution: InstitutionArg,
    slug: SlugArg,
    name: Annotated[str, typer.Argument(help="The committee's name")],
    chair: Annotated[str | None, typer.Option(help="The chair's email (a member of the institution)")] = None,
) -> None:
    """Set a committee up."""
    with open_session() as session, exit_on_domain_error():
        if not _SLUG.match(slug):
            raise Invalid(f"SLUG: '{slug}' is not of the form lowercase-slug (e.g. pt)", field="slug")
        if not name.strip() or "\x00" in name:
            raise Invalid("NAME: the committee needs a name", field="name")
        found = _institution(session, institution)
        chair_id = _member_id(session, found, chair, "--chair") if chair else None
        made = service.create_committee(session, None, found.id, slug, name.strip()[:200], chair_id)
        typer.echo(f"set up {made.slug} ({made.name}) at {found.name}")


@committees_cli.command("add-member")
def add_committee_member(
    institution: InstitutionArg,
    slug: SlugArg,
    email: Annotated[str, typer.Argument(help="The member's email (a member of the institution)")],
) -> None:
    """Seat a member of the institution on a committee."""
    with open_session() as session, exit_on_domain_error():
        found = _institution(session, institution)
        committee = service.get_committee(session, found.id, slug)
        service.add_member(session, None, committee, _member_id(session, found, email, "EMAIL"))
        typer.echo(f"{email} now sits on {committee.name}")
