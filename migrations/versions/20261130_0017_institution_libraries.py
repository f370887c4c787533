"""institution_libraries: checklist libraries an institution uploaded (workbook or YAML), one row per version

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30 08:50:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.db

revision: str = '0017'
down_revision: str | Sequence[str] | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('institution_libraries',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('institution_id', sa.Uuid(), nullable=False),
    sa.Column('library_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('version', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('source_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('source_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('uploaded_by', sa.Uuid(), nullable=True),
    sa.Column('uploaded_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_institution_libraries_institution_id_institutions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by'], ['users.id'], name=op.f('fk_institution_libraries_uploaded_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_institution_libraries')),
    sa.UniqueConstraint('institution_id', 'library_id', 'version', name=op.f('uq_institution_libraries_institution_id_library_id_version'))
    )
    with op.batch_alter_table('institution_libraries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_institution_libraries_institution_id'), ['institution_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('institution_libraries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_institution_libraries_institution_id'))
    op.drop_table('institution_libraries')
