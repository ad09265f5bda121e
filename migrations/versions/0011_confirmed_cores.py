"""Driving cores: a candidate confirmed after the scoring round, with the reason when it was not top ranked.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-25 06:41:44.604467

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('scoring_candidates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('confirm_reason', sa.Text(), server_default='', nullable=False))



def downgrade():
    with op.batch_alter_table('scoring_candidates', schema=None) as batch_op:
        batch_op.drop_column('confirm_reason')
        batch_op.drop_column('confirmed_at')

