"""A real SMTP server (aiosmtpd) on 127.0.0.1 for each test, and the app configured to send through it."""

import socket
from collections.abc import Iterator
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any, cast

import pytest
from aiosmtpd.controller import Controller
from fastapi import FastAPI

from app.config import Settings
from app.notifications.worker import RunResult, run_once
from tests import db_harness

BASE_URL = "http://gtready.test"


class Mailbox:
    """What the server received; `refuse` makes it answer every message with a 5xx."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse = False

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        if self.refuse:
            return "554 5.7.1 Message refused"
        self.messages.append(cast(EmailMessage, message_from_bytes(envelope.content, policy=default)))
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.events() if m["To"] == address]

    def events(self) -> list[EmailMessage]:
        """Every message but champions' weekly digests (which a test run on their day also produces)."""
        return [m for m in self.messages if "Weekly digest" not in m["Subject"]]


class SmtpServer:
    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.mailbox = Mailbox()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def mailbox(smtp: SmtpServer) -> Mailbox:
    return smtp.mailbox


@pytest.fixture
def settings(template_url: str, tmp_path: Path, checklists_dir: Path, smtp: SmtpServer) -> Settings:
    return Settings(
        database_url=db_harness.per_test_url(template_url, tmp_path),
        checklists_dir=checklists_dir,
        data_dir=tmp_path / "data",
        base_url=BASE_URL,
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        smtp_tls="none",
        smtp_sender="gtready <noreply@gtready.test>",
        smtp_timeout=5,
        secret_key="a test secret",
        notify_max_attempts=3,
        notify_backoff_seconds=60,
    )


@pytest.fixture
def work(app: FastAPI) -> Any:
    """One worker pass (reminders, then mail), as `gtready worker --once` runs it."""

    def run() -> RunResult:
        result = run_once(app.state.engine, app.state.settings)
        assert not result.errors, result.errors
        return result

    return run
