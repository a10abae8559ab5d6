"""course_versions.show_answers and attempts_per_day: the quiz policy of [completion]

Versions imported before keep the behaviour they had, as far as it was a choice: no daily limit. Their right
answers now show after a pass (the default), as they will for every course that does not say otherwise.

Revision ID: 5e81c2a7d4b3
Revises: a3d9e1f40b22
Create Date: 2026-12-05 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e81c2a7d4b3'
down_revision = 'a3d9e1f40b22'
branch_labels = None
depends_on = None


def upgrade():
    # Server defaults fill the existing rows, then go: the models set these values, as they do every other.
    with op.batch_alter_table('course_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('show_answers', sa.String(length=10), nullable=False,
                                      server_default='after-pass'))
        batch_op.add_column(sa.Column('attempts_per_day', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('course_versions', schema=None) as batch_op:
        batch_op.alter_column('show_answers', server_default=None)
        batch_op.alter_column('attempts_per_day', server_default=None)


def downgrade():
    with op.batch_alter_table('course_versions', schema=None) as batch_op:
        batch_op.drop_column('attempts_per_day')
        batch_op.drop_column('show_answers')
