"""RELIABILITY L2: the audit log is a hash chain. Changing, deleting or forking stored rows is detected, and
`flask audit verify` names the first bad row; on PostgreSQL the table is append-only (a trigger)."""

from __future__ import annotations

import contextvars
import hashlib
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import flask_migrate
import pytest
import sqlalchemy as sa
from click.testing import Result

from planapp.audit.chain import FIELDS, GENESIS, canonical_json, event_hash, verify_chain
from planapp.audit.models import AuditEvent
from planapp.audit.queries import iter_chain_rows
from planapp.audit.services import record
from planapp.core import clock
from planapp.core.db import JSONType, UTCDateTime
from planapp.extensions import db
from tests.factories import make_agency, make_user

TRIGGER = "audit_events_append_only"
audit_table = AuditEvent.__table__


def verify(batch_size: int = 1000):
    db.session.commit()  # the walk reads committed rows on connections of its own
    return verify_chain(iter_chain_rows(batch_size))


def event_ids() -> list[int]:
    ids = list(db.session.scalars(sa.select(AuditEvent.id).order_by(AuditEvent.id)))
    db.session.commit()
    return ids


def stored(event_id: int) -> sa.Row:
    return db.session.execute(sa.select(audit_table).where(audit_table.c.id == event_id)).one()


def make_chain(count: int = 5) -> list[int]:
    """Committed events of every shape (with and without actor, object, before/after and IP), one transaction
    each, after the ones the factories record; returns the ids of all of them, in order."""
    actor = make_user(role="admin", email="boss@example.ir")
    agency = make_agency(name="اداره کل محیط زیست")
    shapes = [
        dict(actor=actor, action="auth.login", obj=actor, summary="boss@example.ir", ip="192.0.2.7",
             object_type="users"),
        dict(actor=actor, action="agency.update", obj=agency, summary=agency.name,
             before={"name": "اداره کل", "is_active": True}, after={"name": agency.name, "is_active": True}),
        dict(actor=None, action="agency.create", obj=agency, summary="از خط فرمان",
             after={"name": agency.name, "kind": "government", "budget": 12.5}),
        dict(actor=actor, action="user.update", obj=actor, summary="boss@example.ir",
             before={"role": "admin"}, after={"role": "supervisor"}, ip="2001:db8::1"),
        dict(actor=actor, action="agency.deactivate", obj=agency, summary=agency.name,
             before={"is_active": True}, after={"is_active": False}, ip="192.0.2.8"),
    ]
    for n in range(count):
        shape = dict(shapes[n % len(shapes)])
        record(shape.pop("actor"), shape.pop("action"), shape.pop("obj"), **shape)
        db.session.commit()
    return event_ids()


@contextmanager
def as_dba() -> Iterator[None]:
    """On PostgreSQL, what only a DBA can do: switch the append-only trigger off for one transaction."""
    postgres = db.engine.dialect.name == "postgresql"
    if postgres:
        db.session.execute(sa.text(f"ALTER TABLE audit_events DISABLE TRIGGER {TRIGGER}"))
    yield
    if postgres:
        db.session.execute(sa.text(f"ALTER TABLE audit_events ENABLE TRIGGER {TRIGGER}"))
    db.session.commit()


def tamper(event_id: int, **values: Any) -> None:
    """Change stored columns directly in the database, past the application."""
    with as_dba():
        db.session.execute(sa.update(audit_table).where(audit_table.c.id == event_id).values(**values))


def flip_last(text: str) -> str:
    return text[:-1] + ("0" if text[-1] != "0" else "1")


# --- the formula ---------------------------------------------------------------------------------------------


def test_hash_is_sha256_of_prev_hash_and_canonical_json():
    row = SimpleNamespace(
        occurred_at=datetime(2026, 3, 1, 12, 0, 0, 5, tzinfo=ZoneInfo("Asia/Tehran")), actor_id=7,
        actor_label="boss@example.ir", action="agency.update", object_type="agencies", object_id=3,
        summary="اداره کل", before={"b": 1.0, "a": [1e20, 0.5]}, after=None, ip=None,
    )
    expected = (
        '{"action":"agency.update","actor_id":7,"actor_label":"boss@example.ir",'
        '"after":null,"before":{"a":[100000000000000000000,0.5],"b":1},"ip":null,"object_id":3,'
        '"object_type":"agencies","occurred_at":"2026-03-01T08:30:00.000005+00:00","summary":"اداره کل"}'
    )
    assert canonical_json(row) == expected
    assert event_hash(GENESIS, row) == hashlib.sha256((GENESIS + expected).encode()).hexdigest()
    assert GENESIS == "0" * 64


def test_content_round_trips_exactly_through_the_database(ctx, backend):
    """JSONB reorders keys and keeps numbers as NUMERIC; timestamps keep their microseconds."""
    moment = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=ZoneInfo("Asia/Tehran"))
    clock.freeze(moment)
    before = {"zeta": "آخر", "a": {"y": [1, 2.5, None], "b": True}, "big": 2**70, "one": 1.0,
              "huge": 1e20, "tiny": 1e-7, "pi": 3.141592653589793, "quote": 'he said "no"\n'}
    record(None, "test.roundtrip", summary="متن فارسی با نیم\u200cفاصله", before=before, after={}, ip="::1")
    db.session.commit()
    db.session.expire_all()

    event = db.session.scalar(sa.select(AuditEvent))
    assert event.occurred_at == moment and event.occurred_at.microsecond == 123456
    assert event.before == before and event.after == {}
    assert event_hash(event.prev_hash, event) == event.hash
    if backend == "postgresql":  # the raw JSONB really is reordered: canonical JSON is what makes it work
        raw = db.session.scalar(sa.text("SELECT before::text FROM audit_events"))
        assert raw.index('"a"') < raw.index('"zeta"') and "100000000000000000000" in raw
    result = verify()
    assert result.ok and result.verified == 1


def test_a_chain_of_events_verifies_and_links_in_id_order(ctx):
    ids = make_chain(7)
    rows = [stored(event_id) for event_id in ids]
    assert len(rows) > 7 and rows[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.hash for a, b in zip(rows, rows[1:], strict=False))
    assert all(len(row.hash) == 64 and int(row.hash, 16) >= 0 for row in rows)
    result = verify()
    assert (result.ok, result.verified, result.last_hash) == (True, len(ids), rows[-1].hash)


def test_an_empty_log_verifies(ctx):
    result = verify()
    assert (result.ok, result.verified, result.last_hash) == (True, 0, GENESIS)


@pytest.mark.parametrize("batch_size", [1, 2, 3, 5, 6])
def test_verify_reads_in_batches_without_skipping_rows(ctx, batch_size):
    ids = make_chain(3)
    result = verify(batch_size)
    assert result.ok and result.verified == len(ids) == 6


def test_several_records_in_one_transaction_chain(ctx):
    ids = make_chain(1)
    first = record(None, "test.one")
    second = record(None, "test.two")
    third = record(None, "test.three")
    assert (second.prev_hash, third.prev_hash) == (first.hash, second.hash)
    db.session.commit()
    assert verify().verified == len(ids) + 3


def test_rolled_back_records_leave_no_gap(ctx):
    ids = make_chain(1)
    record(None, "test.discarded")
    db.session.rollback()
    record(None, "test.kept")
    savepoint = db.session.begin_nested()
    record(None, "test.in_savepoint")
    savepoint.rollback()
    record(None, "test.after_savepoint")
    db.session.commit()
    result = verify()
    assert result.ok and result.verified == len(ids) + 2


def test_two_rows_cannot_follow_the_same_row(ctx):
    """A fork (two writers chaining to the same head) fails on insert instead of passing unnoticed."""
    make_chain(1)
    head = db.session.scalar(sa.select(AuditEvent.hash))
    twin = AuditEvent(occurred_at=clock.now(), action="test.fork", prev_hash=GENESIS, hash="f" * 64)
    db.session.add(twin)
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()
    assert db.session.scalar(sa.select(AuditEvent.hash)) == head


# --- tampering -----------------------------------------------------------------------------------------------


def _other_user_id(row: sa.Row) -> int:
    return make_user(email=f"other{row.id}@example.ir").id


CHANGES = {
    "occurred_at": lambda row: row.occurred_at + timedelta(microseconds=1),
    "actor_id": _other_user_id,
    "actor_label": lambda row: row.actor_label + "x",
    "action": lambda row: "agency.delete",
    "object_type": lambda row: "plans",
    "object_id": lambda row: (row.object_id or 0) + 1,
    "summary": lambda row: flip_last(row.summary),  # one character
    "before": lambda row: {**(row.before or {}), "is_active": "tampered"},
    "after": lambda row: None if row.after else {"role": "admin"},
    "ip": lambda row: "203.0.113.66",
    "prev_hash": lambda row: flip_last(row.prev_hash),
    "hash": lambda row: flip_last(row.hash),
}


def test_every_stored_field_is_covered():
    assert set(CHANGES) == {*FIELDS, "prev_hash", "hash"}


@pytest.mark.parametrize("position", ["first", "middle", "last"])
@pytest.mark.parametrize("field", list(CHANGES))
def test_changing_any_stored_field_of_any_row_is_detected(ctx, field, position):
    ids = make_chain(5)
    target = {"first": ids[0], "middle": ids[2], "last": ids[-1]}[position]
    original = stored(target)
    new_value = CHANGES[field](original)
    assert verify().ok

    tamper(target, **{field: new_value})

    assert getattr(stored(target), field) != getattr(original, field)  # really stored (microseconds too)
    result = verify()
    assert not result.ok
    assert result.broken_id == target  # the FIRST bad row, by its id
    assert result.verified == ids.index(target)
    assert ("prev_hash" if field == "prev_hash" else "hash mismatch") in result.reason


def test_flipping_one_byte_in_the_database_is_detected(ctx, backend):
    """L2: flip one stored byte with plain SQL, as an operator with database access would."""
    ids = make_chain(5)
    with as_dba():
        db.session.execute(
            sa.text("UPDATE audit_events SET actor_label = replace(actor_label, 'boss', 'bose') WHERE id = :id"),
            {"id": ids[3]},
        )
    result = verify()
    assert (result.ok, result.broken_id) == (False, ids[3])


def test_recomputing_the_hash_of_a_changed_row_breaks_the_next_link(ctx):
    ids = make_chain(5)
    row = stored(ids[1])
    changed = SimpleNamespace(**{**row._asdict(), "summary": "چیزی دیگر"})
    tamper(ids[1], summary="چیزی دیگر", hash=event_hash(row.prev_hash, changed))
    result = verify()
    assert (result.ok, result.broken_id) == (False, ids[2])
    assert f"row {ids[1]}'s hash" in result.reason


def test_deleting_a_middle_row_names_the_row_after_the_gap(ctx):
    ids = make_chain(5)
    with as_dba():
        db.session.execute(sa.delete(audit_table).where(audit_table.c.id == ids[2]))
    result = verify()
    assert (result.ok, result.broken_id, result.verified) == (False, ids[3], 2)
    assert "prev_hash does not match the previous row's hash" in result.reason


def test_deleting_the_first_row_is_detected(ctx):
    ids = make_chain(3)
    with as_dba():
        db.session.execute(sa.delete(audit_table).where(audit_table.c.id == ids[0]))
    result = verify()
    assert (result.ok, result.broken_id) == (False, ids[1])
    assert "genesis" in result.reason


def test_swapping_two_rows_contents_is_detected(ctx):
    ids = make_chain(4)
    a, b = stored(ids[1]), stored(ids[2])
    tamper(ids[1], **{field: getattr(b, field) for field in FIELDS})
    tamper(ids[2], **{field: getattr(a, field) for field in FIELDS})
    assert verify().broken_id == ids[1]


# --- append-only on PostgreSQL -------------------------------------------------------------------------------


@pytest.mark.parametrize("statement", [
    "UPDATE audit_events SET summary = 'changed'",
    "UPDATE audit_events SET hash = hash",
    "DELETE FROM audit_events",
])
def test_postgresql_refuses_updates_and_deletes_of_audit_rows(ctx, backend, statement):
    if backend != "postgresql":
        pytest.skip("the append-only trigger is PostgreSQL's (the SQLite harness empties tables with DELETE)")
    ids = make_chain(2)
    with pytest.raises(sa.exc.ProgrammingError, match="audit_events is append-only"):
        db.session.execute(sa.text(statement))
    db.session.rollback()
    assert event_ids() == ids
    assert verify().ok


def test_postgresql_refuses_an_orm_delete_too(ctx, backend):
    if backend != "postgresql":
        pytest.skip("the append-only trigger is PostgreSQL's")
    ids = make_chain(1)
    db.session.delete(db.session.get(AuditEvent, ids[-1]))
    with pytest.raises(sa.exc.ProgrammingError, match="append-only"):
        db.session.commit()
    db.session.rollback()
    assert verify().verified == len(ids)


# --- concurrent writers --------------------------------------------------------------------------------------

THREADS, WRITES = 10, 20


def test_concurrent_writers_leave_an_unbroken_chain(ctx):
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def writer(n: int) -> None:
        with ctx.app_context():
            start.wait()
            for i in range(WRITES):
                try:
                    record(None, "test.concurrent", summary=f"{n}-{i}", after={"n": n, "i": i})
                    db.session.commit()
                except BaseException as error:  # collected and reported below
                    db.session.rollback()
                    errors.append(error)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [str(e) for e in errors] == []
    result = verify()
    assert result.ok, result.reason
    assert result.verified == THREADS * WRITES


# --- flask audit verify --------------------------------------------------------------------------------------


def invoke(app, *args: str) -> Result:
    """Run a command as `flask …` does: in its own application context (and database session)."""
    db.session.commit()

    def run() -> Result:
        with app.app_context():
            return app.test_cli_runner().invoke(args=list(args))

    return contextvars.Context().run(run)


def test_cli_reports_ok_with_the_row_count(ctx):
    ids = make_chain(4)
    head = stored(ids[-1]).hash
    result = invoke(ctx, "audit", "verify")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [f"ok: {len(ids)} rows verified", f"head: {head}"]


def test_cli_on_an_empty_log(ctx):
    result = invoke(ctx, "audit", "verify", "--batch-size", "2")
    assert result.exit_code == 0 and result.output.startswith("ok: 0 rows verified")


def test_cli_names_the_first_broken_row_and_fails(ctx):
    ids = make_chain(5)
    tamper(ids[3], summary="دستکاری شده")
    tamper(ids[1], action="agency.delete")  # the first bad row is the one reported

    result = invoke(ctx, "audit", "verify", "--batch-size", "2")

    assert result.exit_code == 1
    assert f"audit chain broken at row {ids[1]}: hash mismatch" in result.output
    assert "(verified before it: 1 rows)" in result.output
    assert f"row {ids[3]}" not in result.output and "ok:" not in result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)


def test_cli_reports_a_deleted_row(ctx):
    ids = make_chain(5)
    with as_dba():
        db.session.execute(sa.delete(audit_table).where(audit_table.c.id == ids[1]))
    result = invoke(ctx, "audit", "verify")
    assert result.exit_code == 1
    assert f"broken at row {ids[2]}" in result.output and "prev_hash does not match" in result.output


# --- the migration -------------------------------------------------------------------------------------------


def test_migration_chains_existing_rows_and_downgrades(make_app, ctx, backend, tmp_path):
    """0001 with audit rows → 0002: the rows are chained in id order, the chain verifies; → 0001 again."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'chain.db'}"
    else:
        schema = f"chain_{uuid.uuid4().hex[:8]}"
        db.session.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        db.session.commit()
        base = sa.make_url(ctx.config["SQLALCHEMY_DATABASE_URI"])
        url = base.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    old_events = sa.table(
        "audit_events", sa.column("occurred_at", UTCDateTime()), sa.column("actor_label", sa.String()),
        sa.column("action", sa.String()), sa.column("summary", sa.String()), sa.column("before", JSONType),
        sa.column("after", JSONType), sa.column("ip", sa.String()),
    )
    moment = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    other = make_app(SQLALCHEMY_DATABASE_URI=url)
    with other.app_context():
        flask_migrate.upgrade(revision="0001")
        with db.engine.begin() as connection:
            connection.execute(old_events.insert(), [
                {"occurred_at": moment + timedelta(seconds=n), "actor_label": "", "action": f"old.{n}",
                 "summary": f"رویداد {n}", "before": {"z": n, "a": 1.0}, "after": None, "ip": None}
                for n in range(2500)  # more than one backfill batch
            ])
        flask_migrate.upgrade(revision="0002")

        result = verify_chain(iter_chain_rows())
        assert result.ok, result.reason
        assert result.verified == 2500
        first = db.session.execute(sa.select(audit_table.c.prev_hash, audit_table.c.occurred_at)
                                   .order_by(audit_table.c.id).limit(1)).one()
        assert first == (GENESIS, moment)
        db.session.commit()  # SQLite: the inspector below needs the write lock this transaction holds
        columns = {c["name"]: c for c in sa.inspect(db.engine).get_columns("audit_events")}
        assert not columns["prev_hash"]["nullable"] and not columns["hash"]["nullable"]
        if backend == "postgresql":
            with pytest.raises(sa.exc.ProgrammingError, match="append-only"):
                db.session.execute(sa.text("DELETE FROM audit_events"))
            db.session.rollback()

        flask_migrate.downgrade(revision="0001")
        assert not {"prev_hash", "hash"} & {c["name"] for c in sa.inspect(db.engine).get_columns("audit_events")}
        if backend == "postgresql":
            assert db.session.scalar(sa.text(f"SELECT to_regproc('{TRIGGER}')")) is None  # in this schema
            db.session.execute(sa.text("DELETE FROM audit_events"))  # no trigger left
            db.session.commit()
    if backend == "postgresql":
        db.session.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        db.session.commit()
