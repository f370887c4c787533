"""`gtready service-accounts`: create, list and revoke an institution's service accounts."""

import uuid
from typing import Annotated

import typer
from pydantic import ValidationError
from sqlalchemy import select
from sqlmodel import Session, col

from app.auth import service_accounts
from app.auth.security_schemas import ServiceAccountCreate
from app.auth.service_accounts import Access
from app.cli_support import exit_on_domain_error, fail, open_session, plural
from app.errors import NotFound
from app.programs.models import Institution

service_accounts_cli = typer.Typer(help="Service accounts: integrations' OAuth 2.0 client credentials.",
                                   no_args_is_help=True)
InstitutionArg = Annotated[str, typer.Argument(help="The institution's id or exact name")]


def _institution(session: Session, wanted: str) -> Institution:
    try:
        found = session.get(Institution, uuid.UUID(wanted))
    except ValueError:
        found = session.scalars(select(Institution).where(col(Institution.name) == wanted)).first()
    if found is None:
        raise NotFound(f"INSTITUTION: no institution with id or name '{wanted}'")
    return found


@service_accounts_cli.command("create")
def create(
    institution: InstitutionArg,
    name: Annotated[str, typer.Option(help="What the integration is, shown to administrators")],
    access: Annotated[Access, typer.Option(help="read (a viewer) or read-write (a champion's changes)")],
) -> None:
    """Create a service account and print its client id and secret (the secret only this once)."""
    try:
        body = ServiceAccountCreate(name=name, access=access)  # the same rules as the API
    except ValidationError as error:
        fail(f"--name: {error.errors()[0]['msg']}")
    with open_session() as session, exit_on_domain_error():
        found = _institution(session, institution)
        account, secret = service_accounts.create_service_account(session, None, found.id, body.name, body.access)
    typer.echo(f"client_id: {account.client_id}\nclient_secret: {secret}")


@service_accounts_cli.command("list")
def list_accounts(institution: InstitutionArg) -> None:
    """The institution's service accounts, revoked ones included."""
    with open_session() as session, exit_on_domain_error():
        found = _institution(session, institution)
        accounts = service_accounts.service_accounts_of(session, found.id)
    for a in accounts:
        state = f"revoked {a.revoked_at:%Y-%m-%d %H:%M}" if a.revoked_at else "active"
        typer.echo(f"{a.id}  {a.client_id}  {a.access:<10}  {state:<22}  {a.name}")
    typer.echo(f"{plural(len(accounts), 'service account')} in {found.name}")


@service_accounts_cli.command("revoke")
def revoke(
    institution: InstitutionArg,
    account: Annotated[str, typer.Argument(help="The service account's id or client id")],
) -> None:
    """Revoke a service account: its tokens stop working at once."""
    with open_session() as session, exit_on_domain_error():
        found = _institution(session, institution)
        try:
            record = service_accounts.get_service_account(session, found.id, uuid.UUID(account))
        except ValueError:
            record = service_accounts.service_account_by_client_id(session, account)
            if record.institution_id != found.id:
                raise NotFound(f"no service account with client id {account}") from None
        service_accounts.revoke_service_account(session, None, record)
    typer.echo(f"revoked {record.client_id} ({record.name})")
