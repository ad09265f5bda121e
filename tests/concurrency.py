"""Running workers at once, as concurrent requests run: the harness of the tests for racing decisions, edits and links.

Each worker runs in a thread and an application context (and so a session and a connection) of its own; a barrier
releases them together. Used on SQLite and on PostgreSQL alike.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from planapp.extensions import db


def run_at_once(app, workers: list[Callable[[], Any]],
                refusals: type[BaseException] | tuple[type[BaseException], ...] = (),
                as_outcome: Callable[[Any], Any] = repr) -> tuple[list[Any], list[BaseException]]:
    """Run every worker at once; returns the outcomes and the errors, in the order they came.

    A worker returns an outcome, or raises one of `refusals` (a clear refusal, collected as `as_outcome(refusal)`);
    anything else is an error. The worker's session is committed on success and rolled back otherwise. A worker
    that does not finish fails the test.
    """
    db.session.commit()  # the test's own transaction must not hold SQLite's write lock
    barrier = threading.Barrier(len(workers))
    outcomes: list[Any] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(work: Callable[[], Any]) -> None:
        with app.app_context():
            barrier.wait(timeout=60)
            try:
                outcome = work()
                db.session.commit()
            except refusals as refusal:
                db.session.rollback()
                outcome = as_outcome(refusal)
            except BaseException as error:  # collected and reported by the test
                db.session.rollback()
                with lock:
                    errors.append(error)
                return
            with lock:
                outcomes.append(outcome)

    threads = [threading.Thread(target=run, args=(work,)) for work in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a worker hung"
    db.session.expire_all()
    return outcomes, errors
