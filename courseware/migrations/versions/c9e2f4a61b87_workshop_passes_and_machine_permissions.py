"""workshop: library machines, the courses that grant them, workshop passes and staff sign-offs (branch wp-verk)

Revision ID: c9e2f4a61b87
Revises: c9a4e2d71f08
Create Date: 2026-12-04 03:38:23.614108

"""
from alembic import op
import sqlalchemy as sa

import courseware.models.base


# revision identifiers, used by Alembic.
revision = 'c9e2f4a61b87'
down_revision = 'c9a4e2d71f08'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('machines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('room', sa.String(length=120), nullable=False),
    sa.Column('created_at', courseware.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_machines_provider_id_providers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_machines'))
    )
    with op.batch_alter_table('machines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_machines_provider_id'), ['provider_id'], unique=False)

    op.create_table('machine_grants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('machine_id', sa.Integer(), nullable=False),
    sa.Column('min_age', sa.Integer(), nullable=True),
    sa.Column('consent_under_age', sa.Integer(), nullable=True),
    sa.Column('valid_months', sa.Integer(), nullable=True),
    sa.Column('refresher_course_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_machine_grants_course_id_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['machine_id'], ['machines.id'], name=op.f('fk_machine_grants_machine_id_machines'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['refresher_course_id'], ['courses.id'], name=op.f('fk_machine_grants_refresher_course_id_courses'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_machine_grants')),
    sa.UniqueConstraint('course_id', 'machine_id', name=op.f('uq_machine_grants_course_id_machine_id'))
    )
    with op.batch_alter_table('machine_grants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_machine_grants_course_id'), ['course_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_machine_grants_machine_id'), ['machine_id'], unique=False)

    op.create_table('workshop_passes',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('birth_year', sa.Integer(), nullable=True),
    sa.Column('created_at', courseware.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_workshop_passes_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_workshop_passes')),
    sa.UniqueConstraint('code', name=op.f('uq_workshop_passes_code'))
    )
    op.create_table('machine_permissions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('machine_id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=True),
    sa.Column('certificate_id', sa.Integer(), nullable=True),
    sa.Column('granted_at', courseware.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', courseware.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('signed_off_by_id', sa.Integer(), nullable=True),
    sa.Column('signed_off_by_name', sa.String(length=200), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('age_band', sa.String(length=10), nullable=False),
    sa.Column('guardian_name', sa.String(length=200), nullable=False),
    sa.Column('guardian_recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('guardian_recorded_at', courseware.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_at', courseware.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_by_id', sa.Integer(), nullable=True),
    sa.Column('withdrawn_reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['certificate_id'], ['certificates.id'], name=op.f('fk_machine_permissions_certificate_id_certificates'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_machine_permissions_course_id_courses'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['guardian_recorded_by_id'], ['users.id'], name=op.f('fk_machine_permissions_guardian_recorded_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['machine_id'], ['machines.id'], name=op.f('fk_machine_permissions_machine_id_machines'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_machine_permissions_provider_id_providers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['signed_off_by_id'], ['users.id'], name=op.f('fk_machine_permissions_signed_off_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_machine_permissions_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['withdrawn_by_id'], ['users.id'], name=op.f('fk_machine_permissions_withdrawn_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_machine_permissions'))
    )
    with op.batch_alter_table('machine_permissions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_machine_permissions_machine_id'), ['machine_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_machine_permissions_provider_id'), ['provider_id'], unique=False)
        batch_op.create_index('ix_machine_permissions_user_machine', ['user_id', 'machine_id'], unique=False)



def downgrade():
    with op.batch_alter_table('machine_permissions', schema=None) as batch_op:
        batch_op.drop_index('ix_machine_permissions_user_machine')
        batch_op.drop_index(batch_op.f('ix_machine_permissions_provider_id'))
        batch_op.drop_index(batch_op.f('ix_machine_permissions_machine_id'))

    op.drop_table('machine_permissions')
    op.drop_table('workshop_passes')
    with op.batch_alter_table('machine_grants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_machine_grants_machine_id'))
        batch_op.drop_index(batch_op.f('ix_machine_grants_course_id'))

    op.drop_table('machine_grants')
    with op.batch_alter_table('machines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_machines_provider_id'))

    op.drop_table('machines')
