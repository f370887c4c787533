"""Every table, imported once so SQLModel.metadata (and so Alembic) sees the whole schema."""

from app.auth.models import Membership, User
from app.programs.models import Institution, Program, ProgramItem

__all__ = ["Institution", "Membership", "Program", "ProgramItem", "User"]
