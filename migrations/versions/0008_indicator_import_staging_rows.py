"""indicator import staging rows: validated rows wait here, in committed chunks, before one transaction applies them

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 04:54:06.155751

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('indicator_import_rows',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=False),
    sa.Column('row', sa.Integer(), nullable=False),
    sa.Column('indicator_id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('sector_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('source', sa.String(length=200), server_default='', nullable=False),
    sa.ForeignKeyConstraint(['import_id'], ['indicator_imports.id'], name=op.f('fk_indicator_import_rows_import_id_indicator_imports'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_indicator_import_rows'))
    )
    with op.batch_alter_table('indicator_import_rows', schema=None) as batch_op:
        batch_op.create_index('ix_indicator_import_rows_key', ['import_id', 'indicator_id', 'region_id', 'sector_id', 'year'], unique=False)

    with op.batch_alter_table('indicator_imports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('progress_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('indicator_imports', schema=None) as batch_op:
        batch_op.drop_column('progress_at')

    with op.batch_alter_table('indicator_import_rows', schema=None) as batch_op:
        batch_op.drop_index('ix_indicator_import_rows_key')

    op.drop_table('indicator_import_rows')
