"""scoring matrix: a plan's candidate driving cores, criteria (benefit or cost) with weights, AHP pairwise judgements

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 05:46:36.510865

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('scoring_matrices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('is_active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'open', 'closed', name='matrixstatus', native_enum=False, length=32), server_default='draft', nullable=False),
    sa.Column('weight_method', sa.Enum('direct', 'ahp', name='weightmethod', native_enum=False, length=32), server_default='direct', nullable=False),
    sa.Column('consistency_ratio', sa.Float(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_scoring_matrices_created_by_id_users')),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_scoring_matrices_plan_id_plans')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scoring_matrices'))
    )
    with op.batch_alter_table('scoring_matrices', schema=None) as batch_op:
        batch_op.create_index('ix_scoring_matrices_plan', ['plan_id', 'is_active'], unique=False)

    op.create_table('scoring_candidates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('matrix_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('origin', sa.Enum('typed', 'location_quotient', 'key_sector', name='candidateorigin', native_enum=False, length=32), server_default='typed', nullable=False),
    sa.Column('sector_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), server_default='', nullable=False),
    sa.Column('position', sa.Integer(), server_default='0', nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.ForeignKeyConstraint(['matrix_id'], ['scoring_matrices.id'], name=op.f('fk_scoring_candidates_matrix_id_scoring_matrices')),
    sa.ForeignKeyConstraint(['sector_id'], ['sectors.id'], name=op.f('fk_scoring_candidates_sector_id_sectors')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scoring_candidates'))
    )
    with op.batch_alter_table('scoring_candidates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scoring_candidates_matrix_id'), ['matrix_id'], unique=False)

    op.create_table('scoring_criteria',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('matrix_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.Enum('benefit', 'cost', name='criterionkind', native_enum=False, length=32), server_default='benefit', nullable=False),
    sa.Column('weight', sa.Float(), nullable=True),
    sa.Column('position', sa.Integer(), server_default='0', nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.ForeignKeyConstraint(['matrix_id'], ['scoring_matrices.id'], name=op.f('fk_scoring_criteria_matrix_id_scoring_matrices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scoring_criteria'))
    )
    with op.batch_alter_table('scoring_criteria', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scoring_criteria_matrix_id'), ['matrix_id'], unique=False)

    op.create_table('scoring_judgements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('matrix_id', sa.Integer(), nullable=False),
    sa.Column('criterion_a_id', sa.Integer(), nullable=False),
    sa.Column('criterion_b_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['criterion_a_id'], ['scoring_criteria.id'], name=op.f('fk_scoring_judgements_criterion_a_id_scoring_criteria'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['criterion_b_id'], ['scoring_criteria.id'], name=op.f('fk_scoring_judgements_criterion_b_id_scoring_criteria'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['matrix_id'], ['scoring_matrices.id'], name=op.f('fk_scoring_judgements_matrix_id_scoring_matrices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scoring_judgements')),
    sa.UniqueConstraint('matrix_id', 'criterion_a_id', 'criterion_b_id', name=op.f('uq_scoring_judgements_matrix_id_criterion_a_id_criterion_b_id'))
    )
    with op.batch_alter_table('scoring_judgements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scoring_judgements_matrix_id'), ['matrix_id'], unique=False)



def downgrade():
    with op.batch_alter_table('scoring_judgements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scoring_judgements_matrix_id'))

    op.drop_table('scoring_judgements')
    with op.batch_alter_table('scoring_criteria', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scoring_criteria_matrix_id'))

    op.drop_table('scoring_criteria')
    with op.batch_alter_table('scoring_candidates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scoring_candidates_matrix_id'))

    op.drop_table('scoring_candidates')
    with op.batch_alter_table('scoring_matrices', schema=None) as batch_op:
        batch_op.drop_index('ix_scoring_matrices_plan')

    op.drop_table('scoring_matrices')
