"""Leadership: of all the scheduler processes started against one database, exactly one runs the jobs.

APScheduler must not share its job store between running schedulers (its FAQ; RELIABILITY decision 1), yet a
standby process is how the scheduler survives the loss of its host. So every `flask scheduler run` first asks
for leadership and only the leader starts APScheduler; the others poll and take over when the leader goes.

- PostgreSQL: a session-level advisory lock, `pg_try_advisory_lock(key)`, taken on a connection of its own
  (NullPool, so no pool recycles or shares it) held for the life of the process. Process death closes the
  connection and PostgreSQL releases the lock; TCP keepalives bound how long a vanished host keeps it.
- SQLite (and anything else): a lease row in `scheduler_leases`, taken by compare-and-swap (free, expired, or
  already ours) and renewed every third of its length; a standby takes over once it has expired.

Time comes from planapp.core.clock.now(), so tests can freeze it; on a real deployment the processes sharing an
SQLite file share one host, hence one clock.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import socket
import zlib
from datetime import datetime, timedelta
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from planapp.core import clock
from planapp.scheduler.models import SchedulerLease

log = logging.getLogger(__name__)

LEASE_NAME = "scheduler"
# High 32 bits of the advisory lock key: "PLAN". The low 32 bits name the schema, because advisory locks are
# database-wide and two installations (or two test runs) may share one database in different schemas.
LOCK_NAMESPACE = 0x504C414E


def process_id() -> str:
    """hostname:pid:random, unique per process start (a restarted pid is a different holder)."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(4)}"


class Leadership(Protocol):
    holder: str

    def acquire(self) -> bool:
        """Become the leader if nobody is; True if this process leads now."""

    def renew(self) -> bool:
        """Still the leader? Called every lease/3 seconds by the leader; False means stop scheduling now."""

    def release(self) -> None:
        """Step down (idempotent), so a standby takes over at once."""

    def leader(self) -> str | None:
        """Who leads now, as far as the database says (for logs and `flask scheduler status`)."""


class LeaseLeadership:
    """A lease row renewed by its holder; compare-and-swap makes acquisition exclusive."""

    def __init__(self, engine: sa.Engine, lease_seconds: int, holder: str | None = None) -> None:
        self.engine = engine
        self.lease = timedelta(seconds=lease_seconds)
        self.holder = holder or process_id()
        self.table = SchedulerLease.__table__

    def _take(self, *, steal_expired: bool) -> bool:
        now = clock.now()
        t = self.table.c
        mine = t.holder == self.holder
        condition = sa.or_(mine, t.expires_at <= now) if steal_expired else mine
        with self.engine.begin() as connection:
            taken = connection.execute(
                self.table.update()
                .where(t.name == LEASE_NAME, condition)
                .values(holder=self.holder, expires_at=now + self.lease)
            ).rowcount
            if taken or not steal_expired:
                return bool(taken)
            exists = connection.execute(sa.select(t.name).where(t.name == LEASE_NAME)).first()
        if exists:
            return False
        try:  # the very first scheduler: the row does not exist yet
            with self.engine.begin() as connection:
                connection.execute(
                    self.table.insert().values(name=LEASE_NAME, holder=self.holder, expires_at=now + self.lease)
                )
        except IntegrityError:  # another process inserted it first
            return False
        return True

    def acquire(self) -> bool:
        return self._take(steal_expired=True)

    def renew(self) -> bool:
        try:
            return self._take(steal_expired=False)
        except SQLAlchemyError as error:
            log.warning("lease renewal failed: %s", str(error).splitlines()[0])
            return False

    def release(self) -> None:
        t = self.table.c
        try:
            with self.engine.begin() as connection:
                connection.execute(
                    self.table.update()
                    .where(t.name == LEASE_NAME, t.holder == self.holder)
                    .values(expires_at=clock.now())
                )
        except SQLAlchemyError as error:  # the lease expires by itself anyway
            log.warning("lease release failed: %s", str(error).splitlines()[0])

    def current(self) -> tuple[str, datetime] | None:
        """(holder, expires_at) of the lease row, expired or not."""
        t = self.table.c
        with self.engine.begin() as connection:
            row = connection.execute(sa.select(t.holder, t.expires_at).where(t.name == LEASE_NAME)).first()
        return (row.holder, row.expires_at) if row else None

    def leader(self) -> str | None:
        current = self.current()
        return current[0] if current and current[1] > clock.now() else None


class AdvisoryLockLeadership:
    """pg_try_advisory_lock on a dedicated connection; the lock lives exactly as long as that session."""

    def __init__(self, url: sa.URL | str, holder: str | None = None) -> None:
        self.holder = holder or process_id()
        self.engine = sa.create_engine(
            url,
            poolclass=NullPool,
            connect_args={
                "application_name": f"planapp-scheduler {self.holder}"[:63],
                # Client side: notice a dead server; the SETs below make the server notice a dead client.
                "keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 5, "keepalives_count": 3,
            },
        )
        self.connection: sa.Connection | None = None
        self.key: int | None = None

    def _connect(self) -> sa.Connection:
        if self.connection is None:
            connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            for setting in ("tcp_keepalives_idle = 10", "tcp_keepalives_interval = 5", "tcp_keepalives_count = 3"):
                connection.exec_driver_sql(f"SET {setting}")
            self.key = lock_key(connection)
            self.connection = connection
        return self.connection

    def _drop_connection(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(SQLAlchemyError):
                self.connection.invalidate()
                self.connection.close()
            self.connection = None

    def acquire(self) -> bool:
        # Session-level advisory locks stack: taking it again on every poll would need as many unlocks, and a
        # release would then only end with the session (asynchronously, on the server). Hold it once.
        if self.connection is not None and self.renew():
            return True
        try:
            connection = self._connect()
            return bool(connection.scalar(sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}))
        except SQLAlchemyError:
            self._drop_connection()  # reconnect on the next poll
            raise

    def renew(self) -> bool:
        """The connection is alive and this very session still holds the lock."""
        if self.connection is None:
            return False
        try:
            held = self.connection.scalar(
                sa.text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
                    " AND pid = pg_backend_pid() AND classid::bigint = :high AND objid::bigint = :low"
                    " AND objsubid = 1"
                ),
                split_key(self.key or 0),
            )
        except SQLAlchemyError as error:
            log.warning("advisory lock check failed: %s", str(error).splitlines()[0])
            self._drop_connection()
            return False
        return held == 1

    def release(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(SQLAlchemyError):  # closing the session releases it anyway
                self.connection.scalar(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
            self._drop_connection()
        self.engine.dispose()

    def leader(self) -> str | None:
        with self.engine.connect() as connection:
            return current_lock_holder(connection)


def lock_key(connection: sa.Connection) -> int:
    schema = connection.scalar(sa.text("SELECT current_schema()")) or "public"
    return (LOCK_NAMESPACE << 32) | zlib.crc32(f"planapp.scheduler:{schema}".encode())


def split_key(key: int) -> dict[str, int]:
    return {"high": key >> 32, "low": key & 0xFFFFFFFF}


def current_lock_holder(connection: sa.Connection) -> str | None:
    """The application_name (planapp-scheduler host:pid:…) of the session holding this schema's lock.

    pg_locks lists the whole server; advisory locks belong to one database, so another database's installation
    (same schema name, same key) holds a lock of its own, not ours."""
    row = connection.execute(
        sa.text(
            "SELECT a.application_name, l.pid FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid"
            " WHERE l.locktype = 'advisory' AND l.granted AND l.classid::bigint = :high"
            " AND l.objid::bigint = :low AND l.objsubid = 1"
            " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        ),
        split_key(lock_key(connection)),
    ).first()
    if row is None:
        return None
    return (row.application_name or "").removeprefix("planapp-scheduler ") or f"backend pid {row.pid}"


def leadership_for(engine: sa.Engine, lease_seconds: int) -> Leadership:
    """The advisory lock on PostgreSQL, the lease elsewhere (SQLite)."""
    if engine.dialect.name == "postgresql":
        return AdvisoryLockLeadership(engine.url)
    return LeaseLeadership(engine, lease_seconds)
