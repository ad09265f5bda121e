"""RELIABILITY X1 for plans: titles, descriptions, comments, reasons, votes and resolution numbers are escaped on
every page and fragment that shows them (plan page, board, table, activity, confirm step, notifications, audit)."""

from __future__ import annotations

import re

import sqlalchemy as sa

from planapp.approvals.models import TransitionRequest
from planapp.extensions import db
from planapp.plans.models import Plan
from tests.factories import make_user, signed_in
from tests.test_xss import PAYLOADS, assert_all_escaped, shows_escaped

HX = {"HX-Request": "true"}


def pages_of(client, plan_id: int, request_id: int | None) -> dict[str, object]:
    urls = [f"/plans/{plan_id}", f"/plans/{plan_id}/activity", "/plans/", "/plans/?view=table",
            "/plans/?view=table&q=<script>", "/notifications/", "/", f"/plans/{plan_id}/edit", f"/plans/{plan_id}/copy"]
    responses = {url: client.get(url) for url in urls}
    responses["board fragment"] = client.get("/plans/?q=x", headers={**HX, "HX-Target": "plan-results"})
    if request_id:
        for decision in ("approve", "reject"):
            url = f"/plans/{plan_id}/requests/{request_id}/confirm?decision={decision}"
            responses[url] = client.get(url, headers=HX)
    return responses


def test_plan_texts_are_escaped_everywhere(client, ctx):
    author, reviewer = make_user(role="supervisor"), make_user(role="supervisor")
    member, admin = make_user(role="council_member"), make_user(role="admin")
    clients = {"author": signed_in(client, author), "reviewer": signed_in(ctx.test_client(), reviewer),
               "member": signed_in(ctx.test_client(), member), "admin": signed_in(ctx.test_client(), admin)}
    texts: list[str] = []
    for n, payload in enumerate(PAYLOADS):
        title = f"{payload} {n}"
        created = clients["author"].post("/plans/", data={
            "title": title, "province": payload, "period_start": "1405", "period_end": "1409",
            "description": f"{payload}\n{payload}", "owner_id": author.id})
        assert created.status_code == 302, created.text
        plan_id = int(re.search(r"/plans/(\d+)", created.location).group(1))
        asked = clients["author"].post(f"/plans/{plan_id}/requests/", headers=HX, data={
            "event": "complete_assessment", "comment": f"ask {payload}", "version": "1"})
        assert asked.status_code == 200 and shows_escaped(asked.text, f"ask {payload}")
        request_id = db.session.scalar(sa.select(TransitionRequest.id).where(TransitionRequest.plan_id == plan_id))
        rejected = clients["reviewer"].post(f"/plans/{plan_id}/requests/{request_id}/decide", headers=HX, data={
            "decision": "reject", "comment": f"no {payload}"})
        assert rejected.status_code == 200
        texts += [title, payload, f"ask {payload}", f"no {payload}"]
    # A plan at the council: a member's vote comment and the resolution number carry payloads too.
    council_plan = db.session.scalar(sa.select(Plan).order_by(Plan.id))
    council_plan.stage = "approval"
    db.session.commit()
    clients["author"].post(f"/plans/{council_plan.id}/requests/", headers=HX,
                           data={"event": "approve_plan", "comment": PAYLOADS[0]})
    council_request = db.session.scalar(sa.select(TransitionRequest.id).where(
        TransitionRequest.plan_id == council_plan.id, TransitionRequest.status == "pending"))
    voted = clients["member"].post(f"/plans/{council_plan.id}/requests/{council_request}/vote", headers=HX,
                                   data={"choice": "approve", "comment": f"vote {PAYLOADS[1]}"})
    assert voted.status_code == 200
    recorded = clients["reviewer"].post(f"/plans/{council_plan.id}/requests/{council_request}/resolution",
                                        headers=HX, data={"number": PAYLOADS[1][:40], "resolved_on": "1405/09/01"})
    assert recorded.status_code == 200
    texts += [f"vote {PAYLOADS[1]}", PAYLOADS[1][:40]]

    responses = {}
    for who, browser in clients.items():
        for plan_id in db.session.scalars(sa.select(Plan.id)):
            request_id = db.session.scalar(sa.select(TransitionRequest.id).where(TransitionRequest.plan_id == plan_id)
                                           .order_by(TransitionRequest.id.desc()))
            for url, response in pages_of(browser, plan_id, request_id).items():
                responses[f"{who} {url}"] = response
    responses["audit log"] = clients["admin"].get("/admin/audit/")
    assert_all_escaped(responses, texts)
    # The texts are shown (escaped), not dropped: the check above is not passing on empty pages.
    page = responses[f"author /plans/{council_plan.id}"].text
    assert shows_escaped(page, f"vote {PAYLOADS[1]}") and shows_escaped(page, council_plan.title)
    assert shows_escaped(responses["author /notifications/"].text, f"no {PAYLOADS[2]}")


def test_task_texts_are_escaped_everywhere(client, ctx):
    from datetime import date

    from planapp.core.clock import now
    from planapp.tasks import services as tasks
    from tests.factories import make_plan

    supervisor, officer = make_user(role="supervisor"), make_user(role="officer")
    plan = make_plan(supervisor)
    texts = []
    for n, payload in enumerate(PAYLOADS):
        task = tasks.create_task(supervisor, plan, {"title": f"{payload} {n}", "description": payload,
                                                    "agency_id": officer.agency_id, "due_on": date(2099, 1, 3)}, now())
        tasks.add_comment(officer, task.id, f"note {payload}", now())
        tasks.add_attachment(officer, task.id, f"{payload[:20]}.pdf", b"%PDF-1.4 x", now(), 1_000_000)
        texts += [f"{payload} {n}", f"note {payload}"]
    db.session.commit()
    officer_client = signed_in(client, officer)
    supervisor_client = signed_in(ctx.test_client(), supervisor)
    responses = {}
    for who, browser in (("officer", officer_client), ("supervisor", supervisor_client)):
        for url in ("/tasks/?mine=1&status=all", "/tasks/review?status=all", f"/plans/{plan.id}",
                    f"/plans/{plan.id}/tasks"):
            responses[f"{who} {url}"] = browser.get(url)
        for task_id in db.session.scalars(sa.select(tasks.Task.id)):
            for url in (f"/tasks/{task_id}/", f"/tasks/{task_id}/comments"):
                responses[f"{who} {url}"] = browser.get(url, headers=HX if url.endswith("comments") else {})
    assert_all_escaped(responses, texts)
    assert shows_escaped(responses["officer /tasks/?mine=1&status=all"].text, f"{PAYLOADS[0]} 0")
