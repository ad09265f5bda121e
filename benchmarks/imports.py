"""Importing 1,000,000 indicator values (issue 6).

A CSV of a million distinct values (every active indicator × the nation, the province and its counties × its
sectors × enough Jalali years) is written with pandas. PlanApp's path, as an upload takes it — the upload checks
and the stored file (planapp.indicators.imports.create_import), then the runner: claim, read, check the rows in
slices with a committed progress step after each, stage them in committed chunks, apply them in one transaction
(run_import) — is timed against the baseline the issue names: a bare `pandas.read_csv` and one bulk INSERT of
the same rows into a table of the same shape, in the same run, on the same SQLite database. Rows per second and
the peak resident memory of each (run in a forked child) are printed. Times are printed, never asserted.
"""

from __future__ import annotations

import functools
import multiprocessing
import resource
import time
from datetime import UTC, datetime
from pathlib import Path

import flask_migrate
import pandas as pd
import sqlalchemy as sa

from benchmarks.harness import report
from planapp import create_app
from planapp.accounts import services as accounts
from planapp.agencies import services as agencies
from planapp.extensions import db
from planapp.indicators import imports
from planapp.indicators.imports import create_import, run_import
from planapp.indicators.models import (
    TOTAL_SECTOR,
    ImportStatus,
    Indicator,
    IndicatorImport,
    IndicatorValue,
    Region,
    Sector,
)
from planapp.indicators.queries import import_catalog
from planapp.indicators.seed import seed_catalog
from planapp.indicators.values import Stored

ROWS = 1_000_000
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def _write_file(path: Path) -> None:
    indicators = db.session.execute(sa.select(Indicator.code, Indicator.by_sector)).all()
    regions = list(db.session.scalars(sa.select(Region.code)))
    sectors = [code for code in db.session.scalars(sa.select(Sector.code)) if code != TOTAL_SECTOR]
    per_year = [(code, region, sector) for code, by_sector in indicators for region in regions
                for sector in (sectors if by_sector else [""])]
    years = -(-ROWS // len(per_year))
    frame = pd.DataFrame([(code, region, sector, 1500 - years + n, f"{(i * 37 + n) % 100_000 / 7:.3f}", "")
                          for n in range(years) for i, (code, region, sector) in enumerate(per_year)][:ROWS],
                         columns=["indicator", "region", "sector", "year", "value", "source"])
    frame.to_csv(path, index=False)


def _measured(function) -> tuple[float, int, object]:
    """Wall time and peak resident memory of `function`, run in a forked child: the child's high-water mark is its
    own (tracemalloc would see pandas' buffers too, but slows every allocation several times)."""
    db.session.remove()
    db.engine.dispose()  # no connection crosses the fork
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)

    def child() -> None:
        start = time.perf_counter()
        result = function()
        elapsed = time.perf_counter() - start
        sender.send((elapsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, repr(result)))

    process = context.Process(target=child)
    process.start()
    elapsed, peak, result = receiver.recv()
    process.join()
    return elapsed, peak, result


def bench_imports(folder: Path) -> None:
    print(f"Indicator import ({ROWS:,} values, CSV, SQLite)", flush=True)
    app = create_app("test", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'imports.db'}",
                              "UPLOAD_FOLDER": str(folder / "uploads"), "INDICATOR_IMPORT_MAX_BYTES": 64 * 2**20})
    path = folder / "values.csv"
    with app.app_context():
        flask_migrate.upgrade()
        seed_catalog()
        office = agencies.create_agency(None, {"name": "سازمان مدیریت و برنامه‌ریزی", "kind": "government"})
        user = accounts.create_user(None, {"email": "planner@example.ir", "name": "کارشناس", "role": "supervisor",
                                           "agency_id": office.id}, "bench-password-1")
        db.session.commit()
        user_id = user.id
        _write_file(path)
        print(f"  file: {path.stat().st_size / 1e6:.1f} MB", flush=True)

        # A million distinct values need some 330 Jalali years of the catalog: wider than the years a real file
        # may name (1300–1500), as the earlier version of this benchmark allowed too.
        imports.import_catalog = functools.partial(import_catalog, years=(900, 1500))

        def ours() -> object:
            upload = create_import(db.session.get(type(user), user_id), "values.csv", path.read_bytes(), NOW,
                                   max_bytes=app.config["INDICATOR_IMPORT_MAX_BYTES"])
            db.session.commit()
            status = run_import(upload.id)
            done = db.session.get(IndicatorImport, upload.id)
            assert status == ImportStatus.DONE, done.report
            return Stored(done.inserted, done.updated, done.unchanged)

        def baseline() -> None:
            frame = pd.read_csv(path, dtype={"sector": str, "source": str}, keep_default_na=False)
            frame["year"] = frame["year"].astype(int)
            db.session.execute(sa.text("CREATE TABLE bare_values (indicator TEXT, region TEXT, sector TEXT, "
                                       "year INTEGER, value REAL, source TEXT)"))
            db.session.execute(sa.text("INSERT INTO bare_values VALUES (:indicator, :region, :sector, :year, :value, "
                                       ":source)"), frame.to_dict("records"))
            db.session.commit()

        base_time, base_peak, _ = _measured(baseline)
        our_time, our_peak, stored = _measured(ours)
        count = db.session.scalar(sa.select(sa.func.count()).select_from(IndicatorValue))
        report("import: upload checks, read, check, stage, apply", our_time, base_time, "read_csv + one bulk INSERT")
        print(f"  {ROWS / our_time:,.0f} rows/s vs {ROWS / base_time:,.0f} rows/s; peak memory {our_peak / 1e6:.0f} MB "
              f"vs {base_peak / 1e6:.0f} MB ({our_peak / base_peak:.2f}x); stored {count:,} ({stored})", flush=True)
        again_time, _, again = _measured(ours)
        report("the same file again (all unchanged)", again_time, base_time, "read_csv + one bulk INSERT")
        print(f"  {again}", flush=True)
        db.engine.dispose()
