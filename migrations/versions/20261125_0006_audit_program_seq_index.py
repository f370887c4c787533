"""audit events: index (program_id, seq) for a program's latest events

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 09:10:00
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0006'
down_revision: str | Sequence[str] | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_audit_events_program_seq', 'audit_events', ['program_id', 'seq'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_audit_events_program_seq', table_name='audit_events')
