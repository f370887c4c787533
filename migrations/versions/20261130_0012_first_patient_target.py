"""programs: first_patient_target, the date a champion aims to dose the first patient (nullable)

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 06:10:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012'
down_revision: str | Sequence[str] | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('programs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_patient_target', sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('programs', schema=None) as batch_op:
        batch_op.drop_column('first_patient_target')
