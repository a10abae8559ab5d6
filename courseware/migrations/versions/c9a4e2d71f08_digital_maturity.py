"""digital_maturity: firms' digital maturity assessments (answers, cached scores, delegation) and the course
versions' dma_dimensions (issue 14)

Revision ID: c9a4e2d71f08
Revises: b7d41e9a0c53
Create Date: 2026-12-04 03:30:00

"""
from alembic import op
import sqlalchemy as sa

import courseware.models.base


# revision identifiers, used by Alembic.
revision = 'c9a4e2d71f08'
down_revision = 'b7d41e9a0c53'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('dma_assessments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('firm_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=5), nullable=False),
    sa.Column('stage', sa.Integer(), nullable=True),
    sa.Column('created_at', courseware.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('requested_at', courseware.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reminded_at', courseware.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('started_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', courseware.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('completed_at', courseware.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('completed_by_id', sa.Integer(), nullable=True),
    sa.Column('overall', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['firm_id'], ['firms.id'], name=op.f('fk_dma_assessments_firm_id_firms'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['started_by_id'], ['users.id'], name=op.f('fk_dma_assessments_started_by_id_users'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['completed_by_id'], ['users.id'],
                            name=op.f('fk_dma_assessments_completed_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dma_assessments'))
    )
    with op.batch_alter_table('dma_assessments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dma_assessments_firm_id'), ['firm_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dma_assessments_started_by_id'), ['started_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dma_assessments_completed_at'), ['completed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_dma_assessments_completed_by_id'), ['completed_by_id'], unique=False)
        batch_op.create_index('uq_dma_assessments_open_firm', ['firm_id'], unique=True,
                              sqlite_where=sa.text('completed_at IS NULL'),
                              postgresql_where=sa.text('completed_at IS NULL'))
    op.create_table('dma_answers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('question_key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', courseware.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assessment_id'], ['dma_assessments.id'],
                            name=op.f('fk_dma_answers_assessment_id_dma_assessments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['answered_by_id'], ['users.id'], name=op.f('fk_dma_answers_answered_by_id_users'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dma_answers')),
    sa.UniqueConstraint('assessment_id', 'question_key', name=op.f('uq_dma_answers_assessment_id_question_key'))
    )
    with op.batch_alter_table('dma_answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dma_answers_answered_by_id'), ['answered_by_id'], unique=False)
    op.create_table('dma_scores',
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('dimension', sa.String(length=32), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['assessment_id'], ['dma_assessments.id'],
                            name=op.f('fk_dma_scores_assessment_id_dma_assessments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('assessment_id', 'dimension', name=op.f('pk_dma_scores'))
    )
    op.create_table('dma_delegations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('firm_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('delegated_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', courseware.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['firm_id'], ['firms.id'], name=op.f('fk_dma_delegations_firm_id_firms'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_dma_delegations_user_id_users'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['delegated_by_id'], ['users.id'],
                            name=op.f('fk_dma_delegations_delegated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dma_delegations')),
    sa.UniqueConstraint('firm_id', name=op.f('uq_dma_delegations_firm_id'))
    )
    with op.batch_alter_table('dma_delegations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dma_delegations_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dma_delegations_delegated_by_id'), ['delegated_by_id'], unique=False)
    with op.batch_alter_table('course_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dma_dimensions', sa.JSON(), server_default='[]', nullable=False))


def downgrade():
    with op.batch_alter_table('course_versions', schema=None) as batch_op:
        batch_op.drop_column('dma_dimensions')
    op.drop_table('dma_delegations')
    op.drop_table('dma_scores')
    op.drop_table('dma_answers')
    op.drop_table('dma_assessments')
