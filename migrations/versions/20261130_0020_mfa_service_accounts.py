"""MFA (TOTP secrets, recovery codes, logins waiting for a code, an institution's MFA rule) and service accounts
with their short-lived tokens

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-30 08:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.db

revision: str = '0020'
down_revision: str | Sequence[str] | None = '0019'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('institution_security',
    sa.Column('institution_id', sa.Uuid(), nullable=False),
    sa.Column('require_mfa_for', sa.JSON(), nullable=False),
    sa.Column('updated_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_institution_security_institution_id_institutions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('institution_id', name=op.f('pk_institution_security'))
    )

    op.create_table('mfa_pending_logins',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('next_path', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_mfa_pending_logins_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mfa_pending_logins')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_mfa_pending_logins_token_hash'))
    )
    with op.batch_alter_table('mfa_pending_logins', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mfa_pending_logins_user_id'), ['user_id'], unique=False)

    op.create_table('mfa_recovery_codes',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('code_hash', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_mfa_recovery_codes_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mfa_recovery_codes'))
    )
    with op.batch_alter_table('mfa_recovery_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mfa_recovery_codes_user_id'), ['user_id'], unique=False)

    op.create_table('service_accounts',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('institution_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('access', sa.String(length=16), nullable=False),
    sa.Column('client_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('secret_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_by_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_token_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_service_accounts_institution_id_institutions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_service_accounts_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_accounts')),
    sa.UniqueConstraint('client_id', name=op.f('uq_service_accounts_client_id')),
    sa.UniqueConstraint('user_id', name=op.f('uq_service_accounts_user_id'))
    )
    with op.batch_alter_table('service_accounts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_accounts_institution_id'), ['institution_id'], unique=False)

    op.create_table('user_mfa',
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('secret', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('enabled_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_used_step', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_mfa_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_user_mfa'))
    )

    op.create_table('service_account_tokens',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('service_account_id', sa.Uuid(), nullable=False),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('issued_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['service_account_id'], ['service_accounts.id'], name=op.f('fk_service_account_tokens_service_account_id_service_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_account_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_service_account_tokens_token_hash'))
    )
    with op.batch_alter_table('service_account_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_account_tokens_service_account_id'), ['service_account_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('service_account_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_account_tokens_service_account_id'))
    op.drop_table('service_account_tokens')
    with op.batch_alter_table('service_accounts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_accounts_institution_id'))
    op.drop_table('service_accounts')
    op.drop_table('user_mfa')
    with op.batch_alter_table('mfa_recovery_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mfa_recovery_codes_user_id'))
    op.drop_table('mfa_recovery_codes')
    with op.batch_alter_table('mfa_pending_logins', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mfa_pending_logins_user_id'))
    op.drop_table('mfa_pending_logins')
    op.drop_table('institution_security')
