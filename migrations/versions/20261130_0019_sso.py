"""single sign-on: institution rules, group roles, identities, pending round trips, signing grants; how a
sign-off's signer authenticated

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-30 08:50:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.db

revision: str = '0019'
down_revision: str | Sequence[str] | None = '0018'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('sso_institution_rules',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('institution_id', sa.Uuid(), nullable=False),
    sa.Column('email_domain', sqlmodel.sql.sqltypes.AutoString(length=253), nullable=True),
    sa.Column('claim', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('value', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('require_sso', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'],
                            name=op.f('fk_sso_institution_rules_institution_id_institutions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sso_institution_rules'))
    )
    with op.batch_alter_table('sso_institution_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sso_institution_rules_institution_id'), ['institution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sso_institution_rules_email_domain'), ['email_domain'], unique=False)

    op.create_table('sso_group_roles',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('institution_id', sa.Uuid(), nullable=False),
    sa.Column('group', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'],
                            name=op.f('fk_sso_group_roles_institution_id_institutions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sso_group_roles'))
    )
    with op.batch_alter_table('sso_group_roles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sso_group_roles_institution_id'), ['institution_id'], unique=False)

    op.create_table('sso_identities',
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('issuer', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('last_login_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_sso_identities_user_id_users'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_sso_identities'))
    )
    with op.batch_alter_table('sso_identities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sso_identities_subject'), ['subject'], unique=False)

    op.create_table('sso_signing_grants',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('authenticated_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('used_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_sso_signing_grants_user_id_users'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sso_signing_grants')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_sso_signing_grants_token_hash'))
    )
    with op.batch_alter_table('sso_signing_grants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sso_signing_grants_user_id'), ['user_id'], unique=False)

    op.create_table('sso_pending',
    sa.Column('state_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('nonce', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('code_verifier', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('purpose', sa.String(length=16), nullable=False),
    sa.Column('next_path', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=True),
    sa.Column('grant_id', sa.Uuid(), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['grant_id'], ['sso_signing_grants.id'],
                            name=op.f('fk_sso_pending_grant_id_sso_signing_grants'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_sso_pending_user_id_users'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('state_hash', name=op.f('pk_sso_pending'))
    )

    with op.batch_alter_table('signoffs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('auth_method', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('signoffs', schema=None) as batch_op:
        batch_op.drop_column('auth_method')
    op.drop_table('sso_pending')
    with op.batch_alter_table('sso_signing_grants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sso_signing_grants_user_id'))
    op.drop_table('sso_signing_grants')
    with op.batch_alter_table('sso_identities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sso_identities_subject'))
    op.drop_table('sso_identities')
    with op.batch_alter_table('sso_group_roles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sso_group_roles_institution_id'))
    op.drop_table('sso_group_roles')
    with op.batch_alter_table('sso_institution_rules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sso_institution_rules_email_domain'))
        batch_op.drop_index(batch_op.f('ix_sso_institution_rules_institution_id'))
    op.drop_table('sso_institution_rules')
