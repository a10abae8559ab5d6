"""users.email_verified_at: an account proves its address before it can enrol, join a firm or get a certificate

Existing accounts start unverified: nobody's address was ever checked, so each person confirms theirs the next
time they enrol or join a firm.

Revision ID: a3d9e1f40b22
Revises: 7c1f2a9d3b10
Create Date: 2026-12-03 16:00:00

"""
from alembic import op
import sqlalchemy as sa

import courseware.models.base


# revision identifiers, used by Alembic.
revision = 'a3d9e1f40b22'
down_revision = '7c1f2a9d3b10'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_verified_at', courseware.models.base.UTCDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('email_verified_at')
