"""situation data: regions, sectors, indicators, values and their history, imports, SWOT factors

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 03:36:42.365229

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('regions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('name_en', sa.String(length=120), nullable=True),
    sa.Column('kind', sa.Enum('country', 'province', 'county', name='regionkind', native_enum=False, length=32), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['regions.id'], name=op.f('fk_regions_parent_id_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_regions')),
    sa.UniqueConstraint('code', name=op.f('uq_regions_code'))
    )
    op.create_table('sectors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=True),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['sectors.id'], name=op.f('fk_sectors_parent_id_sectors')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sectors')),
    sa.UniqueConstraint('code', name=op.f('uq_sectors_code'))
    )
    op.create_table('indicators',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=True),
    sa.Column('category', sa.Enum('economic', 'social', 'cultural', 'environmental', 'infrastructure', name='category', native_enum=False, length=32), nullable=False),
    sa.Column('unit', sa.String(length=60), nullable=False),
    sa.Column('unit_en', sa.String(length=60), nullable=True),
    sa.Column('source_agency_id', sa.Integer(), nullable=True),
    sa.Column('frequency', sa.Enum('annual', 'quarterly', 'monthly', 'census', name='frequency', native_enum=False, length=32), nullable=False),
    sa.Column('direction', sa.Enum('higher_better', 'lower_better', 'neutral', name='direction', native_enum=False, length=32), nullable=False),
    sa.Column('by_sector', sa.Boolean(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['source_agency_id'], ['agencies.id'], name=op.f('fk_indicators_source_agency_id_agencies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_indicators')),
    sa.UniqueConstraint('code', name=op.f('uq_indicators_code'))
    )
    with op.batch_alter_table('indicators', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_indicators_category'), ['category'], unique=False)
        batch_op.create_index(batch_op.f('ix_indicators_source_agency_id'), ['source_agency_id'], unique=False)

    op.create_table('indicator_imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=True),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('stored_name', sa.String(length=80), nullable=False),
    sa.Column('status', sa.Enum('queued', 'validating', 'failed', 'importing', 'done', 'cancelled', name='importstatus', native_enum=False, length=32), nullable=False),
    sa.Column('total_rows', sa.Integer(), nullable=False),
    sa.Column('processed_rows', sa.Integer(), nullable=False),
    sa.Column('inserted', sa.Integer(), nullable=False),
    sa.Column('updated', sa.Integer(), nullable=False),
    sa.Column('unchanged', sa.Integer(), nullable=False),
    sa.Column('error_count', sa.Integer(), nullable=False),
    sa.Column('report', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('cancel_requested', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], name=op.f('fk_indicator_imports_task_id_tasks')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_indicator_imports_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_indicator_imports'))
    )
    with op.batch_alter_table('indicator_imports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_indicator_imports_user_id'), ['user_id'], unique=False)

    op.create_table('swot_factors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('quadrant', sa.Enum('strength', 'weakness', 'opportunity', 'threat', name='quadrant', native_enum=False, length=32), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('acting_for_id', sa.Integer(), nullable=True),
    sa.Column('task_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('merged_into_id', sa.Integer(), nullable=True),
    sa.Column('weight', sa.Float(), nullable=True),
    sa.Column('rating', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['acting_for_id'], ['users.id'], name=op.f('fk_swot_factors_acting_for_id_users')),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_swot_factors_author_id_users')),
    sa.ForeignKeyConstraint(['merged_into_id'], ['swot_factors.id'], name=op.f('fk_swot_factors_merged_into_id_swot_factors')),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_swot_factors_plan_id_plans')),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], name=op.f('fk_swot_factors_task_id_tasks')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_swot_factors'))
    )
    with op.batch_alter_table('swot_factors', schema=None) as batch_op:
        batch_op.create_index('ix_swot_factors_plan', ['plan_id', 'quadrant'], unique=False)
        batch_op.create_index(batch_op.f('ix_swot_factors_task_id'), ['task_id'], unique=False)

    op.create_table('indicator_values',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('indicator_id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('sector_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=True),
    sa.Column('import_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['import_id'], ['indicator_imports.id'], name=op.f('fk_indicator_values_import_id_indicator_imports')),
    sa.ForeignKeyConstraint(['indicator_id'], ['indicators.id'], name=op.f('fk_indicator_values_indicator_id_indicators')),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_indicator_values_region_id_regions')),
    sa.ForeignKeyConstraint(['sector_id'], ['sectors.id'], name=op.f('fk_indicator_values_sector_id_sectors')),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['users.id'], name=op.f('fk_indicator_values_submitted_by_id_users')),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], name=op.f('fk_indicator_values_task_id_tasks')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_indicator_values')),
    sa.UniqueConstraint('indicator_id', 'region_id', 'sector_id', 'year', name=op.f('uq_indicator_values_indicator_id_region_id_sector_id_year'))
    )
    with op.batch_alter_table('indicator_values', schema=None) as batch_op:
        batch_op.create_index('ix_indicator_values_explore', ['indicator_id', 'year', 'region_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_indicator_values_import_id'), ['import_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_indicator_values_task_id'), ['task_id'], unique=False)

    op.create_table('indicator_value_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('value_id', sa.Integer(), nullable=False),
    sa.Column('old_value', sa.Float(), nullable=False),
    sa.Column('old_source', sa.String(length=200), nullable=False),
    sa.Column('new_value', sa.Float(), nullable=False),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['changed_by_id'], ['users.id'], name=op.f('fk_indicator_value_changes_changed_by_id_users')),
    sa.ForeignKeyConstraint(['import_id'], ['indicator_imports.id'], name=op.f('fk_indicator_value_changes_import_id_indicator_imports')),
    sa.ForeignKeyConstraint(['value_id'], ['indicator_values.id'], name=op.f('fk_indicator_value_changes_value_id_indicator_values'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_indicator_value_changes'))
    )
    with op.batch_alter_table('indicator_value_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_indicator_value_changes_value_id'), ['value_id'], unique=False)



def downgrade():
    with op.batch_alter_table('indicator_value_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_indicator_value_changes_value_id'))

    op.drop_table('indicator_value_changes')
    with op.batch_alter_table('indicator_values', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_indicator_values_task_id'))
        batch_op.drop_index(batch_op.f('ix_indicator_values_import_id'))
        batch_op.drop_index('ix_indicator_values_explore')

    op.drop_table('indicator_values')
    with op.batch_alter_table('swot_factors', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_swot_factors_task_id'))
        batch_op.drop_index('ix_swot_factors_plan')

    op.drop_table('swot_factors')
    with op.batch_alter_table('indicator_imports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_indicator_imports_user_id'))

    op.drop_table('indicator_imports')
    with op.batch_alter_table('indicators', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_indicators_source_agency_id'))
        batch_op.drop_index(batch_op.f('ix_indicators_category'))

    op.drop_table('indicators')
    op.drop_table('sectors')
    op.drop_table('regions')
