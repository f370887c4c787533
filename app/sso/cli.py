"""`gtready sso check`: is this deployment's single sign-on configuration going to work with its provider?"""

import typer

from app.config import Settings

sso_cli = typer.Typer(help="Single sign-on (OpenID Connect).", no_args_is_help=True)


@sso_cli.command("check")
def sso_check() -> None:
    """Fetch the provider's discovery document and keys and check the issuer, redirect URI, scopes and claims
    against the GTREADY_OIDC_* settings; exit 1 if anything would stop people signing in."""
    from app.sso.check import check_configuration

    found = check_configuration(Settings())
    for line in found.ok:
        typer.echo(f"ok: {line}")
    for line in found.warnings:
        typer.echo(f"warning: {line}")
    for line in found.problems:
        typer.echo(f"problem: {line}", err=True)
    if found.problems:
        raise typer.Exit(code=1)
    typer.echo("single sign-on configuration looks right")
