"""An import in a real browser (issue 6): an officer uploads a CSV; the import's page polls its progress section
every second (htmx) while the import waits, the scheduler's job runs it, and the polling stops once the section
shows the outcome. Another upload is cancelled from the page while it waits, and a file with a bad row shows the
report in Persian. Served with IMPORT_RUNNER "scheduler" (so the test decides when the import runs) and CSRF on;
every browser context is watched for CSP violations and script errors (X3)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from planapp.core.clock import now
from planapp.indicators import imports
from planapp.indicators.seed import COUNTIES, COUNTRY, PROVINCE
from tests.browser_fixtures import closing, hand_over, signed_in_page
from tests.indicator_import_helpers import import_world

pytestmark = pytest.mark.browser
w = import_world


@pytest.fixture
def threaded_server(w, make_app) -> Iterator[str]:
    app = make_app(WTF_CSRF_ENABLED=True, IMPORT_RUNNER="scheduler")
    http = make_server("127.0.0.1", 0, closing(app), threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    hand_over()
    try:
        yield f"http://127.0.0.1:{http.server_port}"
    finally:
        http.shutdown()
        thread.join(timeout=5)


def population_file(folder: Path, bad_value: str | None = None) -> Path:
    """POP (the officer's agency's indicator) for the nation, the province and its 21 counties over the Jalali
    years 1300–1500: 4,623 values; or the first 30 of them with one value that is not a number."""
    regions = np.array([COUNTRY[0], PROVINCE[0], *(code for code, _fa, _en in COUNTIES)])
    n = np.arange(len(regions) * 201 if bad_value is None else 30)
    frame = pd.DataFrame({"indicator": "POP", "region": regions[n % len(regions)], "sector": "",
                          "year": 1300 + n // len(regions), "value": (n * 10).astype(str), "source": ""})
    if bad_value is not None:
        frame.loc[4, "value"] = bad_value
    path = folder / ("bad.csv" if bad_value else "population.csv")
    frame.to_csv(path, index=False)
    return path


def upload(page, base: str, path: Path) -> None:
    page.goto(f"{base}/indicators/imports/new")
    page.locator("#import-file").set_input_files(str(path))
    page.locator("#import-form button[type=submit]").click()


def run_the_scheduler_job() -> None:
    imports.run_pending(now())
    hand_over()


def test_an_officer_watches_the_import_progress_until_it_is_done(w, threaded_server, contexts, tmp_path):
    email = w.officer.email
    hand_over()  # reading the e-mail opened a transaction: on SQLite even that holds the write lock
    page, watch = signed_in_page(contexts, threaded_server, email)
    upload(page, threaded_server, population_file(tmp_path))
    progress = page.locator("#import-progress")
    expect(progress).to_have_attribute("data-status", "queued")
    expect(progress).to_have_attribute("hx-trigger", "every 1s")
    expect(page.locator("#import-phase")).to_have_text("در انتظار آغاز…")
    run_the_scheduler_job()  # the upload is in (its page is shown): the job runs it
    expect(progress).to_have_attribute("data-status", "done", timeout=15_000)  # seen by polling, no reload
    expect(progress).not_to_have_attribute("hx-trigger", "every 1s")  # finished: the polling has stopped
    expect(page.locator("#import-phase")).to_contain_text("انجام شد: ۴٬۶۲۳ مقدار تازه")

    upload(page, threaded_server, population_file(tmp_path))
    expect(progress).to_have_attribute("data-status", "queued")
    page.get_by_role("button", name="لغو ورود داده").click()
    expect(progress).to_have_attribute("data-status", "cancelled")
    expect(page.locator("#import-phase")).to_have_text("لغو شد. هیچ داده‌ای ذخیره نشد.")

    upload(page, threaded_server, population_file(tmp_path, bad_value="دوازده"))
    expect(progress).to_have_attribute("data-status", "queued")  # the upload is in: the job may run
    run_the_scheduler_job()
    expect(progress).to_have_attribute("data-status", "failed", timeout=15_000)
    expect(page.locator("#import-problems tbody tr")).to_have_count(1)
    expect(page.locator("#import-problems tbody tr")).to_contain_text("این مقدار عدد نیست")
    expect(page.locator("#import-problems tbody tr")).to_contain_text("دوازده")
    watch.assert_clean(page)
