"""`gtready notify test EMAIL` (the worker itself is app/worker.py)."""

from typing import Annotated

import typer

from app.cli_support import fail
from app.config import Settings

notify_cli = typer.Typer(help="Email notifications.", no_args_is_help=True)


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
