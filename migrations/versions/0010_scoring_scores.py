"""Scoring rounds: one score (1–9) per candidate, criterion and scorer; the closed round's results on the matrix.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25 06:29:49.032992

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('scoring_scores',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('matrix_id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('candidate_id', sa.Integer(), nullable=False),
    sa.Column('criterion_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('acting_for_id', sa.Integer(), nullable=True),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['acting_for_id'], ['users.id'], name=op.f('fk_scoring_scores_acting_for_id_users')),
    sa.ForeignKeyConstraint(['candidate_id'], ['scoring_candidates.id'], name=op.f('fk_scoring_scores_candidate_id_scoring_candidates'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['criterion_id'], ['scoring_criteria.id'], name=op.f('fk_scoring_scores_criterion_id_scoring_criteria'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['matrix_id'], ['scoring_matrices.id'], name=op.f('fk_scoring_scores_matrix_id_scoring_matrices')),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], name=op.f('fk_scoring_scores_task_id_tasks')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_scoring_scores_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scoring_scores')),
    sa.UniqueConstraint('candidate_id', 'criterion_id', 'user_id', name=op.f('uq_scoring_scores_candidate_id_criterion_id_user_id'))
    )
    with op.batch_alter_table('scoring_scores', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scoring_scores_matrix_id'), ['matrix_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_scoring_scores_task_id'), ['task_id'], unique=False)

    with op.batch_alter_table('scoring_matrices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('results', sa.JSON(), nullable=True))



def downgrade():
    with op.batch_alter_table('scoring_matrices', schema=None) as batch_op:
        batch_op.drop_column('results')

    with op.batch_alter_table('scoring_scores', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scoring_scores_task_id'))
        batch_op.drop_index(batch_op.f('ix_scoring_scores_matrix_id'))

    op.drop_table('scoring_scores')
