"""audit hash chain: prev_hash and hash on audit_events; append-only on PostgreSQL

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26

Existing rows are chained in id order. The hash formula is copied here as it stood in this revision
(planapp/audit/chain.py): a migration must keep doing what it did even if the application's code moves on.
"""
import hashlib
import json
from datetime import UTC
from decimal import Decimal
import math

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

GENESIS = "0" * 64
FIELDS = ("occurred_at", "actor_id", "actor_label", "action", "object_type", "object_id",
          "summary", "before", "after", "ip")
BATCH = 1000
TRIGGER = "audit_events_append_only"

JSONType = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
audit_events = sa.table(
    "audit_events",
    sa.column("id", sa.Integer()),
    sa.column("occurred_at", sa.DateTime(timezone=True)),
    sa.column("actor_id", sa.Integer()),
    sa.column("actor_label", sa.String()),
    sa.column("action", sa.String()),
    sa.column("object_type", sa.String()),
    sa.column("object_id", sa.Integer()),
    sa.column("summary", sa.String()),
    sa.column("before", JSONType),
    sa.column("after", JSONType),
    sa.column("ip", sa.String()),
    sa.column("prev_hash", sa.String()),
    sa.column("hash", sa.String()),
)


def _numbers(value):
    if isinstance(value, float):
        if math.isfinite(value):
            exact = Decimal(repr(value))
            if exact == exact.to_integral_value():
                return int(exact)
        return value
    if isinstance(value, dict):
        return {key: _numbers(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_numbers(item) for item in value]
    return value


def _hash(prev_hash, row):
    content = {field: getattr(row, field) for field in FIELDS}
    moment = content["occurred_at"]
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment  # SQLite keeps UTC, without a zone
    content["occurred_at"] = moment.astimezone(UTC).isoformat(timespec="microseconds")
    content["before"] = _numbers(content["before"])
    content["after"] = _numbers(content["after"])
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256((prev_hash + canonical).encode("utf-8")).hexdigest()


def _backfill(connection):
    """Chain the existing rows in id order, a batch at a time."""
    columns = [audit_events.c.id, *(audit_events.c[name] for name in FIELDS)]
    update = (
        audit_events.update()
        .where(audit_events.c.id == sa.bindparam("row_id"))
        .values(prev_hash=sa.bindparam("new_prev_hash"), hash=sa.bindparam("new_hash"))
    )
    prev_hash, last_id = GENESIS, 0
    while True:
        rows = connection.execute(
            sa.select(*columns).where(audit_events.c.id > last_id).order_by(audit_events.c.id).limit(BATCH)
        ).all()
        if not rows:
            return
        params = []
        for row in rows:
            row_hash = _hash(prev_hash, row)
            params.append({"row_id": row.id, "new_prev_hash": prev_hash, "new_hash": row_hash})
            prev_hash = row_hash
        connection.execute(update, params)
        last_id = rows[-1].id


def upgrade():
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('hash', sa.String(length=64), nullable=True))

    _backfill(op.get_bind())

    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.alter_column('prev_hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('hash', existing_type=sa.String(length=64), nullable=False)
        # No two rows may follow the same row: a forked chain fails on insert instead of passing silently.
        batch_op.create_unique_constraint(batch_op.f('uq_audit_events_prev_hash'), ['prev_hash'])

    if op.get_bind().dialect.name == "postgresql":
        # Append-only: UPDATE and DELETE raise. TRUNCATE is not a row operation and stays possible.
        op.execute(f"""
            CREATE FUNCTION {TRIGGER}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP
                    USING ERRCODE = 'insufficient_privilege';
            END;
            $$
        """)
        op.execute(f"""
            CREATE TRIGGER {TRIGGER} BEFORE UPDATE OR DELETE ON audit_events
            FOR EACH ROW EXECUTE FUNCTION {TRIGGER}()
        """)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER {TRIGGER} ON audit_events")
        op.execute(f"DROP FUNCTION {TRIGGER}()")

    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_audit_events_prev_hash'), type_='unique')
        batch_op.drop_column('hash')
        batch_op.drop_column('prev_hash')
