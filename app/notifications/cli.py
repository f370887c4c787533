"""`gtready worker` (reminders and mail, in a loop or once) and `gtready notify test EMAIL`."""

from typing import Annotated

import typer

from app.cli_support import check_database, fail, plural
from app.config import Settings

notify_cli = typer.Typer(help="Email notifications.", no_args_is_help=True)


def worker_command(
    once: Annotated[bool, typer.Option("--once", help="One pass, then exit")] = False,
    interval: Annotated[float | None, typer.Option(help="Seconds between passes (GTREADY_WORKER_INTERVAL)")] = None,
) -> None:
    """Compute the reminders that are due, send queued emails and generate queued reports; safe to run on several
    machines at once."""
    from app.db import make_engine
    from app.notifications.worker import run_forever, run_once

    settings = Settings()
    check_database(settings)
    engine = make_engine(settings)
    if not settings.mail_enabled:
        typer.echo("email is off (no GTREADY_SMTP_HOST): notifications show in the app only", err=True)
    if once:
        result = run_once(engine, settings)
        typer.echo(f"{result.reminders} new reminders, {result.sent} sent, {result.retried} to retry, "
                   f"{result.failed} failed, {plural(result.reports, 'report')} generated")
        for error in result.errors:
            typer.echo(f"gtready: {error}", err=True)
        raise typer.Exit(code=1 if result.errors else 0)
    run_forever(engine, settings, interval if interval is not None else settings.worker_interval)


@notify_cli.command("test")
def notify_test(email: Annotated[str, typer.Argument(help="Where to send the test message")]) -> None:
    """Send a test message through the configured SMTP server, now, and say whether it was accepted."""
    from app.notifications.delivery import send_email
    from app.notifications.messaging import test_message

    settings = Settings()
    if not settings.mail_enabled:
        fail("email is off: set GTREADY_SMTP_HOST (and PORT, TLS, USERNAME, PASSWORD, SENDER)")
    try:
        send_email(settings, test_message(settings, email))
    except Exception as error:  # noqa: BLE001  (any failure is reported in one line)
        fail(f"the mail server did not accept the message: {type(error).__name__}: {error}")
    typer.echo(f"test message sent to {email} via {settings.smtp_host}")
