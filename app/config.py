"""Settings, read from the environment once per app and passed where needed."""

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GTREADY_", extra="ignore")

    database_url: str = Field(
        default=f"sqlite:///{PROJECT_ROOT / 'var' / 'gtready.db'}",
        validation_alias=AliasChoices("DATABASE_URL", "GTREADY_DATABASE_URL"),
    )
    checklists_dir: Path = PROJECT_ROOT / "checklists"
    data_dir: Path = PROJECT_ROOT / "var"
    sql_echo: bool = False
    max_upload_bytes: int = 25 * 1024 * 1024
    max_body_bytes: int = 1024 * 1024  # every request body but an evidence upload (see app/limits.py)
    # Reverse proxies whose X-Forwarded-For/-Proto `gtready serve` believes (addresses or networks, comma
    # separated; "*" for any peer, only where nothing but the proxy can connect). Empty: the socket peer is the
    # client, which is the address login throttling counts by. FORWARDED_ALLOW_IPS is uvicorn's own name for it.
    trusted_proxies: str = Field(default="", validation_alias=AliasChoices("GTREADY_TRUSTED_PROXIES",
                                                                           "FORWARDED_ALLOW_IPS"))

    # Notifications by email (app/notifications). No SMTP host: in-app notifications only, as before.
    base_url: str = "http://localhost:8000"  # how links in emails reach the app
    smtp_host: str = ""
    smtp_port: int = 0  # 0: 25, 587 or 465 by TLS mode
    smtp_tls: Literal["none", "starttls", "ssl"] = "starttls"
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_sender: str = "gtready <gtready@localhost>"
    smtp_timeout: float = 30.0
    secret_key: str = ""  # signs unsubscribe links; empty: a key kept in data_dir/secret_key
    notify_max_attempts: int = 6  # tries before a notification shows as failed
    notify_backoff_seconds: float = 60.0  # the first retry's wait; doubled each time
    worker_interval: float = 60.0

    # Single sign-on with OpenID Connect (app/sso). No issuer: local passwords only, as before.
    oidc_issuer: str = ""  # the issuer, or its discovery URL (…/.well-known/openid-configuration)
    oidc_client_id: str = ""
    oidc_client_secret: str = ""
    oidc_scopes: str = "openid email profile"
    oidc_display_name: str = "single sign-on"  # the login page says "Sign in with <name>"
    oidc_email_claim: str = "email"
    oidc_groups_claim: str = "groups"
    oidc_session_max_age: int = 8 * 3600  # seconds a session started by SSO lasts, whatever else happens
    oidc_leeway: int = 60  # seconds of clock difference tolerated on the ID token's times
    oidc_timeout: float = 10.0  # seconds to wait for the provider

    @property
    def sso_enabled(self) -> bool:
        return bool(self.oidc_issuer and self.oidc_client_id)

    @property
    def mail_enabled(self) -> bool:
        return bool(self.smtp_host)

    @property
    def evidence_dir(self) -> Path:
        return self.data_dir / "evidence"

    @cached_property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
