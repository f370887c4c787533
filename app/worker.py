"""`gtready worker`: the background process of every deployment. Each pass runs the notifications pass (reminders
that are due, queued emails; app/notifications/worker.py), then the report jobs still queued
(app/reports/jobs.py), then forgets login-throttle counts long untouched (app/auth/throttle.py). Mail and reports
are claimed for one process, so several workers and replicas may run at once.

It composes the domains here, above them, so that none imports another for it."""

import logging
import time
from dataclasses import dataclass, field
from typing import Annotated

import typer
from sqlalchemy import Engine
from sqlmodel import Session

from app.auth.throttle import forget_stale_counts
from app.checklists.loader import load_catalog
from app.cli_support import check_database, plural
from app.config import Settings
from app.notifications import worker as notifications
from app.reports.jobs import run_queued_jobs

log = logging.getLogger("gtready.worker")


@dataclass
class WorkerPass:
    notifications: notifications.RunResult
    reports: int = 0
    throttles_forgotten: int = 0
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        n = self.notifications
        return (f"{n.reminders} new reminders, {n.sent} sent, {n.retried} to retry, {n.failed} failed, "
                f"{plural(self.reports, 'report')} generated")


def run_once(engine: Engine, settings: Settings) -> WorkerPass:
    """One pass: reminders and mail, then queued reports, then stale login throttles. Errors are logged and
    reported, never raised, so one failing part does not stop the others."""
    done = WorkerPass(notifications.run_once(engine, settings))
    done.errors.extend(done.notifications.errors)
    try:
        done.reports = run_queued_jobs(engine, lambda: load_catalog(settings.checklists_dir))
    except Exception as error:  # noqa: BLE001
        log.exception("generating queued reports failed")
        done.errors.append(f"reports: {error}")
    try:
        with Session(engine) as session:
            done.throttles_forgotten = forget_stale_counts(session)
    except Exception as error:  # noqa: BLE001
        log.exception("forgetting stale login throttles failed")
        done.errors.append(f"login throttles: {error}")
    return done


def run_forever(engine: Engine, settings: Settings, interval: float) -> None:  # pragma: no cover - a loop
    while True:
        log.info("worker pass: %s", run_once(engine, settings).summary())
        time.sleep(interval)


def worker_command(
    once: Annotated[bool, typer.Option("--once", help="One pass, then exit")] = False,
    interval: Annotated[float | None, typer.Option(help="Seconds between passes (GTREADY_WORKER_INTERVAL)")] = None,
) -> None:
    """Compute the reminders that are due, send queued emails and generate queued reports; safe to run on several
    machines at once."""
    from app.db import make_engine

    settings = Settings()
    check_database(settings)
    engine = make_engine(settings)
    if not settings.mail_enabled:
        typer.echo("email is off (no GTREADY_SMTP_HOST): notifications show in the app only", err=True)
    if once:
        done = run_once(engine, settings)
        typer.echo(done.summary())
        for error in done.errors:
            typer.echo(f"gtready: {error}", err=True)
        raise typer.Exit(code=1 if done.errors else 0)
    run_forever(engine, settings, interval if interval is not None else settings.worker_interval)
