"""users.session_stamp: a changed password ends the user's other sessions

Revision ID: 7c1f2a9d3b10
Revises: e5df6047be7a
Create Date: 2026-11-27 23:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7c1f2a9d3b10'
down_revision = 'e5df6047be7a'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_stamp', sa.String(length=32), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_stamp')
