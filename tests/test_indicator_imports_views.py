"""The import pages (issue 6): upload → the import's page with its outcome or its report in Persian; F1/F2 through
the view (empty, oversized, zip bomb, XML entities, an .exe renamed .csv/.xlsx, binary junk) refused in Persian
with no import row and no file left; who sees an import (404 for others, on the page, the polled partial and
cancel); the polled partial carries its trigger only while the import runs. SQLite and PostgreSQL."""

from __future__ import annotations

import io
import zipfile

import pytest
import sqlalchemy as sa
from flask import render_template
from flask_login import login_user

from planapp.extensions import db
from planapp.indicators.import_queries import task_imports
from planapp.indicators.models import ImportStatus, IndicatorImport
from tests.factories import PASSWORD
from tests.indicator_import_helpers import GOOD, MB, csv_bytes, import_world, queue, reloaded, values, xlsx_bytes
from tests.task_helpers import client_for, doc, files_on_disk, new_task, page_text, upload_folder

w, uploads = import_world, upload_folder
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


def post(client, name: str, data: bytes, **form):
    response = client.post("/indicators/imports/", data={"file": (io.BytesIO(data), name), **form},
                           content_type="multipart/form-data")
    response.request.environ["wsgi.input"].close()
    return response


def imports_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(IndicatorImport))


def zip_bomb() -> bytes:
    """A workbook whose sheet inflates a thousand times: 20 MB of spaces in a few kilobytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                                           'package/2006/content-types"/>')
        zf.writestr("xl/workbook.xml", "<workbook/>")
        zf.writestr("xl/worksheets/sheet1.xml", " " * (20 * MB))
    return buffer.getvalue()


def with_entities() -> bytes:
    """A real workbook whose sheet declares entities (billion laughs)."""
    source, out = zipfile.ZipFile(io.BytesIO(xlsx_bytes(GOOD))), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = b'<!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>' + data.split(b"?>", 1)[-1]
            zf.writestr(info, data)
    return out.getvalue()


def test_a_good_upload_leads_to_its_page_with_the_outcome(w, uploads, ctx):
    officer = client_for(ctx, w.officer)
    response = post(officer, "ارزش‌ها.csv", csv_bytes(GOOD))
    assert response.status_code == 302
    page = officer.get(response.headers["Location"])
    assert page.status_code == 200
    text = page_text(page)
    assert "انجام شد: 3 مقدار تازه، 0 تغییریافته، 0 بدون تغییر." in text and "ارزش‌ها.csv" in text
    assert len(values()) == 3 and files_on_disk(uploads) == []  # the file is deleted once imported
    assert 'hx-trigger' not in page.text.split('id="import-progress"')[1].split(">")[0]


def test_a_bad_file_shows_its_report_in_persian_with_the_values_escaped(w, uploads, ctx):
    rows = [["<img src=x onerror=alert(1)>", "EA-TABRIZ", "", "1403", "1", ""],
            ["POP", "EA-TABRIZ", "", "۱۶۰۰", "1", ""], ["POP", "EA-AHAR", "", "1403", "یک", ""]]
    officer = client_for(ctx, w.officer)
    page = officer.get(post(officer, "bad.csv", csv_bytes(rows)).headers["Location"])
    cells = [[" ".join(td.text_content().split()) for td in tr.xpath("td")]
             for tr in doc(page).xpath('//table[@id="import-problems"]/tbody/tr')]
    assert cells == [["۲", "شاخص", "هیچ شاخص فعالی با این کد نیست.", "<img src=x onerror=alert(1)>"],
                     ["۳", "سال", "سال باید میان ۱۳۰۰ و ۱۵۰۰ باشد.", "۱۶۰۰"],
                     ["۴", "مقدار", "این مقدار عدد نیست. رقم، ممیز و جداکنندهٔ هزارگان پذیرفته می‌شوند.", "یک"]]
    assert "<img src=x" not in page.text and "&lt;img src=x onerror=alert(1)&gt;" in page.text
    assert "ناموفق بود. هیچ داده‌ای ذخیره نشد" in page_text(page) and values() == {}


def test_a_file_with_wrong_columns_says_which(w, uploads, ctx):
    officer = client_for(ctx, w.officer)
    data = csv_bytes([["POP", "EA-TABRIZ", "1403"]], ["indicator", "شهرستان", "amount"])
    page = officer.get(post(officer, "cols.csv", data).headers["Location"])
    problem = " ".join(doc(page).xpath('//*[@id="import-file-problem"]')[0].text_content().split())
    assert "ستون‌های جاافتاده: سال، مقدار." in problem and "ستون‌های ناشناخته: amount." in problem


@pytest.mark.parametrize(("name", "data", "expected"), [
    pytest.param("خالی.csv", b"", "پرونده خالی است", id="zero-bytes"),
    pytest.param("setup.csv", EXE, "پروندهٔ CSV دادهٔ دودویی دارد", id="exe-renamed-csv"),
    pytest.param("setup.xlsx", EXE, "این پرونده در واقع XLSX نیست", id="exe-renamed-xlsx"),
    pytest.param("junk.csv", b"indicator,region\nPOP,\x01\x02\x7f\x03", "UTF-8", id="csv-with-binary-junk"),
    pytest.param("bomb.xlsx", zip_bomb(), "بمب فشرده", id="zip-bomb"),
    pytest.param("laughs.xlsx", with_entities(), "DOCTYPE یا ENTITY", id="xml-entities"),
    pytest.param("values.pdf", b"%PDF-1.4 x", "این نوع پرونده پذیرفته نمی‌شود", id="not-csv-or-xlsx"),
])
def test_a_refused_upload_says_why_in_persian_and_leaves_nothing(w, uploads, ctx, name, data, expected):
    officer = client_for(ctx, w.officer)
    response = post(officer, name, data)
    assert response.status_code == 200
    assert expected in " ".join(doc(response).xpath('//*[@id="import-error"]')[0].text_content().split())
    assert imports_count() == 0 and files_on_disk(uploads) == []


def test_an_oversized_body_is_refused_with_413_in_persian(w, uploads, ctx):
    response = post(client_for(ctx, w.officer), "big.csv", b"indicator,region,year,value\n" + b"0" * (31 * MB))
    assert response.status_code == 413
    assert "پرونده یا فرم بیش از حد بزرگ است" in response.text and '<html lang="fa"' in response.text
    assert imports_count() == 0 and files_on_disk(uploads) == []


def test_only_the_importer_supervisors_and_those_on_its_task_see_an_import(w, uploads, ctx):
    from datetime import date

    from tests.factories import make_user

    task = new_task(w, w.stats, due=date(2026, 12, 9))
    mine = queue(w.officer, csv_bytes(GOOD), task_id=task.id)
    private = queue(w.officer, csv_bytes(GOOD))
    colleague, stranger = make_user("officer", w.stats), client_for(ctx, w.other)
    for import_id in (mine, private):
        for url in (f"/indicators/imports/{import_id}", f"/indicators/imports/{import_id}/progress"):
            assert stranger.get(url).status_code == 404
        assert stranger.post(f"/indicators/imports/{import_id}/cancel").status_code == 404
        assert client_for(ctx, w.sup).get(f"/indicators/imports/{import_id}").status_code == 200
    assert reloaded(mine).status == ImportStatus.QUEUED  # the stranger's cancel changed nothing
    seen_by_colleague = client_for(ctx, colleague)
    assert seen_by_colleague.get(f"/indicators/imports/{mine}").status_code == 200
    assert seen_by_colleague.get(f"/indicators/imports/{private}").status_code == 404
    listed = page_text(stranger.get("/indicators/imports/"))
    assert "values.csv" not in listed and "values.csv" in page_text(client_for(ctx, w.sup).get("/indicators/imports/"))
    assert stranger.get(f"/indicators/imports/new?task_id={task.id}").status_code == 404


def test_the_polled_partial_has_a_trigger_while_running_and_none_once_finished(w, uploads, ctx):
    import_id = queue(w.officer, csv_bytes(GOOD))
    db.session.execute(sa.update(IndicatorImport).where(IndicatorImport.id == import_id).values(
        status=ImportStatus.STAGING, processed_rows=1, total_rows=3))
    officer = client_for(ctx, w.officer)
    running = officer.get(f"/indicators/imports/{import_id}/progress", headers={"HX-Request": "true"})
    [section] = doc(running).xpath('//section[@id="import-progress"]')
    assert section.get("hx-trigger") == "every 1s" and section.get("data-status") == "staging"
    assert "آماده‌سازی ردیف‌ها: ۱ از ۳" in section.text_content()
    cancelled = officer.post(f"/indicators/imports/{import_id}/cancel",
                             headers={"HX-Request": "true", "HX-Target": "import-progress"})
    assert "درخواست لغو ثبت شد" in page_text(cancelled) and reloaded(import_id).cancel_requested
    db.session.execute(sa.update(IndicatorImport).where(IndicatorImport.id == import_id).values(
        status=ImportStatus.CANCELLED))
    finished = officer.get(f"/indicators/imports/{import_id}/progress", headers={"HX-Request": "true"})
    [section] = doc(finished).xpath('//section[@id="import-progress"]')
    assert section.get("hx-trigger") is None and "لغو شد. هیچ داده‌ای ذخیره نشد." in page_text(finished)


def test_the_task_page_partial_lists_the_task_s_imports(w, uploads, ctx):
    from datetime import date

    task = new_task(w, w.stats, due=date(2026, 12, 9))
    queue(w.officer, csv_bytes(GOOD), name="آمار ۱۴۰۳.csv", task_id=task.id)
    with ctx.test_request_context("/"):
        login_user(w.officer)
        html = render_template("indicators/_task_imports.html", task=task, **task_imports(task.id))
    items = [" ".join(li.text_content().split()) for li in doc_of(html).xpath('//li[starts-with(@id, "task-import-")]')]
    assert len(items) == 1 and "آمار ۱۴۰۳.csv" in items[0] and "در انتظار" in items[0]
    assert f"/indicators/imports/new?task_id={task.id}" in html


def doc_of(html: str):
    import lxml.html

    return lxml.html.fromstring(html)


def test_texts_from_a_file_are_shown_escaped_on_every_import_page(w, uploads, ctx):
    """X1: payloads as codes, years, values and sources of a workbook's rows, and in the file's name."""
    from datetime import date

    from tests.test_xss import PAYLOADS, unescaped_reflections

    task = new_task(w, w.stats, due=date(2026, 12, 9))
    officer = client_for(ctx, w.officer)
    data = xlsx_bytes([[payload] * 6 for payload in PAYLOADS])
    response = post(officer, f"{PAYLOADS[2]}.xlsx", data, task_id=str(task.id))
    assert response.status_code == 302, page_text(response)
    import_id = int(response.headers["Location"].rsplit("/", 1)[-1])
    assert reloaded(import_id).status == ImportStatus.FAILED
    pages = {url: officer.get(url, headers=headers) for url, headers in (
        (f"/indicators/imports/{import_id}", {}), (f"/indicators/imports/{import_id}/progress", {"HX-Request": "true"}),
        ("/indicators/imports/", {}), (f"/indicators/imports/new?task_id={task.id}", {}), (f"/tasks/{task.id}/", {}))}
    assert {url: page.status_code for url, page in pages.items()} == dict.fromkeys(pages, 200)
    assert {url: found for url, page in pages.items() if (found := unescaped_reflections(page.text, PAYLOADS))} == {}
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages[f"/indicators/imports/{import_id}"].text


def test_the_upload_page_of_a_task_says_at_once_who_may_not_upload_for_it(w, uploads, ctx):
    from datetime import date

    task = new_task(w, w.stats, due=date(2026, 12, 9))
    page = client_for(ctx, w.sup).get(f"/indicators/imports/new?task_id={task.id}")
    assert page.status_code == 200 and not doc(page).xpath('//form[@id="import-form"]')
    assert "نقش شما اجازهٔ این کار را نمی‌دهد" in page_text(page)
    assert doc(client_for(ctx, w.officer).get(f"/indicators/imports/new?task_id={task.id}")).xpath(
        '//form[@id="import-form"]//input[@name="task_id"]')


def test_the_thread_runner_imports_in_the_background_with_its_own_application_context(w, uploads, ctx, make_app):
    import threading

    app = make_app(IMPORT_RUNNER="thread", UPLOAD_FOLDER=str(uploads))
    email = w.officer.email
    db.session.commit()
    browser = app.test_client()
    assert browser.post("/login", data={"email": email, "password": PASSWORD}).status_code == 302
    response = post(browser, "values.csv", csv_bytes(GOOD))
    import_id = int(response.headers["Location"].rsplit("/", 1)[-1])
    for thread in threading.enumerate():
        if thread.name == f"indicator-import-{import_id}":
            thread.join(timeout=60)
    assert reloaded(import_id).status == ImportStatus.DONE and len(values()) == 3
