"""RELIABILITY D4: many writers at once — no "database is locked", no lost update (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading

import sqlalchemy as sa

from planapp.accounts.models import LoginThrottle
from planapp.audit.models import AuditEvent
from planapp.audit.services import record
from planapp.extensions import db

THREADS, WRITES = 20, 100


def test_twenty_threads_times_one_hundred_writes(ctx):
    db.session.add(LoginThrottle(email="counter", failures=0))
    db.session.commit()
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def writer(n: int) -> None:
        with ctx.app_context():
            start.wait()
            for i in range(WRITES):
                try:
                    # Read-modify-write: the pattern that fails with deferred SQLite transactions.
                    row = db.session.get(LoginThrottle, "counter", with_for_update=True)
                    row.failures += 1
                    record(None, "test.write", summary=f"{n}-{i}")
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
    db.session.expire_all()
    assert db.session.get(LoginThrottle, "counter").failures == THREADS * WRITES
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == THREADS * WRITES
