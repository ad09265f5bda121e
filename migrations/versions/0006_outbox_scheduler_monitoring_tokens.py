"""outbox, scheduler runs and lease, task reminders and guests, monitoring rounds, single-use tokens

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 02:05:11.619934

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    # APScheduler's job store (SQLAlchemyJobStore, tablename="scheduler_jobs"), created here so that the schema
    # has one owner; APScheduler finds it and does not create it again.
    op.create_table('scheduler_jobs',
    sa.Column('id', sa.Unicode(length=191), nullable=False),
    sa.Column('next_run_time', sa.Float(precision=25), nullable=True),
    sa.Column('job_state', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scheduler_jobs'))
    )
    op.create_index('ix_scheduler_jobs_next_run_time', 'scheduler_jobs', ['next_run_time'], unique=False)
    op.create_table('job_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job', sa.String(length=100), nullable=False),
    sa.Column('fire_time', sa.DateTime(timezone=True), nullable=False),
    sa.Column('runner', sa.String(length=100), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('summary', sa.String(length=500), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_runs')),
    sa.UniqueConstraint('job', 'fire_time', name=op.f('uq_job_runs_job_fire_time'))
    )
    op.create_table('scheduler_leases',
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('holder', sa.String(length=100), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_scheduler_leases'))
    )
    op.create_table('action_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=30), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('payload', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_action_tokens_created_by_id_users')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_action_tokens_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_action_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_action_tokens_token_hash'))
    )
    with op.batch_alter_table('action_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_action_tokens_user_id'), ['user_id'], unique=False)

    op.create_table('outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=50), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('to_addr', sa.String(length=254), nullable=False),
    sa.Column('to_name', sa.String(length=120), nullable=False),
    sa.Column('locale', sa.String(length=5), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('text_body', sa.Text(), nullable=False),
    sa.Column('html_body', sa.Text(), nullable=False),
    sa.Column('critical', sa.Boolean(), nullable=False),
    sa.Column('status', sa.Enum('queued', 'sending', 'sent', 'digest', 'digested', 'dead', name='mailstatus', native_enum=False, length=32), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('claimed_by', sa.String(length=32), nullable=False),
    sa.Column('last_error', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('message_id', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_outbox_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox')),
    sa.UniqueConstraint('key', name=op.f('uq_outbox_key'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_created_at'), ['created_at'], unique=False)
        batch_op.create_index('ix_outbox_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index('ix_outbox_user_status', ['user_id', 'status'], unique=False)

    op.create_table('monitoring_rounds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_monitoring_rounds_plan_id_plans')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_monitoring_rounds')),
    sa.UniqueConstraint('plan_id', 'period_start', name=op.f('uq_monitoring_rounds_plan_id_period_start'))
    )
    with op.batch_alter_table('monitoring_rounds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_monitoring_rounds_plan_id'), ['plan_id'], unique=False)

    op.create_table('task_guests',
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], name=op.f('fk_task_guests_task_id_tasks'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_task_guests_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('task_id', 'user_id', name=op.f('pk_task_guests'))
    )
    with op.batch_alter_table('task_guests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_task_guests_user_id'), ['user_id'], unique=False)

    op.create_table('task_reminders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('step', sa.String(length=30), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], name=op.f('fk_task_reminders_task_id_tasks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_task_reminders')),
    sa.UniqueConstraint('task_id', 'step', 'due_on', name=op.f('uq_task_reminders_task_id_step_due_on'))
    )
    with op.batch_alter_table('plans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('monitoring_period_months', sa.Integer(), nullable=False, server_default='3'))

    with op.batch_alter_table('task_templates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('remind_before_days', sa.Integer(), nullable=False, server_default='2'))
        batch_op.add_column(sa.Column('overdue_every_days', sa.Integer(), nullable=False, server_default='3'))
        batch_op.add_column(sa.Column('escalate_after_days', sa.Integer(), nullable=False, server_default='5'))

    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('round_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_tasks_round_id'), ['round_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_tasks_round_id_monitoring_rounds'), 'monitoring_rounds', ['round_id'], ['id'])

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_preference', sa.Enum('immediate', 'digest', 'off', name='emailpreference', native_enum=False, length=32), nullable=False, server_default='immediate'))



def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('email_preference')

    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_tasks_round_id_monitoring_rounds'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_tasks_round_id'))
        batch_op.drop_column('round_id')

    with op.batch_alter_table('task_templates', schema=None) as batch_op:
        batch_op.drop_column('escalate_after_days')
        batch_op.drop_column('overdue_every_days')
        batch_op.drop_column('remind_before_days')

    with op.batch_alter_table('plans', schema=None) as batch_op:
        batch_op.drop_column('monitoring_period_months')

    op.drop_table('task_reminders')
    with op.batch_alter_table('task_guests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_task_guests_user_id'))

    op.drop_table('task_guests')
    with op.batch_alter_table('monitoring_rounds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_monitoring_rounds_plan_id'))

    op.drop_table('monitoring_rounds')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_user_status')
        batch_op.drop_index('ix_outbox_due')
        batch_op.drop_index(batch_op.f('ix_outbox_created_at'))

    op.drop_table('outbox')
    with op.batch_alter_table('action_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_action_tokens_user_id'))

    op.drop_table('action_tokens')
    op.drop_table('scheduler_leases')
    op.drop_table('job_runs')
    op.drop_index('ix_scheduler_jobs_next_run_time', table_name='scheduler_jobs')
    op.drop_table('scheduler_jobs')
