"""Importing indicator values from an uploaded CSV/XLSX file, in the background, whole or not at all.

    queued → validating n/N → staging n/N → importing (applying) → done
               ↘ failed (the report says why; nothing stored)      ↘ cancelled (nothing stored)

A long write transaction on SQLite holds the database's only write lock, so progress and a cancel request could
not be written beside it. The work is therefore split: the file is read and checked in slices, with a committed
progress update after each; the good rows are copied into a staging table (indicator_import_rows) in committed
chunks, the cancel request being read between them; then one transaction applies the staged rows to the values
in three set-based statements (`apply_staged`, the rules of `store_values`: history for changed values, the same
file twice changes nothing), records the counts and deletes the staging rows. A crash at any step leaves the
values untouched: staging rows are deleted by the runner on failure or cancel, or by `recover_stuck` for a runner
that died.

Every step changes the import's row with a compare-and-swap on its status (UPDATE … WHERE status = expected),
so only one runner ever claims an import, and a runner whose import was failed by the recovery meanwhile stops.
Nothing here reads the request: the web view, the scheduler job and the tests call the same functions.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from planapp.accounts.models import User
from planapp.audit.services import record
from planapp.core import storage
from planapp.core.clock import now
from planapp.core.errors import ValidationFailed
from planapp.core.permissions import Perm, can, is_planning_staff
from planapp.core.uploads import check_upload
from planapp.extensions import db
from planapp.indicators.models import (
    CANCELLABLE,
    ImportStatus,
    Indicator,
    IndicatorImport,
    IndicatorImportRow,
    IndicatorValue,
    IndicatorValueChange,
)
from planapp.indicators.queries import import_catalog
from planapp.indicators.validate import MAX_PROBLEMS, ROW, FileProblem, Result, read_table, validate
from planapp.indicators.values import Stored
from planapp.tasks.models import Task

log = logging.getLogger(__name__)

KINDS = ("csv", "xlsx")
STEP_ROWS = 20_000  # rows checked or staged between two progress commits
MAX_ROWS = 1_000_000
SHOWN_CHARS = 300  # of a bad cell, in the report
STUCK_AFTER = timedelta(minutes=10)  # no progress for this long: the runner is taken for dead
RUNNING = (ImportStatus.VALIDATING, ImportStatus.STAGING, ImportStatus.IMPORTING)

Observer = Callable[[ImportStatus, int, int], None]  # (status, processed_rows, total_rows) after each commit

_table = IndicatorImport.__table__
_staged = IndicatorImportRow.__table__


class _Cancelled(Exception):
    pass


class _Lost(Exception):
    """The import's row is no longer in the state this runner left it in (the recovery failed it)."""


# --- Starting ----------------------------------------------------------------------------------------------


def create_import(user: User, filename: str, data: bytes, at: datetime, *, max_bytes: int,
                  task_id: int | None = None) -> IndicatorImport:
    """Check the upload (F1/F2: size, type by content, zip bombs, XML tricks — refused with UploadRefused before
    anything is written), store it under a generated name and queue the import. The caller commits, then calls
    `start`."""
    task = None
    if task_id is not None:
        task = db.session.get(Task, task_id)
        decision = can(user, Perm.WORK_ON_TASK, task)
        if task is None or not decision:
            raise ValidationFailed(decision.reason if task is not None else _l("This task does not exist."))
    checked = check_upload(filename, data, max_bytes, kinds=KINDS)
    upload = IndicatorImport(user_id=user.id, task_id=task.id if task else None, file_name=checked.name,
                             stored_name=storage.save(data), status=ImportStatus.QUEUED, created_at=at,
                             report={})
    db.session.add(upload)
    db.session.flush()
    record(user, "indicator.import_queued", upload, summary=checked.name,
           after={"file": checked.name, "size": checked.size, "sha256": checked.sha256, "task": upload.task_id})
    return upload


def start(import_id: int) -> None:
    """Run a committed, queued import as configured by IMPORT_RUNNER: "thread" (a daemon thread of this process,
    with its own application context), "inline" (now, before returning: tests) or "scheduler" (left to the
    scheduler's job). The scheduler's job also picks up an import whose thread died with its process."""
    mode = current_app.config.get("IMPORT_RUNNER", "thread")
    if mode == "inline":
        run_import(import_id)
    elif mode == "thread":
        app = current_app._get_current_object()  # type: ignore[attr-defined]

        def work() -> None:
            with app.app_context():
                try:
                    run_import(import_id)
                finally:
                    db.session.remove()

        threading.Thread(target=work, name=f"indicator-import-{import_id}", daemon=True).start()


def request_cancel(import_id: int) -> ImportStatus:
    """Ask the runner to stop. A queued import is cancelled at once; a validating or staging one at the runner's
    next step; one already applying finishes. Returns the status the import is in now."""
    status = db.session.scalar(sa.select(_table.c.status).where(_table.c.id == import_id))
    db.session.commit()
    if status not in CANCELLABLE:  # finished, or applying (on SQLite that holds the write lock: do not queue on it)
        return ImportStatus(status)
    db.session.execute(sa.update(_table).where(_table.c.id == import_id, _table.c.status == ImportStatus.QUEUED)
                       .values(status=ImportStatus.CANCELLED, cancel_requested=True, finished_at=now()))
    db.session.execute(sa.update(_table).where(_table.c.id == import_id, _table.c.status.in_(list(CANCELLABLE)))
                       .values(cancel_requested=True))
    db.session.commit()
    status = db.session.scalar(sa.select(_table.c.status).where(_table.c.id == import_id))
    if status == ImportStatus.CANCELLED:
        _remove_file(import_id)
    return ImportStatus(status)


# --- Running -----------------------------------------------------------------------------------------------


def run_import(import_id: int, *, step: int = STEP_ROWS, observe: Observer | None = None) -> ImportStatus | None:
    """Claim a queued import and run it to its end. None if it was not queued (another runner claimed it)."""
    db.session.rollback()
    claimed = db.session.execute(
        sa.update(_table).where(_table.c.id == import_id, _table.c.status == ImportStatus.QUEUED)
        .values(status=ImportStatus.VALIDATING, started_at=now(), progress_at=now(), processed_rows=0))
    db.session.commit()
    if claimed.rowcount != 1:
        return None
    runner = _Runner(import_id, step, observe)
    try:
        status = runner.run()
    except _Cancelled:
        db.session.rollback()
        status = _end(import_id, ImportStatus.CANCELLED, {})
    except _Lost:
        db.session.rollback()
        log.warning("indicator import %s was taken from this runner (failed as stuck)", import_id)
        return ImportStatus.FAILED
    except Exception:
        db.session.rollback()
        log.exception("indicator import %s failed", import_id)
        status = _end(import_id, ImportStatus.FAILED, {"error": "internal"})
    _remove_file(import_id)
    return status


class _Runner:
    def __init__(self, import_id: int, step: int, observe: Observer | None):
        self.id, self.step, self.observe = import_id, step, observe

    def run(self) -> ImportStatus:
        upload = db.session.get(IndicatorImport, self.id)
        user = db.session.get(User, upload.user_id)
        user_id, task_id = upload.user_id, upload.task_id
        try:
            frame = read_table(storage.path_of(upload.stored_name), _kind(upload.file_name), MAX_ROWS,
                               max_bytes=current_app.config["INDICATOR_IMPORT_MAX_BYTES"])
        except FileProblem as problem:
            db.session.rollback()
            return _end(self.id, ImportStatus.FAILED, {"file": {"code": problem.code,
                                                                "details": _plain(problem.details)}},
                        expected=ImportStatus.VALIDATING)
        self._step(ImportStatus.VALIDATING, 0, total=len(frame))
        result = validate(frame, _catalog_for(user), step=self.step,
                          progress=lambda done, _total: self._step(ImportStatus.VALIDATING, done))
        del frame
        if not result.ok:
            return _end(self.id, ImportStatus.FAILED, _report(result), expected=ImportStatus.VALIDATING,
                        error_count=result.problem_count)
        self._stage(result.rows)
        del result
        return self._apply(user_id, task_id)

    def _step(self, status: ImportStatus, processed: int, *, total: int | None = None,
              new_status: ImportStatus | None = None) -> None:
        """Commit the progress (and whatever the session holds: a staged chunk), then honour a cancel request."""
        values: dict[str, Any] = {"processed_rows": processed, "progress_at": now()}
        if total is not None:
            values["total_rows"] = total
        if new_status is not None:
            values["status"] = new_status
        changed = db.session.execute(sa.update(_table).where(_table.c.id == self.id, _table.c.status == status)
                                     .values(**values))
        if changed.rowcount != 1:
            raise _Lost()
        db.session.commit()
        if self.observe is not None:  # what a poller reads now
            state = db.session.execute(sa.select(_table.c.status, _table.c.processed_rows, _table.c.total_rows)
                                       .where(_table.c.id == self.id)).one()
            db.session.commit()
            self.observe(ImportStatus(state.status), state.processed_rows, state.total_rows)
        cancelled = db.session.scalar(sa.select(_table.c.cancel_requested).where(_table.c.id == self.id))
        db.session.commit()
        if cancelled:
            raise _Cancelled()

    def _stage(self, rows: pd.DataFrame) -> None:
        self._step(ImportStatus.VALIDATING, 0, total=len(rows), new_status=ImportStatus.STAGING)
        columns = [ROW, "indicator_id", "region_id", "sector_id", "year", "value", "source"]
        for start in range(0, len(rows), self.step):
            chunk = rows.iloc[start:start + self.step][columns].rename(columns={ROW: "row"})
            db.session.execute(_staged.insert(), [{**record, "import_id": self.id}
                                                  for record in _records(chunk)])
            self._step(ImportStatus.STAGING, start + len(chunk))

    def _apply(self, user_id: int, task_id: int | None) -> ImportStatus:
        """One transaction: the staged rows into the values, the counts, the staging rows deleted."""
        self._step(ImportStatus.STAGING, db.session.scalar(sa.select(_table.c.total_rows)
                                                            .where(_table.c.id == self.id)),
                   new_status=ImportStatus.IMPORTING)
        at = now()
        # The first statement of the transaction touches the import's row: on PostgreSQL it stays locked until
        # the commit, so the recovery and a cancel wait for the outcome instead of acting beside it.
        mine = db.session.execute(sa.update(_table).where(_table.c.id == self.id,
                                                          _table.c.status == ImportStatus.IMPORTING)
                                  .values(progress_at=at))
        if mine.rowcount != 1:
            raise _Lost()
        stored = apply_staged(self.id, user_id, at, task_id)
        db.session.execute(_staged.delete().where(_staged.c.import_id == self.id))
        db.session.execute(sa.update(_table).where(_table.c.id == self.id).values(
            status=ImportStatus.DONE, inserted=stored.inserted, updated=stored.updated, unchanged=stored.unchanged,
            finished_at=now(), progress_at=now()))
        upload = db.session.get(IndicatorImport, self.id)
        record(db.session.get(User, user_id), "indicator.imported", upload, summary=upload.file_name,
               after={"inserted": stored.inserted, "updated": stored.updated, "unchanged": stored.unchanged,
                      "task": task_id})
        db.session.commit()
        if self.observe is not None:
            self.observe(ImportStatus.DONE, upload.processed_rows, upload.total_rows)
        return ImportStatus.DONE


def apply_staged(import_id: int, user_id: int | None, at: datetime, task_id: int | None) -> Stored:
    """The staged rows into the values, set-based, in the caller's transaction — the rules of
    planapp.indicators.values.store_values: a value equal to the stored one (to 12 significant digits) with the
    same source is unchanged; a different one replaces it and the previous value and source go to the history;
    a new key is inserted. Three statements, whatever the number of rows."""
    values, changes = IndicatorValue.__table__, IndicatorValueChange.__table__
    staged = _staged.c
    key = sa.and_(values.c.indicator_id == staged.indicator_id, values.c.region_id == staged.region_id,
                  values.c.sector_id == staged.sector_id, values.c.year == staged.year)
    scale = sa.case((sa.func.abs(staged.value) > 1.0, sa.func.abs(staged.value)), else_=1.0)
    same = sa.and_(sa.func.abs(values.c.value - staged.value) <= scale * 1e-12, values.c.source == staged.source)
    mine = staged.import_id == import_id
    by = sa.bindparam("by", user_id, type_=sa.Integer)
    when = sa.bindparam("at", at, type_=values.c.submitted_at.type)
    task = sa.bindparam("task", task_id, type_=sa.Integer)
    made_by = sa.bindparam("import", import_id, type_=sa.Integer)

    # Counted by queries, not rowcount: drivers do not all report it for INSERT … SELECT.
    count = sa.select(sa.func.count()).select_from(_staged)
    updated = db.session.scalar(count.join(values, key).where(mine, sa.not_(same)))
    inserted = db.session.scalar(count.where(mine, ~sa.exists().where(key)))
    db.session.execute(changes.insert().from_select(
        ["value_id", "old_value", "old_source", "new_value", "changed_by_id", "changed_at", "import_id"],
        sa.select(values.c.id, values.c.value, values.c.source, staged.value, by, when, made_by)
        .select_from(_staged.join(values, key)).where(mine, sa.not_(same))))
    db.session.execute(values.update().where(key, mine, sa.not_(same)).values(
        value=staged.value, source=staged.source, submitted_by_id=by, submitted_at=when, task_id=task,
        import_id=made_by))
    db.session.execute(values.insert().from_select(
        ["indicator_id", "region_id", "sector_id", "year", "value", "source", "submitted_by_id", "submitted_at",
         "task_id", "import_id"],
        sa.select(staged.indicator_id, staged.region_id, staged.sector_id, staged.year, staged.value, staged.source,
                  by, when, task, made_by).where(mine, ~sa.exists().where(key))))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(_staged).where(mine))
    return Stored(inserted=inserted, updated=updated, unchanged=total - inserted - updated)


def _end(import_id: int, status: ImportStatus, report: dict[str, Any], *, expected: ImportStatus | None = None,
         error_count: int = 0) -> ImportStatus:
    """Finish an import that stores nothing (failed or cancelled): its staging rows go, its report is kept."""
    where = [_table.c.status == expected] if expected else [_table.c.status.in_(list(RUNNING))]
    db.session.execute(_staged.delete().where(_staged.c.import_id == import_id))
    db.session.execute(sa.update(_table).where(_table.c.id == import_id, *where).values(
        status=status, report=report, error_count=error_count, finished_at=now(), progress_at=now()))
    db.session.commit()
    return ImportStatus(db.session.scalar(sa.select(_table.c.status).where(_table.c.id == import_id)))


def _remove_file(import_id: int) -> None:
    """The uploaded file is only needed until the import ends; the report and the values stay."""
    name = db.session.scalar(sa.select(_table.c.stored_name).where(_table.c.id == import_id))
    with contextlib.suppress(ValueError, OSError):  # not a generated name (older rows), or already gone
        storage.path_of(name).unlink(missing_ok=True)


def _kind(file_name: str) -> str:
    return "xlsx" if file_name.lower().endswith(".xlsx") else "csv"


def _catalog_for(user: User):
    """What this user may import: planning staff any active indicator, others their agency's."""
    catalog = import_catalog()
    if is_planning_staff(user):
        return catalog
    allowed = db.session.scalars(sa.select(Indicator.id).where(Indicator.source_agency_id == user.agency_id))
    return replace(catalog, allowed_indicators=frozenset(allowed))


def _report(result: Result) -> dict[str, Any]:
    return {"problems": [{"row": p.row, "column": p.column, "code": p.code, "value": _shown(p.value)}
                         for p in result.problems[:MAX_PROBLEMS]],
            "counts": dict(sorted(result.problem_counts.items())), "rows": result.row_count,
            "bad_rows": result.bad_row_count}


def _shown(text: str) -> str:
    """A cell as the report shows it: a cell can hold megabytes; the report keeps its beginning."""
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "…"


def _plain(value: Any) -> Any:
    """FileProblem details as JSON."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value if isinstance(value, str | int | float | bool | type(None)) else str(value)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    columns = list(frame.columns)
    return [dict(zip(columns, values, strict=True)) for values in zip(*(frame[c].tolist() for c in columns),
                                                                      strict=True)]


# --- The scheduler's job -------------------------------------------------------------------------------------


def recover_stuck(at: datetime) -> int:
    """Fail the imports whose runner stopped giving signs of life STUCK_AFTER ago (a crash, a restart) and delete
    their staging rows; the values were never touched. Returns how many."""
    cutoff = at - STUCK_AFTER
    stale = sa.func.coalesce(_table.c.progress_at, _table.c.started_at, _table.c.created_at) < cutoff
    ids = list(db.session.scalars(sa.select(_table.c.id).where(_table.c.status.in_(list(RUNNING)), stale)))
    failed = 0
    for import_id in ids:
        changed = db.session.execute(sa.update(_table).where(
            _table.c.id == import_id, _table.c.status.in_(list(RUNNING)), stale).values(
            status=ImportStatus.FAILED, report={"error": "stalled"}, finished_at=at, progress_at=at))
        if changed.rowcount == 1:
            db.session.execute(_staged.delete().where(_staged.c.import_id == import_id))
            failed += 1
        db.session.commit()
        if changed.rowcount == 1:
            _remove_file(import_id)
    return failed


def run_pending(at: datetime) -> str:
    """Scheduler job: recover stuck imports, then run the queued ones left behind (a restart, IMPORT_RUNNER
    "scheduler"). Idempotent and safe beside other runners: each import is claimed before it is run."""
    recovered = recover_stuck(at)
    queued = list(db.session.scalars(sa.select(_table.c.id).where(_table.c.status == ImportStatus.QUEUED)
                                     .order_by(_table.c.id)))
    db.session.commit()
    ran = [status for import_id in queued if (status := run_import(import_id)) is not None]
    return f"{len(ran)} imports run, {recovered} stuck ones failed"
