"""packet_definitions: committee packet definitions an institution adapted (every upload kept, numbered per kind)

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 08:50:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.db

revision: str = '0013'
down_revision: str | Sequence[str] | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('packet_definitions',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('institution_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('yaml', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Uuid(), nullable=True),
    sa.Column('created_by_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_packet_definitions_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_packet_definitions_institution_id_institutions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_packet_definitions')),
    sa.UniqueConstraint('institution_id', 'kind', 'number', name=op.f('uq_packet_definitions_institution_id_kind_number'))
    )
    with op.batch_alter_table('packet_definitions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_packet_definitions_institution_id'), ['institution_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('packet_definitions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_packet_definitions_institution_id'))
    op.drop_table('packet_definitions')
