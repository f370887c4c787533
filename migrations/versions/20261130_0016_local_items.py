"""program_items: local items (a program's own steps, keys LOC-001...), their phase, and when and why one retired

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30 08:50:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = '0016'
down_revision: str | Sequence[str] | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('program_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('local', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('phase', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('retired_at', app.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('retired_reason', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('program_items', schema=None) as batch_op:
        batch_op.drop_column('retired_reason')
        batch_op.drop_column('retired_at')
        batch_op.drop_column('phase')
        batch_op.drop_column('local')
