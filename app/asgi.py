"""ASGI entry point for uvicorn and other servers: `uvicorn app.asgi:app`."""

from app.main import create_app
from app.observability import configure_logging

configure_logging()
app = create_app()
