"""The one way mail leaves: SMTP with the configured TLS mode. Errors reach the caller, which retries."""

import smtplib
import ssl
from email.message import EmailMessage

from app.config import Settings

DEFAULT_PORTS = {"none": 25, "starttls": 587, "ssl": 465}


def send_email(settings: Settings, message: EmailMessage) -> None:
    """Hand one message to the SMTP server; raises OSError or smtplib.SMTPException when it is not accepted."""
    port = settings.smtp_port or DEFAULT_PORTS[settings.smtp_tls]
    context = ssl.create_default_context()
    smtp: smtplib.SMTP
    if settings.smtp_tls == "ssl":
        smtp = smtplib.SMTP_SSL(settings.smtp_host, port, timeout=settings.smtp_timeout, context=context)
    else:
        smtp = smtplib.SMTP(settings.smtp_host, port, timeout=settings.smtp_timeout)
    with smtp:
        if settings.smtp_tls == "starttls":
            smtp.starttls(context=context)
        if settings.smtp_username:
            smtp.login(settings.smtp_username, settings.smtp_password)
        smtp.send_message(message)
