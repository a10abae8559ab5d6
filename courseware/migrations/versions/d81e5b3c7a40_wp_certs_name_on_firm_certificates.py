"""users.name_on_firm_certificates: a learner's consent to be named on their firm's public course certificates
(branch wp-certs)

Everyone starts without the consent: a firm certificate's page then counts the person among the employees who
completed the course, without their name, until they tick the box in their profile.

Revision ID: d81e5b3c7a40_wp_certs
Revises: 0973653ce6c3
Create Date: 2026-12-04 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd81e5b3c7a40_wp_certs'
down_revision = '0973653ce6c3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_on_firm_certificates', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('name_on_firm_certificates')
