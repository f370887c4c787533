"""site_dossiers: manufacturer site dossiers (manifest, index PDF, zip hash, when sent)

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30 08:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.db

revision: str = '0015'
down_revision: str | Sequence[str] | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('site_dossiers',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('number', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('program_id', sa.Uuid(), nullable=False),
    sa.Column('institution_id', sa.Uuid(), nullable=False),
    sa.Column('product', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Uuid(), nullable=True),
    sa.Column('created_by_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('manifest', sa.JSON(), nullable=False),
    sa.Column('index_pdf', sa.LargeBinary(), nullable=False),
    sa.Column('zip_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('sent_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('sent_by_id', sa.Uuid(), nullable=True),
    sa.Column('sent_by_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_site_dossiers_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_site_dossiers_institution_id_institutions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['program_id'], ['programs.id'], name=op.f('fk_site_dossiers_program_id_programs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sent_by_id'], ['users.id'], name=op.f('fk_site_dossiers_sent_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_site_dossiers')),
    sa.UniqueConstraint('number', name=op.f('uq_site_dossiers_number'))
    )
    with op.batch_alter_table('site_dossiers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_site_dossiers_institution_id'), ['institution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_site_dossiers_program_id'), ['program_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_site_dossiers_zip_sha256'), ['zip_sha256'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('site_dossiers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_site_dossiers_zip_sha256'))
        batch_op.drop_index(batch_op.f('ix_site_dossiers_program_id'))
        batch_op.drop_index(batch_op.f('ix_site_dossiers_institution_id'))

    op.drop_table('site_dossiers')
