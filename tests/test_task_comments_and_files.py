"""Comments and files on a task (issue 4): bad files, oversized bodies and file names with paths (F1, F2, F3), the
soft delete and the restoring of comments and files (D1), refused comments, and a comment or a file reached
through another task.

Every test runs on SQLite and on PostgreSQL, with the clock frozen on Tuesday 1405/02/15 (2026-05-05) in Tehran.
Refusals are checked for their Persian message and for leaving the database and the upload folder as they were.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa
from werkzeug.http import parse_options_header

from planapp.core import storage
from planapp.core.errors import ValidationFailed
from planapp.core.i18n import ascii_digits, localized_digits
from planapp.extensions import db
from planapp.tasks import services
from planapp.tasks.lifecycle import TaskStatus
from planapp.tasks.models import TaskAttachment, TaskComment
from tests.task_helpers import (
    NOW,
    PDF,
    client_for,
    doc,
    files_on_disk,
    new_task,
    page_text,
    refused,
    state,
    task_events,
    task_world,
    upload,
    upload_folder,
)

EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200
MB = 1024 * 1024

# What the user reads (fa). Digits are compared after folding to ASCII.
FA_EMPTY_FILE = "پرونده خالی است"
FA_TOO_LARGE = "بیش از حد مجاز"
FA_NOT_REALLY = "این پرونده در واقع PDF نیست"
FA_413_TITLE = "پرونده یا فرم بیش از حد بزرگ است"

w, uploads = task_world, upload_folder  # fixtures from tests/task_helpers.py, under the names the tests use


def fetch(client, url: str):
    """GET a file: the body is read and the response closed (send_file keeps the file open until then)."""
    response = client.get(url)
    response.get_data()
    response.close()
    return response


def download_name(response) -> str:
    """The name the browser saves the download under (always an attachment, never shown inline)."""
    kind, options = parse_options_header(response.headers["Content-Disposition"])
    assert kind == "attachment"
    return options["filename"]


# --- files: bad input, names and paths (F1, F2, F3) --------------------------------------------------------------


def file_error(response) -> str:
    errors = doc(response).xpath('//p[@id="file-error"]')
    return ascii_digits(" ".join(e.text_content() for e in errors))


@pytest.mark.parametrize(("name", "data", "expected"), [
    pytest.param("خالی.pdf", b"", FA_EMPTY_FILE, id="zero-bytes"),
    pytest.param("بزرگ.pdf", PDF + b"0" * (10 * MB), f"{FA_TOO_LARGE} 10 مگابایت", id="over-the-limit"),
    pytest.param("برنامه.pdf", EXE, FA_NOT_REALLY, id="exe-renamed-pdf"),
    pytest.param("setup.exe", EXE, "این نوع پرونده پذیرفته نمی‌شود", id="exe"),
    pytest.param("جدول.csv", b"<html><script>alert(1)</script></html>", "CSV", id="html-renamed-csv"),
    pytest.param("جدول.xlsx", EXE, "XLSX", id="exe-renamed-xlsx"),
    pytest.param("بی‌پسوند", PDF, "این نوع پرونده پذیرفته نمی‌شود", id="no-extension"),
])
def test_a_bad_file_is_refused_in_persian_and_nothing_is_stored(ctx, w, uploads, name, data, expected):
    task = new_task(w, w.agency_a, status=TaskStatus.IN_PROGRESS)
    officer = client_for(ctx, w.a1)
    before = state(uploads)
    response = upload(officer, task, name, data)
    assert response.status_code == 200
    assert expected in file_error(response), page_text(response)
    assert state(uploads) == before
    assert files_on_disk(uploads) == []


def test_a_post_without_a_file_is_refused(ctx, w, uploads):
    task = new_task(w, w.agency_a)
    before = state(uploads)
    response = client_for(ctx, w.a1).post(f"/tasks/{task.id}/files", data={}, content_type="multipart/form-data")
    assert response.status_code == 200 and "ابتدا پرونده را انتخاب کنید" in file_error(response)
    assert state(uploads) == before


@pytest.mark.parametrize("htmx", [False, True])
def test_a_50_mb_body_is_refused_with_413_in_persian(ctx, w, uploads, htmx):
    task = new_task(w, w.agency_a)
    officer = client_for(ctx, w.a1)
    before = state(uploads)
    headers = {"HX-Request": "true", "HX-Target": "task-files"} if htmx else {}
    response = upload(officer, task, "بزرگ.pdf", PDF + b"0" * (50 * MB), headers=headers)
    assert response.status_code == 413
    assert FA_413_TITLE in response.text and "پرونده یا متن کوچک‌تری بفرستید" in response.text
    if htmx:
        assert response.headers["HX-Retarget"] == "#flash"
    else:
        assert '<html lang="fa"' in response.text
    assert state(uploads) == before


@pytest.mark.parametrize(("sent", "kept"), [
    ("../../etc/گزارش نهایی.pdf", "گزارش نهایی.pdf"),
    ("C:/Users/x/../گزارش.pdf", "گزارش.pdf"),
    ("/etc/passwd.pdf", "passwd.pdf"),
    ("CON.pdf", "_CON.pdf"),
    ("\u202egpj.exe.pdf", "gpj.exe.pdf"),  # a right-to-left override would show it as "…fdp.exe.jpg"
    ("....pdf", "pdf"),
])
def test_a_file_name_with_a_path_is_stored_under_a_generated_name_and_downloads_cleaned(ctx, w, uploads, sent,
                                                                                        kept):
    task = new_task(w, w.agency_a)
    officer = client_for(ctx, w.a1)
    response = upload(officer, task, sent, PDF)
    assert response.status_code == 200
    if kept == "pdf":  # nothing but dots: no extension is left, so the type cannot be told
        assert "این نوع پرونده پذیرفته نمی‌شود" in file_error(response)
        assert files_on_disk(uploads) == []
        return
    attachment = db.session.scalars(sa.select(TaskAttachment)).one()
    assert attachment.file_name == kept
    assert re.fullmatch(r"[0-9a-f]{32}", attachment.stored_name)
    assert files_on_disk(uploads) == [uploads / attachment.stored_name[:2] / attachment.stored_name]
    assert not (uploads.parent / "etc").exists() and not any(uploads.parent.rglob("*passwd*"))

    download = fetch(officer, f"/tasks/{task.id}/files/{attachment.id}")
    assert download.status_code == 200 and download.data == PDF
    assert download.mimetype == "application/pdf"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download_name(download) == kept


def test_by_default_files_live_in_the_instance_folder_never_under_static(ctx, w, tmp_path, monkeypatch):
    """Without UPLOAD_FOLDER set, a task file goes under instance/uploads: no URL of static/ reaches it, and the
    generated name is never shown; only the checked download view serves it."""
    monkeypatch.setitem(ctx.config, "UPLOAD_FOLDER", None)
    monkeypatch.setattr(ctx, "instance_path", str(tmp_path / "instance"))
    task = new_task(w, w.agency_a)
    officer = client_for(ctx, w.a1)
    response = upload(officer, task, "گزارش.pdf", PDF)
    assert response.status_code == 200
    attachment = db.session.scalars(sa.select(TaskAttachment)).one()
    stored = storage.path_of(attachment.stored_name).resolve()
    assert stored.read_bytes() == PDF
    assert stored.is_relative_to((tmp_path / "instance" / "uploads").resolve())
    assert not stored.is_relative_to(Path(ctx.static_folder).resolve())
    page = officer.get(f"/tasks/{task.id}/").text
    assert attachment.stored_name not in page and attachment.stored_name not in response.text
    size = doc(response).xpath(f'//li[@id="file-{attachment.id}"]/span[@class="muted"]')[0].text_content()
    assert f"{localized_digits(len(PDF))} بایت" in size  # a file under 1 KB never reads "0 KB"
    for guess in (f"/static/{attachment.stored_name}", f"/static/uploads/{attachment.stored_name[:2]}/"
                  f"{attachment.stored_name}", f"/static/../instance/uploads/{attachment.stored_name}"):
        assert fetch(officer, guess).status_code == 404, guess


def test_a_file_whose_transaction_does_not_commit_is_deleted_again(ctx, w, uploads, monkeypatch):
    task = new_task(w, w.agency_a, status=TaskStatus.IN_PROGRESS)
    # Rolled back by the caller after the file was written.
    services.add_attachment(w.a1, task.id, "پیش‌نویس.pdf", PDF, NOW, 10 * MB)
    assert len(files_on_disk(uploads)) == 1
    db.session.rollback()
    assert files_on_disk(uploads) == []

    # An error after the file was written: the request fails and its session ends without a commit.
    def audit_down(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("audit down")

    officer, audit = client_for(ctx, w.a1), services._audit
    monkeypatch.setattr(services, "_audit", audit_down)
    with pytest.raises(RuntimeError, match="audit down"):
        upload(officer, task, "گزارش.pdf", PDF)
    assert files_on_disk(uploads) == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TaskAttachment)) == 0

    # Committed: the file stays, whatever the session does next.
    monkeypatch.setattr(services, "_audit", audit)
    assert upload(officer, task, "گزارش.pdf", PDF).status_code == 200
    stored = db.session.scalars(sa.select(TaskAttachment.stored_name)).one()
    db.session.rollback()
    db.session.close()
    assert files_on_disk(uploads) == [uploads / stored[:2] / stored]


# --- soft delete of comments and files (D1) ----------------------------------------------------------------------


def export_text(client, fmt: str, **params: Any) -> str:
    response = client.get(f"/tasks/export.{fmt}", query_string={"status": "all", **params})
    assert response.status_code == 200
    if fmt == "csv":
        return response.data.decode("utf-8-sig")
    book = openpyxl.load_workbook(io.BytesIO(response.data), read_only=True)
    return "\n".join(str(cell) for row in book.active.iter_rows(values_only=True) for cell in row)


def test_hidden_comments_and_files_disappear_for_non_reviewers_and_come_back_exactly(ctx, w, uploads):
    task = new_task(w, w.agency_a, title="شاخص‌های راه", status=TaskStatus.IN_PROGRESS)
    author, colleague, reviewer = client_for(ctx, w.a1), client_for(ctx, w.a2), client_for(ctx, w.sup)
    author.post(f"/tasks/{task.id}/comments", data={"body": "متن محرمانهٔ توضیح"})
    upload(author, task, "پیوست محرمانه.pdf", PDF)
    comment = db.session.scalars(sa.select(TaskComment)).one()
    attachment = db.session.scalars(sa.select(TaskAttachment)).one()
    kept_comment = (comment.id, comment.task_id, comment.author_id, comment.body, comment.created_at)
    kept_file = (attachment.id, attachment.file_name, attachment.stored_name, attachment.size, attachment.sha256,
                 attachment.content_type, attachment.uploaded_by_id, attachment.created_at)
    download = f"/tasks/{task.id}/files/{attachment.id}"

    # A colleague may not hide the author's comment or file.
    before = state(uploads)
    response = colleague.post(f"/tasks/{task.id}/comments/{comment.id}/delete")
    assert response.status_code == 200 and "فقط نویسنده یا ناظر" in response.text
    response = colleague.post(f"/tasks/{task.id}/files/{attachment.id}/delete")
    assert response.status_code == 200 and "فقط کسی که پرونده را افزوده یا ناظر" in page_text(response)
    assert state(uploads) == before

    # The author hides both.
    assert author.post(f"/tasks/{task.id}/comments/{comment.id}/delete").status_code == 200
    assert author.post(f"/tasks/{task.id}/files/{attachment.id}/delete").status_code == 200
    for viewer in (author, colleague):
        page = viewer.get(f"/tasks/{task.id}/")
        assert page.status_code == 200
        assert "متن محرمانهٔ توضیح" not in page.text and "پیوست محرمانه" not in page.text
        fragment = viewer.get(f"/tasks/{task.id}/comments")
        assert fragment.status_code == 200 and "متن محرمانهٔ توضیح" not in fragment.text
        assert fetch(viewer, download).status_code == 404
        for fmt in ("csv", "xlsx"):
            text = export_text(viewer, fmt)
            assert "شاخص‌های راه" in text
            assert "متن محرمانهٔ توضیح" not in text and "پیوست محرمانه" not in text
    # Nothing is erased: the file is still on disk and the reviewer sees both, marked, with a way back.
    assert files_on_disk(uploads) == [uploads / attachment.stored_name[:2] / attachment.stored_name]
    page = reviewer.get(f"/tasks/{task.id}/")
    hidden_comment = doc(page).xpath(f'//li[@id="comment-{comment.id}"]')[0]
    hidden_file = doc(page).xpath(f'//li[@id="file-{attachment.id}"]')[0]
    assert "hidden-item" in hidden_comment.get("class") and "متن محرمانهٔ توضیح" in hidden_comment.text_content()
    assert "hidden-item" in hidden_file.get("class") and "پیوست محرمانه.pdf" in hidden_file.text_content()
    assert hidden_comment.xpath(".//button/@hx-post") == [f"/tasks/{task.id}/comments/{comment.id}/restore"]
    assert hidden_file.xpath(".//button/@hx-post") == [f"/tasks/{task.id}/files/{attachment.id}/restore"]
    opened = fetch(reviewer, download)  # the reviewer may open it to judge whether to restore it
    assert opened.status_code == 200 and opened.data == PDF

    # The supervisor restores them: exactly as they were.
    assert reviewer.post(f"/tasks/{task.id}/comments/{comment.id}/restore").status_code == 200
    assert reviewer.post(f"/tasks/{task.id}/files/{attachment.id}/restore").status_code == 200
    db.session.expire_all()
    comment, attachment = db.session.get(TaskComment, comment.id), db.session.get(TaskAttachment, attachment.id)
    assert (comment.id, comment.task_id, comment.author_id, comment.body, comment.created_at) == kept_comment
    assert (attachment.id, attachment.file_name, attachment.stored_name, attachment.size, attachment.sha256,
            attachment.content_type, attachment.uploaded_by_id, attachment.created_at) == kept_file
    assert (comment.deleted_at, comment.deleted_by_id, attachment.deleted_at, attachment.deleted_by_id) == (
        None, None, None, None)
    page = colleague.get(f"/tasks/{task.id}/")
    assert "متن محرمانهٔ توضیح" in page.text and "پیوست محرمانه.pdf" in page.text
    restored = fetch(colleague, download)
    assert restored.status_code == 200 and restored.data == PDF

    # Every step is audited, with who did it.
    steps = [(e.action, e.actor_id) for e in task_events(task) if e.action.startswith(("task.comment_",
                                                                                     "task.file_"))]
    assert steps == [("task.comment_deleted", w.a1.id), ("task.file_deleted", w.a1.id),
                     ("task.comment_restored", w.sup.id), ("task.file_restored", w.sup.id)]


# --- comments ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("body", ["", "   ", "x" * 5001])
def test_an_empty_or_too_long_comment_is_refused_and_nothing_is_stored(ctx, w, body):
    task = new_task(w, w.agency_a)
    officer = client_for(ctx, w.a1)
    before = state()
    response = officer.post(f"/tasks/{task.id}/comments", data={"body": body})
    assert response.status_code == 200
    assert re.search(r'<p class="error">[^<]+</p>', response.text), response.text
    assert state() == before
    error = refused(ValidationFailed, services.add_comment, w.a1, task.id, body, NOW)
    assert error.field == "body"
    assert state() == before


def test_a_comment_or_file_of_another_task_cannot_be_changed_through_this_task(ctx, w, uploads):
    first = new_task(w, w.agency_a, title="کار یکم")
    second = new_task(w, w.agency_a, title="کار دوم")
    services.add_comment(w.a1, second.id, "توضیح کار دوم", NOW)
    services.add_attachment(w.a1, second.id, "دوم.pdf", PDF, NOW, 10 * MB)
    db.session.commit()
    comment = db.session.scalars(sa.select(TaskComment)).one()
    attachment = db.session.scalars(sa.select(TaskAttachment)).one()
    officer = client_for(ctx, w.a1)
    before = state(uploads)
    for change in ("delete", "restore"):
        assert officer.post(f"/tasks/{first.id}/comments/{comment.id}/{change}").status_code == 404
        assert officer.post(f"/tasks/{first.id}/files/{attachment.id}/{change}").status_code == 404
    assert fetch(officer, f"/tasks/{first.id}/files/{attachment.id}").status_code == 404
    assert officer.post(f"/tasks/{first.id}/comments/999999/delete").status_code == 404
    assert officer.post(f"/tasks/{first.id}/files/999999/delete").status_code == 404
    assert state(uploads) == before


def test_a_stage_tasks_empty_history_says_so_in_a_sentence(ctx, w):
    """A task made for a stage has its creation recorded on the plan, so its own history starts empty: it showed a
    bare "—"."""
    from planapp.plans.workflow import Stage
    from planapp.tasks.lifecycle import TaskKind
    from planapp.tasks.models import Task, TaskTemplate

    db.session.add(TaskTemplate(stage=Stage.SITUATION_ASSESSMENT, kind=TaskKind.OTHER, title="ارسال شاخص‌ها",
                                agencies=[w.agency_a], mandatory=True, due_in_days=5))
    db.session.commit()
    services.create_stage_tasks(w.plan, Stage.SITUATION_ASSESSMENT, w.sup, NOW)
    db.session.commit()
    task = db.session.scalars(sa.select(Task).where(Task.plan_id == w.plan.id)).one()
    page = doc(client_for(ctx, w.a1).get(f"/tasks/{task.id}/"))
    [history] = page.xpath('//h2[text()="سابقه"]/following-sibling::ul[1]')
    assert " ".join(history.text_content().split()) == "هنوز رویدادی برای این وظیفه ثبت نشده است."


def test_a_persian_name_beside_a_date_is_isolated_so_an_english_date_keeps_its_order(ctx, w, uploads):
    """On an English page "Persian name · 2026-11-25" showed the date as 25-11-2026: the name's right-to-left run
    took the digits with it. <bdi> keeps the name to itself."""
    task = new_task(w, w.agency_a, status=TaskStatus.IN_PROGRESS)
    author = client_for(ctx, w.a1)
    author.post(f"/tasks/{task.id}/comments", data={"body": "متن توضیح"})
    upload(author, task, "گزارش.pdf", PDF)
    page = doc(author.get(f"/tasks/{task.id}/"))
    assert [e.text for e in page.xpath('//section[@id="task-comments"]//li/p[@class="muted"]/bdi')] == [w.a1.name]
    assert [e.text for e in page.xpath('//section[@id="task-files"]//li/span[@class="muted"]/bdi')] == [w.a1.name]


def test_written_text_takes_its_own_direction_so_persian_reads_right_on_an_english_page(ctx, w):
    """A Persian description or comment inside an English (left-to-right) page put its final full stop on the
    left; like file names, text people write gets dir="auto"."""
    task = new_task(w, w.agency_a, status=TaskStatus.IN_PROGRESS)
    author = client_for(ctx, w.a1)
    author.post(f"/tasks/{task.id}/comments", data={"body": "متن توضیح."})
    page = doc(author.get(f"/tasks/{task.id}/"))
    [description] = page.xpath('//section[contains(@class, "description")]/p')
    [comment] = page.xpath('//section[@id="task-comments"]//p[@class="comment-body"]')
    assert (description.text, description.get("dir")) == ("شرح کار", "auto")
    assert (comment.text, comment.get("dir")) == ("متن توضیح.", "auto")
