"""Trustworthy firm membership (join requests, verified contact persons, who invited a member)

- firms.verified_via / verified_at / verified_by_id: how and when the firm's contact person was verified.
  Existing firms start unverified: their contact was whoever registered the orgnr first, and nobody checked.
- users.firm_invited_by_id: who invited a member into their current firm. Filled for existing members from the
  invitations they accepted, so colleagues who came through the contact person's invitation stay visible to them.
- firm_join_requests: asking to join an existing firm, decided by its contact person or an admin.

Revision ID: c4f1a0e9b2d7
Revises: b7e2c4d90a15
Create Date: 2026-12-05 10:00:00

"""
from alembic import op
import sqlalchemy as sa

import courseware.models.base


# revision identifiers, used by Alembic.
revision = 'c4f1a0e9b2d7'
down_revision = 'b7e2c4d90a15'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('firms', schema=None) as batch_op:
        batch_op.add_column(sa.Column('verified_via', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('verified_at', courseware.models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('verified_by_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_firms_verified_by_id'), ['verified_by_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_firms_verified_by_id_users'), 'users', ['verified_by_id'], ['id'],
                                    ondelete='SET NULL', use_alter=True)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('firm_invited_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_users_firm_invited_by_id_users'), 'users', ['firm_invited_by_id'],
                                    ['id'], ondelete='SET NULL')

    # A member who accepted an invitation to their current firm trusted whoever sent it.
    op.execute(
        "UPDATE users SET firm_invited_by_id = ("
        " SELECT fi.invited_by_id FROM firm_invitations fi"
        " WHERE fi.email = users.email AND fi.firm_id = users.firm_id AND fi.accepted_at IS NOT NULL"
        " ORDER BY fi.accepted_at DESC LIMIT 1"
        ") WHERE firm_id IS NOT NULL"
    )

    op.create_table(
        'firm_join_requests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('firm_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('created_at', courseware.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('decided_at', courseware.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'],
                                name=op.f('fk_firm_join_requests_decided_by_id_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['firm_id'], ['firms.id'], name=op.f('fk_firm_join_requests_firm_id_firms'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_firm_join_requests_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_firm_join_requests')),
    )
    with op.batch_alter_table('firm_join_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_firm_join_requests_decided_by_id'), ['decided_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_firm_join_requests_firm_id'), ['firm_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_firm_join_requests_user_id'), ['user_id'], unique=False)
        batch_op.create_index('uq_firm_join_requests_pending_user', ['user_id'], unique=True,
                              sqlite_where=sa.text("status = 'pending'"),
                              postgresql_where=sa.text("status = 'pending'"))


def downgrade():
    op.drop_table('firm_join_requests')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_users_firm_invited_by_id_users'), type_='foreignkey')
        batch_op.drop_column('firm_invited_by_id')
    with op.batch_alter_table('firms', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_firms_verified_by_id_users'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_firms_verified_by_id'))
        batch_op.drop_column('verified_by_id')
        batch_op.drop_column('verified_at')
        batch_op.drop_column('verified_via')
