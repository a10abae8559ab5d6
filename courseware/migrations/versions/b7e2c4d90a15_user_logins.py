"""user_logins: one row per logged-in browser, so logging out ends that session on the server

Sessions from before this revision carry no login id and end on their next request: the person logs in again.

Revision ID: b7e2c4d90a15
Revises: 5e81c2a7d4b3
Create Date: 2026-12-04 10:00:00

"""
from alembic import op
import sqlalchemy as sa

import courseware.models.base


# revision identifiers, used by Alembic.
revision = 'b7e2c4d90a15'
down_revision = '5e81c2a7d4b3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('user_logins',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', courseware.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_logins_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_logins'))
    )
    with op.batch_alter_table('user_logins', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_logins_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('user_logins', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_logins_user_id'))
    op.drop_table('user_logins')
