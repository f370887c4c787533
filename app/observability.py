"""Structured JSON logs with a request id, and the health/readiness probes."""

import json
import logging
import time
import uuid
from contextvars import ContextVar
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import migrate

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")
logger = logging.getLogger("gtready")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": request_id_var.get(),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    logger.handlers[:] = [handler]
    logger.setLevel(level)
    logger.propagate = False


def uvicorn_log_config(level: str = "INFO") -> dict[str, Any]:
    """uvicorn's own loggers (startup, shutdown, errors) as JSON lines on stderr like ours, for `gtready serve`:
    log collectors then parse every line the process writes. Given to uvicorn.run as its `log_config`."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"json": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
        "root": {"handlers": ["json"], "level": "WARNING"},
        "loggers": {
            "uvicorn": {"handlers": ["json"], "level": level, "propagate": False},
            "uvicorn.error": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.access": {"handlers": [], "level": level, "propagate": True},
        },
    }


class RequestIdMiddleware:
    """Give every request an id (kept from `X-Request-ID` if sent), echo it, and log one line per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sent = dict(scope.get("headers") or [])
        request_id = sent.get(b"x-request-id", b"").decode("latin-1")[:64] or uuid.uuid4().hex
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode("latin-1")))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            fields = {
                "method": scope["method"],
                "path": scope["path"],
                "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
            }
            logger.info("request", extra={"fields": fields})
            request_id_var.reset(token)


async def database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    """A lost or locked database is a temporary condition the client may retry, not a server bug."""
    logger.warning("database unavailable", extra={"fields": {"error": str(exc).splitlines()[0]}})
    return JSONResponse({"detail": "the database is unavailable; try again shortly"}, status_code=503)



probes = APIRouter(tags=["operations"])


@probes.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@probes.get("/readyz", responses={503: {"description": "Database unreachable or not migrated"}})
def readyz(request: Request) -> JSONResponse:
    """The database answers and its schema is at the code's migration heads."""
    engine, settings = request.app.state.engine, request.app.state.settings
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        current = migrate.is_current(settings, engine)
    except DBAPIError as error:
        # the driver's message names the host, port and database: for the log, not for anyone who asks
        logger.warning("not ready: database unreachable",
                       extra={"fields": {"error": (str(error.orig).splitlines() or [""])[0]}})
        return JSONResponse({"status": "unavailable", "detail": "database unreachable"}, status_code=503)
    if not current:
        logger.warning("not ready: database schema is not at the code's migration heads")
        return JSONResponse({"status": "unavailable", "detail": "database schema is not current"}, status_code=503)
    return JSONResponse({"status": "ready"})
