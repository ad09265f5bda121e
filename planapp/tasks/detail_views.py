"""One task: its page, the actions of its cycle, comments and files (htmx components), reassignment."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, render_template, send_file
from flask_babel import gettext as _
from flask_login import current_user

from planapp.audit.labels import TASK_ACTIONS
from planapp.core import storage
from planapp.core.clock import now
from planapp.core.errors import Conflict, DomainError
from planapp.core.i18n import local_date
from planapp.core.permissions import Perm, can
from planapp.extensions import db
from planapp.tasks import queries, services
from planapp.tasks.forms import ActionForm, AttachmentForm, CommentForm, ReassignForm, version_of
from planapp.tasks.kinds import kind_form
from planapp.tasks.lifecycle import actions_from
from planapp.tasks.models import Task, TaskAttachment, TaskComment
from planapp.web.access import requires
from planapp.web.htmx import render_fragment, trigger

bp = Blueprint("task", __name__, url_prefix="/tasks/<int:task_id>")

@bp.app_template_filter("task_action")
def task_action(action: str) -> str:
    return str(TASK_ACTIONS.get(action, action))


def load_task(task_id: int) -> Task:
    """The task, or 404 — also when it is not addressed to the user (its existence stays hidden)."""
    task = queries.get_task(task_id)
    if task is None or not can(current_user, Perm.VIEW_TASKS, task):
        abort(404)
    return task


def _reviewer(task: Task) -> bool:
    """Reviewers also see hidden comments and removed files, and may restore them."""
    return bool(can(current_user, Perm.REVIEW_TASK, task))


def _actions(task: Task) -> list:
    return [action for action in actions_from(task.status) if can(current_user, action.permission, task)]


def _panel(task_id: int, error: str | None = None, status: int = 200):
    task = load_task(task_id)
    body = render_fragment("tasks/_panel.html", task=task, actions=_actions(task), error=error,
                           today=local_date(now()), colleagues=queries.colleagues(task),
                           reassign_form=ReassignForm(formdata=None))
    response = trigger(body, "task-changed")
    response.status_code = status
    return response


def _run(task_id: int, change, success: str, component=None):
    try:
        change()
    except Conflict as error:
        db.session.rollback()
        return (component or _panel)(task_id, str(error.message), 409)
    except DomainError as error:
        db.session.rollback()
        return (component or _panel)(task_id, str(error.message))
    db.session.commit()
    flash(success, "success")
    return (component or _panel)(task_id)


@bp.get("/", endpoint="detail")
@requires(Perm.VIEW_TASKS)
def detail(task_id: int):
    task = load_task(task_id)
    form = kind_form(task.kind)  # the data form this kind of task needs, if a domain registered one
    history = queries.history(task.id)
    return render_template("tasks/detail.html", task=task, actions=_actions(task), today=local_date(now()),
                           kind_form=form, kind_context=form.context(task, current_user) if form else {},
                           comments=queries.comments(task.id, _reviewer(task)),
                           attachments=queries.attachments(task.id, _reviewer(task)),
                           history=history, absent_names=queries.absent_names(history),
                           colleagues=queries.colleagues(task),
                           reassign_form=ReassignForm(formdata=None), comment_form=CommentForm(formdata=None),
                           max_upload=current_app.config["TASK_FILE_MAX_BYTES"])


@bp.post("/act")
@requires(Perm.VIEW_TASKS)
def act(task_id: int):
    load_task(task_id)
    form = ActionForm()
    if not form.validate_on_submit():
        return _panel(task_id, _("The form is incomplete; reload the page and try again."))
    return _run(task_id, lambda: services.apply_action(current_user, task_id, form.action.data, now(),
                                                       form.reason.data, version_of(form)), _("Done."))


@bp.post("/reassign")
@requires(Perm.WORK_ON_TASK)
def reassign(task_id: int):
    task = load_task(task_id)
    form = ReassignForm()
    form.user_id.choices = [(user_id, name) for user_id, name in queries.colleagues(task)]
    if not form.validate_on_submit():
        return _panel(task_id, _("Choose a colleague and give the reason."))
    return _run(task_id, lambda: services.reassign(current_user, task_id, form.user_id.data, form.reason.data, now()),
                _("The task was handed over."))


def _comments(task_id: int, error: str | None = None, status: int = 200, form: CommentForm | None = None):
    task = load_task(task_id)
    body = render_fragment("tasks/_comments.html", task=task, comments=queries.comments(task.id, _reviewer(task)),
                           comment_form=form or CommentForm(formdata=None), error=error)
    response = trigger(body, "task-changed")
    response.status_code = status
    return response


@bp.get("/comments")
@requires(Perm.VIEW_TASKS)
def comments(task_id: int):
    return _comments(task_id)


@bp.post("/comments")
@requires(Perm.VIEW_TASKS)
def add_comment(task_id: int):
    load_task(task_id)
    form = CommentForm()
    if not form.validate_on_submit():
        return _comments(task_id, form=form)
    return _run(task_id, lambda: services.add_comment(current_user, task_id, form.body.data, now()),
                _("Your comment was added."), component=_comments)


@bp.post("/comments/<int:comment_id>/<any(delete, restore):change>")
@requires(Perm.VIEW_TASKS)
def change_comment(task_id: int, comment_id: int, change: str):
    load_task(task_id)
    comment = db.session.get(TaskComment, comment_id)
    if comment is None or comment.task_id != task_id:  # only this task's comments, as downloads do for files
        abort(404)
    return _run(task_id, lambda: services.set_comment_deleted(current_user, comment_id, change == "delete", now()),
                _("The comment was hidden.") if change == "delete" else _("The comment was restored."),
                component=_comments)


def _files(task_id: int, error: str | None = None, status: int = 200):
    task = load_task(task_id)
    body = render_fragment("tasks/_files.html", task=task, attachments=queries.attachments(task.id, _reviewer(task)),
                           error=error,
                           max_upload=current_app.config["TASK_FILE_MAX_BYTES"])
    response = trigger(body, "task-changed")
    response.status_code = status
    return response


@bp.post("/files")
@requires(Perm.VIEW_TASKS)
def attach(task_id: int):
    load_task(task_id)
    form = AttachmentForm()
    upload = form.file.data
    if not form.validate_on_submit() or not upload or not upload.filename:
        return _files(task_id, _("Choose a file first."))
    data = upload.read(current_app.config["TASK_FILE_MAX_BYTES"] + 1)
    return _run(task_id, lambda: services.add_attachment(current_user, task_id, upload.filename, data, now(),
                                                         current_app.config["TASK_FILE_MAX_BYTES"]),
                _("The file was added."), component=_files)


@bp.get("/files/<int:attachment_id>")
@requires(Perm.VIEW_TASKS)
def download(task_id: int, attachment_id: int):
    task = load_task(task_id)
    attachment = db.session.get(TaskAttachment, attachment_id)
    if attachment is None or attachment.task_id != task.id or (attachment.deleted_at and not _reviewer(task)):
        abort(404)  # a removed file is gone for everyone but reviewers, who judge whether to restore it
    # Always a download, with the type we checked at upload: never rendered by the browser as a page.
    return send_file(storage.path_of(attachment.stored_name), mimetype=attachment.content_type, as_attachment=True,
                     download_name=attachment.file_name)


@bp.post("/files/<int:attachment_id>/<any(delete, restore):change>")
@requires(Perm.VIEW_TASKS)
def change_file(task_id: int, attachment_id: int, change: str):
    load_task(task_id)
    attachment = db.session.get(TaskAttachment, attachment_id)
    if attachment is None or attachment.task_id != task_id:
        abort(404)
    return _run(task_id, lambda: services.set_attachment_deleted(current_user, attachment_id, change == "delete",
                                                                 now()),
                _("The file was removed; a supervisor can restore it.") if change == "delete"
                else _("The file was restored."), component=_files)

