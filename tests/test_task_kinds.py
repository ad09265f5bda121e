"""The extension point for the data form a kind of task needs (indicators grid, scoring matrix…)."""

from __future__ import annotations

from datetime import date

from jinja2 import ChoiceLoader, DictLoader

from planapp.core.clock import now
from planapp.extensions import db
from planapp.tasks import kinds
from planapp.tasks import services as tasks
from planapp.tasks.lifecycle import TaskKind
from tests.factories import make_plan, make_user, signed_in


def test_a_registered_kind_form_is_rendered_on_the_task_page(ctx, make_app):
    app = make_app()
    app.jinja_env.loader = ChoiceLoader([
        DictLoader({"_grid.html": '<section id="kind-form">{{ kind_context.greeting }} {{ task.title }}</section>'}),
        app.jinja_env.loader,
    ])
    supervisor, officer = make_user(role="supervisor"), make_user(role="officer")
    plan = make_plan(supervisor)
    grid = tasks.create_task(supervisor, plan, {"title": "جدول شاخص‌ها", "kind": TaskKind.SUBMIT_INDICATORS,
                                                "agency_id": officer.agency_id, "due_on": date(2099, 1, 3)}, now())
    other = tasks.create_task(supervisor, plan, {"title": "کار دیگر", "agency_id": officer.agency_id,
                                                 "due_on": date(2099, 1, 3)}, now())
    db.session.commit()
    seen = []
    grid_form = kinds.kind_form(TaskKind.SUBMIT_INDICATORS)  # the real indicator grid, put back afterwards
    kinds.register_kind_form(TaskKind.SUBMIT_INDICATORS, kinds.KindForm(
        "_grid.html", lambda task, user: seen.append((task.id, user.id)) or {"greeting": "سلام"}))
    try:
        browser = signed_in(app.test_client(), officer)
        page = browser.get(f"/tasks/{grid.id}/").text
        assert '<section id="kind-form">سلام جدول شاخص‌ها</section>' in page
        assert seen == [(grid.id, officer.id)]
        assert 'id="kind-form"' not in browser.get(f"/tasks/{other.id}/").text  # other kinds: no form
    finally:
        kinds._FORMS.pop(TaskKind.SUBMIT_INDICATORS, None)
        if grid_form is not None:
            kinds.register_kind_form(TaskKind.SUBMIT_INDICATORS, grid_form)
