"""institution_branding (logo re-encoded as PNG, name line, colours); reports: finalised_at, finalised_by_id,
finalised_by_name, draft_pdf_sha256 (every report a draft until a champion marks it final)

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 08:50:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.db

revision: str = '0014'
down_revision: str | Sequence[str] | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('institution_branding',
    sa.Column('institution_id', sa.Uuid(), nullable=False),
    sa.Column('name_line', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('primary_colour', sa.String(length=7), nullable=False),
    sa.Column('accent_colour', sa.String(length=7), nullable=False),
    sa.Column('logo_png', sa.LargeBinary(), nullable=True),
    sa.Column('logo_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('logo_width', sa.Integer(), nullable=True),
    sa.Column('logo_height', sa.Integer(), nullable=True),
    sa.Column('updated_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Uuid(), nullable=True),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'],
                            name=op.f('fk_institution_branding_institution_id_institutions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'],
                            name=op.f('fk_institution_branding_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('institution_id', name=op.f('pk_institution_branding'))
    )
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('finalised_at', app.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('finalised_by_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('finalised_by_name', sqlmodel.sql.sqltypes.AutoString(length=200),
                                      nullable=True))
        batch_op.add_column(sa.Column('draft_pdf_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_reports_finalised_by_id_users'), 'users', ['finalised_by_id'],
                                    ['id'], ondelete='SET NULL')


def downgrade() -> None:
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_reports_finalised_by_id_users'), type_='foreignkey')
        batch_op.drop_column('draft_pdf_sha256')
        batch_op.drop_column('finalised_by_name')
        batch_op.drop_column('finalised_by_id')
        batch_op.drop_column('finalised_at')
    op.drop_table('institution_branding')
