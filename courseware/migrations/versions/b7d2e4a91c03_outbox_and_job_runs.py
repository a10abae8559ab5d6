"""outbox_messages and job_runs: durable mail delivered by the worker, periodic jobs once per slot (wp-outbox)

Revision ID: b7d2e4a91c03
Revises: f4eca2b65fb2
Create Date: 2026-12-04 00:40:00

"""
from alembic import op
import sqlalchemy as sa

import courseware.models.base


# revision identifiers, used by Alembic.
revision = 'b7d2e4a91c03'
down_revision = 'f4eca2b65fb2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('outbox_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=200), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', courseware.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', courseware.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', courseware.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_messages'))
    )
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_messages_status_next_attempt_at', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_messages_created_at'), ['created_at'], unique=False)
    op.create_table('job_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('slot', sa.Integer(), nullable=False),
    sa.Column('started_at', courseware.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', courseware.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('error', sa.String(length=1000), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_runs')),
    sa.UniqueConstraint('name', 'slot', name=op.f('uq_job_runs_name_slot'))
    )


def downgrade():
    op.drop_table('job_runs')
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_messages_created_at'))
        batch_op.drop_index('ix_outbox_messages_status_next_attempt_at')
    op.drop_table('outbox_messages')
