"""Delphi rounds: scores and matrices numbered by round (existing rows are round 1), and the round of each scoring
task. A second-round score is a row of its own, so the unique key of a score gains the round.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-25 07:36:41.763740

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('scoring_round_tasks',
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('matrix_id', sa.Integer(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['matrix_id'], ['scoring_matrices.id'], name=op.f('fk_scoring_round_tasks_matrix_id_scoring_matrices')),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], name=op.f('fk_scoring_round_tasks_task_id_tasks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('task_id', name=op.f('pk_scoring_round_tasks'))
    )
    with op.batch_alter_table('scoring_round_tasks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scoring_round_tasks_matrix_id'), ['matrix_id'], unique=False)

    with op.batch_alter_table('scoring_matrices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('round', sa.Integer(), server_default='1', nullable=False))

    # A round opened before this revision had every scoring task of its plan in it: they are round 1's.
    op.execute("INSERT INTO scoring_round_tasks (task_id, matrix_id, round) "
               "SELECT t.id, m.id, 1 FROM tasks t JOIN scoring_matrices m ON m.plan_id = t.plan_id "
               "WHERE t.kind = 'score_matrix' AND m.is_active = true AND m.status <> 'draft'")

    with op.batch_alter_table('scoring_scores', schema=None) as batch_op:
        batch_op.add_column(sa.Column('round', sa.Integer(), server_default='1', nullable=False))
        batch_op.drop_constraint(batch_op.f('uq_scoring_scores_candidate_id_criterion_id_user_id'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_scoring_scores_candidate_id_criterion_id_user_id_round'), ['candidate_id', 'criterion_id', 'user_id', 'round'])


def downgrade():
    # The old key allows one score per cell and scorer: the second round's revisions go (round 1's stay).
    op.execute("DELETE FROM scoring_scores WHERE round > 1")
    with op.batch_alter_table('scoring_scores', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_scoring_scores_candidate_id_criterion_id_user_id_round'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_scoring_scores_candidate_id_criterion_id_user_id'), ['candidate_id', 'criterion_id', 'user_id'])
        batch_op.drop_column('round')

    with op.batch_alter_table('scoring_matrices', schema=None) as batch_op:
        batch_op.drop_column('round')

    with op.batch_alter_table('scoring_round_tasks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scoring_round_tasks_matrix_id'))

    op.drop_table('scoring_round_tasks')
