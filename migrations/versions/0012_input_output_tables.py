"""Input-output tables: one per plan, uploaded by a supervisor, parsed and kept as JSON.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-25 07:33:51.411032

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

JSONType = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade():
    op.create_table('io_tables',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('labels', JSONType, nullable=False),
    sa.Column('flows', JSONType, nullable=False),
    sa.Column('outputs', JSONType, nullable=False),
    sa.Column('sections', JSONType, nullable=False),
    sa.Column('file_name', sa.String(length=200), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_io_tables_plan_id_plans')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_io_tables_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_io_tables')),
    sa.UniqueConstraint('plan_id', name=op.f('uq_io_tables_plan_id'))
    )


def downgrade():
    op.drop_table('io_tables')
