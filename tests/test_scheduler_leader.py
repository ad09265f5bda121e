"""One leader among the scheduler processes: the SQLite lease (frozen clock) and the PostgreSQL advisory lock."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from planapp.core import clock
from planapp.extensions import db
from planapp.scheduler import runner
from planapp.scheduler.leader import AdvisoryLockLeadership, LeaseLeadership, leadership_for, lock_key
from planapp.scheduler.models import JobRun, SchedulerLease

T0 = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)


@pytest.fixture
def two_leases(ctx):
    db.session.commit()
    clock.freeze(T0)
    return LeaseLeadership(db.engine, 30, holder="a"), LeaseLeadership(db.engine, 30, holder="b")


def test_one_lease_holder_the_other_waits_until_it_expires(two_leases):
    a, b = two_leases
    assert a.acquire() and not b.acquire()
    assert a.leader() == b.leader() == "a"
    assert a.current() == ("a", T0 + timedelta(seconds=30))

    clock.freeze(T0 + timedelta(seconds=20))
    assert a.renew() and not b.acquire()  # renewed to 0:50
    clock.freeze(T0 + timedelta(seconds=45))
    assert not b.acquire()

    clock.freeze(T0 + timedelta(seconds=50))  # a stopped renewing (stalled or dead): the lease runs out
    assert a.leader() is None
    assert b.acquire() and b.leader() == "b"
    assert not a.renew()  # the old leader learns it has lost, and stops scheduling
    assert not a.acquire()


def test_a_released_lease_is_taken_at_once(two_leases):
    a, b = two_leases
    assert a.acquire()
    a.release()
    assert b.acquire() and not a.acquire()
    b.release()
    b.release()  # idempotent
    assert a.acquire()


def test_renewing_never_steals(two_leases):
    a, b = two_leases
    assert not b.renew()  # no lease yet: renew does not create one
    assert a.acquire()
    clock.freeze(T0 + timedelta(hours=1))
    assert not b.renew()  # expired, but renew only extends one's own
    assert a.renew()  # and a lapsed holder that nobody replaced may go on


def test_postgresql_leads_by_advisory_lock_on_its_own_connections(ctx, backend):
    if backend != "postgresql":
        pytest.skip("advisory locks are PostgreSQL's")
    assert isinstance(leadership_for(db.engine, 30), AdvisoryLockLeadership)
    a, b = AdvisoryLockLeadership(db.engine.url, holder="a"), AdvisoryLockLeadership(db.engine.url, holder="b")
    try:
        assert a.acquire() and not b.acquire()
        assert a.renew() and not b.renew()
        assert b.leader() == "a"
        assert a.acquire()  # re-entrant for its holder, as polling needs
        # Held once however often polled: a single unlock frees it while a's session lives on.
        assert a.connection.scalar(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": a.key})
        assert b.acquire() and b.leader() == "b"
        b.release()
        b = AdvisoryLockLeadership(db.engine.url, holder="b")
        assert a.acquire()
        a.release()
        assert b.acquire() and b.leader() == "b"
        assert not a.acquire()

        # The leader's process dies: its session ends and PostgreSQL releases the lock.
        b.connection.invalidate()
        b.connection = None
        assert not b.renew()
        deadline = time.monotonic() + 5  # the server ends the session as soon as it reads the closed socket
        while not a.acquire():
            assert time.monotonic() < deadline, "the lock outlived its session"
            time.sleep(0.05)
        assert a.renew()
    finally:
        a.release()
        b.release()


def test_the_same_key_held_in_another_database_is_not_our_leader(ctx, backend):
    """Advisory locks belong to one database: another installation on the same server, whose schema has the same
    name and so the same key, neither blocks our leader nor is reported as it."""
    if backend != "postgresql":
        pytest.skip("advisory locks are PostgreSQL's")
    with db.engine.connect() as connection:
        key = lock_key(connection)
    other_database = sa.create_engine(db.engine.url.set(database="postgres"), poolclass=NullPool,
                                      connect_args={"application_name": "planapp-scheduler other-installation"})
    a = AdvisoryLockLeadership(db.engine.url, holder="a")
    try:
        with other_database.connect() as other:
            assert other.scalar(sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": key})
            assert a.leader() is None
            assert a.acquire() and a.renew() and a.leader() == "a"
    finally:
        a.release()
        other_database.dispose()


def test_sqlite_leads_by_lease(ctx, backend):
    if backend != "sqlite":
        pytest.skip("PostgreSQL uses the advisory lock")
    assert isinstance(leadership_for(db.engine, 30), LeaseLeadership)


def test_a_leader_that_loses_leadership_stops_scheduling_and_stands_by(make_app, ctx, backend, monkeypatch, tmp_path):
    """The lease is taken from under the leader (SQLite) or its lock session is killed (PostgreSQL): APScheduler
    stops at the next renewal, the process stands by, and it leads again once it can."""

    db.session.commit()
    app = make_app(SCHEDULER_SCHEDULE="tests.scheduler_jobs:SCHEDULE", SCHEDULER_LEASE_SECONDS=2)
    monkeypatch.setattr(runner, "_app", app)
    monkeypatch.setenv("SCHEDULER_TEST_LOG", str(tmp_path / "log"))
    with app.app_context():
        process = runner.SchedulerProcess(app)
    thread = threading.Thread(target=process.run)
    thread.start()

    def ticks() -> int:
        db.session.rollback()
        count = db.session.scalar(sa.select(sa.func.count()).select_from(JobRun))
        db.session.rollback()
        return count

    def wait(condition, what: str) -> None:
        deadline = time.monotonic() + 15
        while not condition():
            assert time.monotonic() < deadline, what
            time.sleep(0.1)

    try:
        wait(lambda: ticks() >= 1, "a first run")
        if backend == "sqlite":
            with db.engine.begin() as connection:
                connection.execute(SchedulerLease.__table__.update().values(
                    holder="thief", expires_at=clock.now() + timedelta(seconds=3)))
        else:
            with db.engine.begin() as connection:
                connection.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                                           " WHERE application_name = :name"),
                                   {"name": f"planapp-scheduler {process.leadership.holder}"[:63]})
        wait(lambda: process.losses == 1, "the leader noticing its loss")
        lost_at = ticks()
        wait(lambda: ticks() > lost_at, "runs after leading again")
    finally:
        process.request_stop()
        thread.join(20)
    assert not thread.is_alive()
    assert set(Counter((tmp_path / "log").read_text().splitlines()).values()) == {1}  # no execution twice
