"""`make run` (issue 5): one command serves the app and starts the scheduler beside it as its own process; Ctrl-C
stops both. Run for real on a throw-away SQLite database and a free port, as a newcomer would run it."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.smtp_fixtures import free_port

ROOT = Path(__file__).resolve().parent.parent
STARTUP_BOUND = 120  # seconds: migrations and the demo data on a fresh database, on a busy machine


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (our own local server)
            return response.status == 200
    except OSError:
        return False


def _scheduler_ran(engine: sa.Engine) -> bool:
    try:
        with engine.connect() as connection:
            return bool(connection.scalar(sa.text(
                "SELECT count(*) FROM job_runs WHERE job = 'monitoring_rounds' AND status = 'done'")))
    except sa.exc.OperationalError:  # not migrated yet
        return False


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_serves_the_app_with_the_scheduler_beside_it_and_ctrl_c_stops_both(tmp_path):
    port = free_port()
    database = tmp_path / "run.db"
    log = tmp_path / "scheduler.log"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "UPLOAD_FOLDER": str(tmp_path / "uploads")}
    for name in ("PLANAPP_ENV", "MAIL_SERVER", "PLANAPP_SCHEDULE", "FLASK_DEBUG"):
        env.pop(name, None)
    output = tmp_path / "make.out"
    with output.open("w") as out:
        # Its own process group, like a terminal's foreground job: Ctrl-C sends SIGINT to the whole group.
        make = subprocess.Popen(["make", "--no-print-directory", "run", f"PORT={port}", f"SCHEDULER_LOG={log}"],
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    engine = sa.create_engine(f"sqlite:///{database}")
    try:
        deadline = time.monotonic() + STARTUP_BOUND
        while not (_answers(f"http://127.0.0.1:{port}/healthz") and _scheduler_ran(engine)):
            assert make.poll() is None, output.read_text()[-3000:]
            assert time.monotonic() < deadline, output.read_text()[-3000:] + (log.read_text()[-2000:]
                                                                                 if log.exists() else "")
            time.sleep(0.5)
        assert _answers(f"http://127.0.0.1:{port}/login")
        with engine.connect() as connection:
            holder = connection.scalar(sa.text("SELECT holder FROM scheduler_leases WHERE name = 'scheduler'"))
        web_pids = subprocess.run(["pgrep", "-g", str(make.pid), "-f", f"flask run --host 127.0.0.1 --port {port}"],
                                  capture_output=True, text=True, check=False).stdout.split()
        assert web_pids and int(holder.split(":")[1]) not in map(int, web_pids)  # a process of its own leads
        assert "leader" in log.read_text()
        assert f"PlanApp is at http://127.0.0.1:{port}" in output.read_text()

        os.killpg(make.pid, signal.SIGINT)  # Ctrl-C
        make.wait(30)
        deadline = time.monotonic() + 30
        while _group_alive(make.pid):
            assert time.monotonic() < deadline, "a process of `make run` outlived Ctrl-C"
            time.sleep(0.2)
        assert "stopped" in log.read_text().splitlines()[-1]  # the scheduler released leadership and ended
    finally:
        if _group_alive(make.pid):
            os.killpg(make.pid, signal.SIGKILL)
        make.wait(10)
        engine.dispose()
