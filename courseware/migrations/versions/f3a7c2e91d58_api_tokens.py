"""api_tokens: bearer tokens for the reports API (branch wp-api), stored as SHA-256 hashes

Revision ID: f3a7c2e91d58
Revises: f3a1c9d27b64
Create Date: 2026-12-03 19:30:00

"""
from alembic import op
import sqlalchemy as sa

import courseware.models.base


# revision identifiers, used by Alembic.
revision = 'f3a7c2e91d58'
down_revision = 'f3a1c9d27b64'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('scopes', sa.String(length=200), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', courseware.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', courseware.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('expires_at', courseware.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', courseware.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_api_tokens_created_by_id_users'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_created_by_id'), ['created_by_id'], unique=False)


def downgrade():
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_created_by_id'))
    op.drop_table('api_tokens')
