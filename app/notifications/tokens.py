"""One-click unsubscribe links: an HMAC of (person, kind) under the server's secret, so no login is needed and
nobody can forge a link for someone else."""

import hashlib
import hmac
import os
import secrets
import uuid
from pathlib import Path

from app.config import Settings
from app.errors import NotFound
from app.notifications.models import NotificationKind


def server_secret(settings: Settings) -> bytes:
    """GTREADY_SECRET_KEY, or a random key made once in the data folder (shared by replicas, like evidence)."""
    if settings.secret_key:
        return settings.secret_key.encode()
    path = settings.data_dir / "secret_key"
    if not path.exists():
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # one writer wins a race
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as file:
                file.write(secrets.token_hex(32))
    return _read(path)


def _read(path: Path) -> bytes:
    for _ in range(50):  # a racing creator may not have written it yet
        value = path.read_text().strip()
        if value:
            return value.encode()
    raise RuntimeError(f"{path} is empty; delete it or set GTREADY_SECRET_KEY")


def _signature(secret: bytes, user_id: uuid.UUID, kind: NotificationKind) -> str:
    message = f"unsubscribe|{user_id}|{kind.value}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()[:32]


def unsubscribe_token(settings: Settings, user_id: uuid.UUID, kind: NotificationKind) -> str:
    return f"{user_id}.{kind.value}.{_signature(server_secret(settings), user_id, kind)}"


def read_unsubscribe_token(settings: Settings, token: str) -> tuple[uuid.UUID, NotificationKind]:
    """The person and kind a link names; a forged or damaged link is not found."""
    try:
        user_part, kind_part, signature = token.split(".")
        user_id, kind = uuid.UUID(user_part), NotificationKind(kind_part)
    except ValueError:
        raise NotFound("this unsubscribe link is not valid") from None
    if not hmac.compare_digest(signature, _signature(server_secret(settings), user_id, kind)):
        raise NotFound("this unsubscribe link is not valid")
    return user_id, kind
