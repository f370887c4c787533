"""comments on items (versions, mentions) and private calendar feeds

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 06:10:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.db

revision: str = '0011'
down_revision: str | Sequence[str] | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('comments',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('thread_id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('program_id', sa.Uuid(), nullable=False),
    sa.Column('item_id', sa.Uuid(), nullable=False),
    sa.Column('item_key', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('author_id', sa.Uuid(), nullable=True),
    sa.Column('author_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_comments_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['item_id'], ['program_items.id'], name=op.f('fk_comments_item_id_program_items'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['program_id'], ['programs.id'], name=op.f('fk_comments_program_id_programs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comments')),
    sa.UniqueConstraint('thread_id', 'version', name=op.f('uq_comments_thread_id_version'))
    )
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_comments_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_comments_program_id'), ['program_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_comments_thread_id'), ['thread_id'], unique=False)

    op.create_table('comment_mentions',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('comment_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['comment_id'], ['comments.id'], name=op.f('fk_comment_mentions_comment_id_comments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_comment_mentions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comment_mentions')),
    sa.UniqueConstraint('comment_id', 'user_id', name=op.f('uq_comment_mentions_comment_id_user_id'))
    )
    with op.batch_alter_table('comment_mentions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_comment_mentions_comment_id'), ['comment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_comment_mentions_user_id'), ['user_id'], unique=False)

    op.create_table('calendar_feeds',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('scope', sa.String(length=16), nullable=False),
    sa.Column('program_id', sa.Uuid(), nullable=True),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('prefix', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['program_id'], ['programs.id'], name=op.f('fk_calendar_feeds_program_id_programs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_calendar_feeds_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_feeds')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_calendar_feeds_token_hash'))
    )
    with op.batch_alter_table('calendar_feeds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calendar_feeds_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('calendar_feeds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calendar_feeds_user_id'))
    op.drop_table('calendar_feeds')
    with op.batch_alter_table('comment_mentions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_comment_mentions_user_id'))
        batch_op.drop_index(batch_op.f('ix_comment_mentions_comment_id'))
    op.drop_table('comment_mentions')
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_comments_thread_id'))
        batch_op.drop_index(batch_op.f('ix_comments_program_id'))
        batch_op.drop_index(batch_op.f('ix_comments_item_id'))
    op.drop_table('comments')
