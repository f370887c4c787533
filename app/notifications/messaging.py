"""The messages notifications send: a subject, plain text and simple HTML from Jinja2 templates (autoescaped),
with a link to the item and a one-click unsubscribe link for the kind. Nothing secret goes in."""

from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from app.config import Settings
from app.notifications.models import Notification, NotificationKind
from app.notifications.tokens import unsubscribe_token

TEMPLATES = Path(__file__).parent / "templates"
_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
)

# The first sentence of each kind's message; the notification's own lines follow it.
INTROS: dict[NotificationKind, str] = {
    NotificationKind.ITEM_ASSIGNED: "An item was assigned to you.",
    NotificationKind.READY_TO_SIGN: "An item you may sign off was marked done and is waiting for a signature.",
    NotificationKind.DUE_SOON: "An item you own is due soon.",
    NotificationKind.OVERDUE: "An item you own is overdue.",
    NotificationKind.SIGNOFF_LAPSING: "A sign-off of yours will lapse soon; renew it before it does.",
    NotificationKind.EVIDENCE_EXPIRING: "Evidence you uploaded will expire soon; upload a current file.",
    NotificationKind.SIGNOFF_REVOKED: "A signature of yours was revoked.",
    NotificationKind.MENTIONED: "You were mentioned in a comment.",
    NotificationKind.INVITATION: "You are invited to join gtready.",
    NotificationKind.DIGEST: "Your weekly readiness digest.",
}


def absolute(settings: Settings, path: str) -> str:
    return settings.base_url.rstrip("/") + path if path.startswith("/") else path


def unsubscribe_url(settings: Settings, notification: Notification) -> str | None:
    if notification.user_id is None:  # an invitation: nobody to unsubscribe yet
        return None
    token = unsubscribe_token(settings, notification.user_id, NotificationKind(notification.kind))
    return absolute(settings, f"/notifications/unsubscribe/{token}")


def render(settings: Settings, notification: Notification) -> tuple[str, str, str]:
    """Subject, text and HTML of a notification's email."""
    kind = NotificationKind(notification.kind)
    context = notification.context
    lines = [str(line) for line in context.get("lines", [])]
    variables: dict[str, Any] = {
        "title": notification.title,
        "intro": INTROS[kind],
        "lines": lines,
        "link": absolute(settings, notification.link) if notification.link else "",
        "unsubscribe": unsubscribe_url(settings, notification),
        "kind_label": kind.label,
    }
    text = _env.get_template("email.txt").render(variables)
    html = _env.get_template("email.html").render(variables)
    return f"[gtready] {notification.title}", text, html


def email_message(settings: Settings, notification: Notification) -> EmailMessage:
    """The whole email, with List-Unsubscribe headers for one-click unsubscribe (RFC 8058)."""
    subject, text, html = render(settings, notification)
    message = EmailMessage()
    message["Subject"] = subject.replace("\n", " ")
    message["From"] = settings.smtp_sender
    message["To"] = notification.email
    message["Message-ID"] = make_msgid(idstring=str(notification.id), domain="gtready")
    unsubscribe = unsubscribe_url(settings, notification)
    if unsubscribe:
        message["List-Unsubscribe"] = f"<{unsubscribe}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def test_message(settings: Settings, to: str) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = "[gtready] Test message"
    message["From"] = settings.smtp_sender
    message["To"] = to
    message.set_content(f"This is a test message from gtready at {settings.base_url}. Email works.\n")
    return message
