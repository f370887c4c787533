"""committees and their members; approval chains on items and chain steps on sign-offs

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-30 08:45:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.db

revision: str = '0018'
down_revision: str | Sequence[str] | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('committees',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('institution_id', sa.Uuid(), nullable=False),
    sa.Column('slug', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('chair_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['chair_id'], ['users.id'], name=op.f('fk_committees_chair_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_committees_institution_id_institutions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_committees')),
    sa.UniqueConstraint('institution_id', 'slug', name=op.f('uq_committees_institution_id_slug'))
    )
    with op.batch_alter_table('committees', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_committees_institution_id'), ['institution_id'], unique=False)

    op.create_table('committee_members',
    sa.Column('committee_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('added_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['committee_id'], ['committees.id'], name=op.f('fk_committee_members_committee_id_committees'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_committee_members_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('committee_id', 'user_id', name=op.f('pk_committee_members'))
    )
    with op.batch_alter_table('committee_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_committee_members_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('program_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('approval_chain', sa.JSON(none_as_null=True), nullable=True))

    with op.batch_alter_table('signoffs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('step', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('committee_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('meeting_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('on_behalf_of_committee', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_signoffs_committee_id_committees'), 'committees', ['committee_id'], ['id'], ondelete='SET NULL')


def downgrade() -> None:
    with op.batch_alter_table('signoffs', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_signoffs_committee_id_committees'), type_='foreignkey')
        batch_op.drop_column('on_behalf_of_committee')
        batch_op.drop_column('meeting_date')
        batch_op.drop_column('committee_id')
        batch_op.drop_column('step')

    with op.batch_alter_table('program_items', schema=None) as batch_op:
        batch_op.drop_column('approval_chain')

    with op.batch_alter_table('committee_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_committee_members_user_id'))
    op.drop_table('committee_members')
    with op.batch_alter_table('committees', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_committees_institution_id'))
    op.drop_table('committees')
