"""Reports: enrolments.firm_id (the learner's firm when enrolling) and the maintained counts report_rollups,
report_cubes and report_firms, filled from the existing rows (branch wp-dash)

Existing enrolments get the learner's current firm. The fill is the same code as `courseware reports rebuild`
(services/rollups.py), run on the migration's connection.

Revision ID: f3a1c9d27b64
Revises: d81e5b3c7a40_wp_certs
Create Date: 2026-12-03 19:30:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.orm import Session


# revision identifiers, used by Alembic.
revision = 'f3a1c9d27b64'
down_revision = 'd81e5b3c7a40_wp_certs'
branch_labels = None
depends_on = None

MEASURES = ('enrolments', 'withdrawn', 'completions', 'certificates', 'completed_minutes')


def _measures():
    return [sa.Column(name, sa.Integer(), nullable=False) for name in MEASURES]


def upgrade():
    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('firm_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_enrolments_firm_id'), ['firm_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_enrolments_firm_id_firms'), 'firms', ['firm_id'], ['id'],
                                    ondelete='SET NULL')
    op.execute('UPDATE enrolments SET firm_id = (SELECT users.firm_id FROM users WHERE users.id = enrolments.user_id)')

    op.create_table(
        'report_rollups',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('course_id', sa.Integer(), nullable=False),
        sa.Column('firm_id', sa.Integer(), nullable=False),
        sa.Column('month', sa.String(length=7), nullable=False),
        sa.Column('municipality_code', sa.String(length=4), nullable=False),
        sa.Column('industry_section', sa.String(length=1), nullable=False),
        sa.Column('size_band', sa.String(length=8), nullable=False),
        sa.Column('firm_status', sa.String(length=10), nullable=False),
        *_measures(),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_report_rollups')),
        sa.UniqueConstraint('course_id', 'firm_id', 'month', name='uq_report_rollups_key'),
    )
    op.create_index('ix_report_rollups_month', 'report_rollups', ['month'], unique=False)
    op.create_index('ix_report_rollups_firm', 'report_rollups', ['firm_id'], unique=False)
    op.create_table(
        'report_cubes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('grouping', sa.String(length=3), nullable=False),
        sa.Column('course_id', sa.Integer(), nullable=False),
        sa.Column('month', sa.String(length=7), nullable=False),
        sa.Column('municipality_code', sa.String(length=4), nullable=False),
        sa.Column('industry_section', sa.String(length=1), nullable=False),
        sa.Column('size_band', sa.String(length=8), nullable=False),
        sa.Column('firm_status', sa.String(length=10), nullable=False),
        *_measures(),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_report_cubes')),
        sa.UniqueConstraint('grouping', 'course_id', 'month', 'municipality_code', 'industry_section', 'size_band',
                            'firm_status', name='uq_report_cubes_key'),
    )
    op.create_index('ix_report_cubes_municipality', 'report_cubes',
                    ['grouping', 'municipality_code', 'industry_section'], unique=False)
    op.create_index('ix_report_cubes_industry', 'report_cubes', ['grouping', 'industry_section'], unique=False)
    op.create_table(
        'report_firms',
        sa.Column('firm_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('municipality_code', sa.String(length=4), nullable=False),
        sa.Column('industry_section', sa.String(length=1), nullable=False),
        sa.Column('size_band', sa.String(length=8), nullable=False),
        sa.Column('firm_status', sa.String(length=10), nullable=False),
        sa.Column('months', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('firm_id', name=op.f('pk_report_firms')),
    )

    from courseware.services.rollups import rebuild

    session = Session(bind=op.get_bind())
    rebuild(session)
    session.flush()


def downgrade():
    op.drop_table('report_firms')
    op.drop_index('ix_report_cubes_industry', table_name='report_cubes')
    op.drop_index('ix_report_cubes_municipality', table_name='report_cubes')
    op.drop_table('report_cubes')
    op.drop_index('ix_report_rollups_firm', table_name='report_rollups')
    op.drop_index('ix_report_rollups_month', table_name='report_rollups')
    op.drop_table('report_rollups')
    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_enrolments_firm_id_firms'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_enrolments_firm_id'))
        batch_op.drop_column('firm_id')
