"""RELIABILITY X7: a GET never changes the database.

An admin crawls every GET route of the app — each argument filled with every real id, pages and htmx fragments,
list filters and pages past the end, ids that do not exist — and the whole database (every row of every table)
is checksummed before and after: it must be identical.
"""

from __future__ import annotations

import hashlib
import json
import re
import zlib
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from planapp.accounts import invitations, resets
from planapp.accounts import services as accounts
from planapp.accounts.models import Delegation, User
from planapp.agencies import services as agencies
from planapp.agencies.models import Agency
from planapp.approvals import services as approvals
from planapp.calendar.models import Holiday
from planapp.calendar.seed import seed_holidays
from planapp.core.clock import now
from planapp.extensions import db
from planapp.indicators.models import (
    ImportStatus,
    Indicator,
    IndicatorImport,
    IndicatorImportRow,
    IndicatorValue,
    IndicatorValueChange,
    Region,
    Sector,
)
from planapp.indicators.seed import seed_catalog
from planapp.mail.models import MailStatus, OutboxMessage
from planapp.monitoring.rounds import open_due_rounds
from planapp.notifications.models import Notification
from planapp.notifications.services import notify
from planapp.plans.models import Plan
from planapp.plans.workflow import Stage
from planapp.scheduler.models import SchedulerLease
from planapp.scheduler.runs import run_once
from planapp.scoring.models import Candidate, Criterion, PairwiseJudgement, RoundTask, Score, ScoringMatrix
from planapp.swot.models import Quadrant, SwotFactor
from planapp.tasks import reminders
from planapp.tasks import services as task_services
from planapp.tasks.lifecycle import TaskKind
from planapp.tasks.models import TaskTemplate
from tests.analysis_data import io_table_row
from tests.factories import login, make_agency, make_plan, make_request, make_user, signed_in
from tests.scheduler_jobs import store_job

MISSING_ID = 987654
# Query strings every list page is also crawled with: filters, searches, paging past the end, nonsense.
LIST_QUERIES = [
    "",
    "?status=all",
    "?status=inactive",
    "?q=دستگاه",
    "?q=%25_",
    "?page=2",
    "?mine=1&status=all",  # a supervisor's own inbox (without it they are sent to the review list)
    "?page=9999",
    "?role=admin",
    "?realm=auth",
    "?page=-1&status=bogus",
    "?year=۱۴۰۴&stage=goals&kind=other",  # holidays of another year, templates of one stage and kind
    "?year=99999&stage=bogus",
    "?status=dead&kind=task.assigned&q=example",  # the outbox's filters
    # the indicator explorer's choices (ids of the seeded catalog, Persian digits, a comparison year)
    "?indicator=1&indicator=17&region=1&region=3&counties=all&sector=1&from=۱۳۹۸&to=1404&year=1400&q=جمعیت",
]
# Routes about one object crawled with a query string too: the analysis export with a selection and with nonsense
# (a download reads the same choices as its page).
OBJECT_QUERIES = {"analysis.export": ["", "?indicator=EMP&base=۱۴۰۰&end=1403", "?indicator=%3DX&base=x&end=9999"]}
# htmx asks for a fragment by naming its target; boosted navigation asks for the whole page.
HTMX_HEADERS = [
    {},
    {"HX-Request": "true"},
    {"HX-Request": "true", "HX-Boosted": "true"},
    {"HX-Request": "true", "HX-History-Restore-Request": "true"},
    {"HX-Request": "true", "HX-Target": "agency-table"},
    {"HX-Request": "true", "HX-Target": "user-table"},
    {"HX-Request": "true", "HX-Target": "audit-table"},
    {"HX-Request": "true", "HX-Target": "template-table"},
    {"HX-Request": "true", "HX-Target": "holiday-table"},
    {"HX-Request": "true", "HX-Target": "delegation-panel"},
    {"HX-Request": "true", "HX-Target": "outbox-table"},
    {"HX-Request": "true", "HX-Target": "notification-list"},
    {"HX-Request": "true", "HX-Target": "scoring-matrix"},
    {"HX-Request": "true", "HX-Target": "explore-results"},
    {"HX-Request": "true", "HX-Target": "analysis-results"},
]


def database_checksum() -> str:
    """A digest of every row of every table, in primary-key order."""
    digest = hashlib.sha256()
    db.session.rollback()  # read what is committed now
    for table in db.metadata.sorted_tables:
        rows = db.session.execute(sa.select(table).order_by(*table.primary_key.columns))
        for row in rows:
            digest.update(json.dumps([table.name, *row], default=str, sort_keys=True).encode())
    db.session.rollback()
    return digest.hexdigest()


def row_counts() -> dict[str, int]:
    return {
        table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }


def values_for_every_argument(agency_ids: list[int], user_ids: list[int],
                              plans: dict[str, list[int]] | None = None) -> dict[str, list]:
    plans = plans or {"plan_id": [], "request_id": [], "notification_id": []}
    return {
        "agency_id": [*agency_ids, MISSING_ID],
        "user_id": [*user_ids, MISSING_ID],
        "filename": ["css/app.css", "vendor/htmx/htmx.min.js", "no-such-file.css"],
        "plan_id": [*plans["plan_id"], MISSING_ID],
        "request_id": [*plans["request_id"], MISSING_ID],
        "notification_id": [*plans["notification_id"], MISSING_ID],
        "task_id": [*plans.get("task_id", []), MISSING_ID],
        "attachment_id": [*plans.get("attachment_id", []), MISSING_ID],
        "fmt": plans.get("fmt", ["csv"]),
        "template_id": [*plans.get("template_id", []), MISSING_ID],
        "holiday_id": [*plans.get("holiday_id", []), MISSING_ID],
        **{name: [*plans.get(name, []), "no-such-link"] for name in ("invitation_token", "reset_token",
                                                                    "decision_token")},
        "message_id": [*plans.get("message_id", []), MISSING_ID],
        **{name: [*plans.get(name, []), MISSING_ID] for name in ("indicator_id", "region_id", "sector_id")},
        "import_id": [*plans.get("import_id", []), MISSING_ID],
    }


def tasks_with_everything(plan_id: int, agency_id: int, officer: User, supervisor: User) -> dict[str, list]:
    """A template with an agency, tasks (one with a comment, a file and a delegation), holidays."""
    seed_holidays(1405)
    template = TaskTemplate(stage=Stage.SITUATION_ASSESSMENT, kind=TaskKind.OTHER, title="الگو", mandatory=True,
                            due_in_days=5, agencies=[db.session.get(Agency, agency_id)])
    db.session.add(template)
    plan = db.session.get(Plan, plan_id)
    task = task_services.create_task(supervisor, plan, {"title": "وظیفه", "agency_id": agency_id,
                                                        "kind": TaskKind.SUBMIT_INDICATORS,  # and its grid
                                                        "due_on": date(2099, 1, 3)}, now())
    task_services.add_comment(officer, task.id, "توضیح", now())
    attachment = task_services.add_attachment(officer, task.id, "a.pdf", b"%PDF-1.4 x", now(), 1_000_000)
    db.session.add(Delegation(user_id=officer.id, substitute_id=supervisor.id, starts_on=date(2026, 1, 1),
                              ends_on=date(2099, 1, 1), created_at=now()))
    db.session.commit()
    import_ids = situation_data(plan, task.id, officer)
    reminders.sweep(datetime(2099, 1, 3, 6, 0, tzinfo=UTC))  # the task is due that day: a reminder step
    open_due_rounds(now())  # the plan in monitoring gets its round
    holidays = list(db.session.scalars(sa.select(Holiday.id).order_by(Holiday.id).limit(2)))
    return {"task_id": [task.id], "attachment_id": [attachment.id], "fmt": ["csv", "xlsx"], "import_id": import_ids,
            "template_id": [template.id], "holiday_id": holidays,
            # The catalog: the first rows (the country, TOTAL) and a county, a finer sector's section.
            **{name: list(db.session.scalars(sa.select(model.id).order_by(model.id).limit(2)))
               for name, model in (("indicator_id", Indicator), ("region_id", Region), ("sector_id", Sector))}}


def situation_data(plan: Plan, task_id: int, officer: User) -> list[int]:
    """The catalog, a value imported then changed (with its history), imports half staged and failed, and a SWOT
    factor; returns the imports' ids."""
    seed_catalog()
    upload = IndicatorImport(user_id=officer.id, task_id=task_id, file_name="a.csv", stored_name="x.csv",
                             status=ImportStatus.DONE, total_rows=1, created_at=now())
    db.session.add(upload)
    db.session.flush()
    ids = {model: db.session.scalar(sa.select(model.id).where(model.code == code))
           for model, code in ((Indicator, "POP"), (Region, "EA-TABRIZ"), (Sector, "TOTAL"))}
    db.session.get(Indicator, ids[Indicator]).source_agency_id = officer.agency_id  # the task's grid shows it
    value = IndicatorValue(indicator_id=ids[Indicator], region_id=ids[Region], sector_id=ids[Sector], year=1404,
                           value=1_800_000, submitted_by_id=officer.id, submitted_at=now(), import_id=upload.id)
    db.session.add(value)
    db.session.flush()
    db.session.add(IndicatorValueChange(value_id=value.id, old_value=1_790_000, new_value=1_800_000,
                                        changed_by_id=officer.id, changed_at=now(), import_id=upload.id))
    db.session.add(SwotFactor(plan_id=plan.id, quadrant=Quadrant.STRENGTH, text="موقعیت مرزی", author_id=officer.id,
                              task_id=task_id, created_at=now()))
    scoring_matrix(plan, officer, task_id)
    db.session.add(io_table_row(plan.id, officer.id))  # the analysis page's linkages and key sectors (and export)
    staging = IndicatorImport(user_id=officer.id, task_id=task_id, file_name="b.csv", stored_name="y.csv",
                              status=ImportStatus.STAGING, total_rows=2, processed_rows=1, created_at=now())
    failed = IndicatorImport(user_id=officer.id, file_name="c.csv", stored_name="z.csv", status=ImportStatus.FAILED,
                             report={"problems": [{"row": 2, "column": "value", "code": "not_a_number", "value": "x"}],
                                     "counts": {"not_a_number": 1}}, error_count=1, created_at=now())
    db.session.add_all([staging, failed])
    db.session.flush()
    db.session.add(IndicatorImportRow(import_id=staging.id, row=2, indicator_id=ids[Indicator],
                                      region_id=ids[Region], sector_id=ids[Sector], year=1405, value=1.0))
    db.session.commit()
    return [upload.id, staging.id, failed.id]


def scoring_matrix(plan: Plan, author: User, task_id: int) -> None:
    """A scoring matrix with a candidate, two criteria weighted by one pairwise judgement, and a score."""
    matrix = ScoringMatrix(plan_id=plan.id, created_by_id=author.id, created_at=now(), updated_at=now(),
                           weight_method="ahp", consistency_ratio=0.0)
    db.session.add(matrix)
    db.session.flush()
    first, second = (Criterion(matrix_id=matrix.id, name=name, weight=weight, position=n)
                     for n, (name, weight) in enumerate((("اشتغال", 0.75), ("مصرف آب", 0.25))))
    candidate = Candidate(matrix_id=matrix.id, name="گردشگری سلامت", confirmed_at=now(), confirm_reason="ظرفیت")
    db.session.add_all([first, second, candidate])
    db.session.flush()
    db.session.add(PairwiseJudgement(matrix_id=matrix.id, criterion_a_id=first.id, criterion_b_id=second.id,
                                     value=3.0))
    db.session.add(Score(matrix_id=matrix.id, task_id=task_id, candidate_id=candidate.id, criterion_id=first.id,
                         user_id=author.id, value=7, updated_at=now()))
    db.session.add(RoundTask(task_id=task_id, matrix_id=matrix.id, round=1))
    # Its round closed, so the results page and its export have something to show.
    matrix.status = "closed"
    matrix.results = {"top_k": 1, "kendall_w": None, "kendall_note": "به دست‌کم دو امتیازدهنده نیاز است.",
                      "complete_scorers": 0, "cells": 2, "not_scored": [{"task_id": task_id, "name": "دستگاه"}],
                      "criteria": [{"id": c.id, "name": c.name, "kind": "benefit", "weight": c.weight}
                                   for c in (first, second)],
                      "candidates": [{"id": candidate.id, "name": candidate.name, "mean": [7.0, 5.0],
                                      "weighted_sum": 1.0, "rank_weighted_sum": 1, "topsis": 1.0, "rank_topsis": 1,
                                      "p_top": 1.0}],
                      "scorers": [{"user_id": author.id, "name": author.name, "cells": 1}]}


def plans_with_requests() -> dict[str, list[int]]:
    """Plans in preparation and in monitoring, pending and decided requests, council votes, notifications."""
    owner = make_user(role="supervisor")
    member = make_user(role="council_member")
    draft, approving = make_plan(owner), make_plan(owner, stage="approval")
    published = make_plan(owner, stage="monitoring")
    asked = make_request(draft, "complete_assessment")
    council = make_request(approving, "approve_plan")
    approvals.cast_vote(member, council.id, "approve", "موافقم", now())
    approvals.record_resolution(owner, council.id, "۱۲", date(2026, 11, 1), now(), ("r.pdf", b"%PDF-1.4 test"))
    decided = make_request(published, "open_revision")
    approvals.decide_request(owner, decided.id, False, "نه اکنون", now())
    db.session.commit()
    notifications = list(db.session.scalars(sa.select(Notification.id).order_by(Notification.id)))
    return {"plan_id": [draft.id, approving.id, published.id], "request_id": [asked.id, council.id, decided.id],
            "notification_id": notifications[:3], "supervisor": [owner.id]}


def outbox_with_every_status(user: User) -> dict[str, list[int]]:
    """E-mails queued, sent, failed and held for the digest (the development mailbox shows them all)."""
    notify([user.id], "task.assigned", {"task": "وظیفه", "plan": "برنامه"}, "/tasks/", now())
    db.session.commit()
    messages = list(db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))
    for message, status in zip(messages, (MailStatus.SENT, MailStatus.DEAD, MailStatus.DIGEST), strict=False):
        message.status, message.last_error = status, "SMTP 451: try later"
    db.session.commit()
    return {"message_id": [message.id for message in messages[:4]]}


def links_from_e_mails(supervisor: User, task_id: int, request_id: int) -> dict[str, list[str]]:
    """Invitation, reset and decision links as the e-mails carry them — usable, used and expired — and a task guest."""
    invite = {"name": "مهمان", "agency_id": supervisor.agency_id}
    invitations.invite_participant(supervisor, {**invite, "email": "guest@example.ir", "task_id": task_id}, now(), 7)
    invitations.invite_participant(supervisor, {**invite, "email": "done@example.ir"}, now(), 7)
    invitations.invite_participant(supervisor, {**invite, "email": "late@example.ir"}, now() - timedelta(days=9), 7)
    resets.request_password_reset(supervisor.email, now(), 60)
    db.session.commit()

    def mailed(pattern: str, key: str | None = None) -> list[str]:
        query = sa.select(OutboxMessage.text_body).order_by(OutboxMessage.id)
        bodies = db.session.scalars(query.where(OutboxMessage.key == key) if key else query)
        return [found.group(1) for body in bodies if (found := re.search(pattern, body))]

    invited = mailed(r"/invitation/([\w-]{86})")
    invitations.accept_invitation(invited[1], "a-good-password-1", now())  # used
    db.session.commit()
    decision = mailed(r"/decide/([\w-]{86})", f"transition.requested:{request_id}:{supervisor.id}")
    return {"invitation_token": invited, "reset_token": mailed(r"/password/reset/([\w-]{86})"),
            "decision_token": decision}


def every_get_url(app: Flask, values: dict[str, list]) -> Iterator[tuple[str, str]]:
    """(endpoint, url) for every GET rule, once per combination of real argument values."""
    adapter = app.url_map.bind("localhost")
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        missing = rule.arguments - values.keys()
        assert not missing, f"{rule.endpoint}: say how to fill {sorted(missing)} in values_for_every_argument()"
        combinations: list[dict] = [{}]
        for name in sorted(rule.arguments):
            combinations = [{**done, name: value} for done in combinations for value in values[name]]
        for arguments in combinations:
            url = adapter.build(rule.endpoint, arguments)
            queries = LIST_QUERIES if not rule.arguments else OBJECT_QUERIES.get(rule.endpoint, [""])
            for query in queries:
                yield rule.endpoint, url + query


def crawl(client: FlaskClient, urls: list[tuple[str, str]]) -> dict[str, set[int]]:
    """GET every URL in every htmx flavour; the statuses seen, by endpoint. A request naming a target is sent where
    the page holds that target, as htmx would: every target of every page, without a request per pair."""
    statuses: dict[str, set[int]] = {}
    generic = [h for h in HTMX_HEADERS if "HX-Target" not in h]
    for endpoint, url in urls:
        page = ""
        for headers in generic:
            response = client.get(url, headers=headers)
            if not headers:
                page = response.get_data(as_text=True) if response.mimetype == "text/html" else ""
            response.close()
            statuses.setdefault(endpoint, set()).add(response.status_code)
        for headers in HTMX_HEADERS:
            if "HX-Target" in headers and f'id="{headers["HX-Target"]}"' in page:
                response = client.get(url, headers=headers)
                response.close()
                statuses[endpoint].add(response.status_code)
    return statuses


def a_lived_in_database() -> tuple[list[int], list[int]]:
    """Rows in every table: agencies (one a child, one deactivated), users of every state, audit, throttles."""
    parent = make_agency()
    child = make_agency(parent_id=parent.id, name_en="Child agency", email="child@example.ir")
    closed = make_agency()
    agencies.set_agency_active(None, closed, False)
    users = [make_user(role=role, agency=child) for role in ("supervisor", "officer", "participant", "viewer")]
    accounts.set_user_active(None, users[-1], False)
    db.session.add(SchedulerLease(name="scheduler", holder="host:1:cafe", expires_at=now()))  # a scheduler ran
    db.session.commit()
    run_once("clean_up", now(), lambda: "0 deleted")  # and recorded a job run
    store_job("clean_up", {"days": 1}, now())  # in APScheduler's job store
    return [parent.id, child.id, closed.id], [user.id for user in users]


PARTS = 3  # the crawl is the suite's longest test: split by endpoint so xdist workers share it


def in_part(endpoint: str, part: int) -> bool:
    return zlib.crc32(endpoint.encode()) % PARTS == part


@pytest.mark.parametrize("part", range(PARTS))
def test_crawling_every_get_route_as_admin_changes_nothing(client, ctx, part):
    """X7: the whole database is byte-for-byte the same after an admin's crawl of every GET route (this part's)."""
    agency_ids, user_ids = a_lived_in_database()
    admin = make_user(role="admin")
    signed_in(client, admin)
    login(ctx.test_client(), "nobody@example.ir", "wrong-password-123")  # a throttle row, too
    plans = plans_with_requests()
    officer = db.session.get(User, user_ids[1])
    plans |= tasks_with_everything(plans["plan_id"][0], officer.agency_id, officer,
                                   db.session.get(User, plans["supervisor"][0]))
    plans |= links_from_e_mails(db.session.get(User, plans["supervisor"][0]), plans["task_id"][0],
                                plans["request_id"][0])
    plans |= outbox_with_every_status(officer)
    urls = [(endpoint, url) for endpoint, url in
            every_get_url(ctx, values_for_every_argument(agency_ids, [*user_ids, admin.id], plans))
            if in_part(endpoint, part)]
    assert all(count > 0 for count in row_counts().values()), row_counts()

    # Admins do not decide plans: a supervisor crawls too, reaching the decision pages (confirm step).
    supervisor = signed_in(ctx.test_client(), db.session.get(User, plans["supervisor"][0]))
    before = database_checksum()
    statuses = crawl(client, urls)
    for endpoint, seen in crawl(supervisor, urls).items():
        statuses[endpoint] |= seen
    assert database_checksum() == before

    # The crawl really reached every route signed in (a lost session would only have met redirects).
    get_endpoints = {rule.endpoint for rule in ctx.url_map.iter_rules()
                     if "GET" in rule.methods and in_part(rule.endpoint, part)}
    assert set(statuses) == get_endpoints
    reached = {endpoint for endpoint, seen in statuses.items() if 200 in seen}
    assert reached == get_endpoints - {"accounts.login"}, statuses  # a signed-in admin is sent on from /login
    if in_part("accounts.login", part):
        assert statuses["accounts.login"] == {302}
    assert client.get("/").status_code == 200  # still signed in after the crawl


def test_every_target_the_crawl_names_is_an_element_of_some_template():
    """The crawl sends a target where a page holds it: a target no template has would never be tried."""
    templates = "".join(path.read_text(encoding="utf-8")
                        for path in (Path(__file__).parent.parent / "templates").rglob("*.html"))
    targets = [h["HX-Target"] for h in HTMX_HEADERS if "HX-Target" in h]
    assert [t for t in targets if f'id="{t}"' not in templates] == []


def test_the_sign_in_page_changes_nothing_for_strangers_either(client, ctx):
    """X7: anonymous GETs (sign-in page, redirects to it, health check) write nothing."""
    make_user(role="admin")
    before = database_checksum()
    for url in ("/login", "/login?next=/admin/users/", "/", "/admin/audit/", "/healthz", "/no-such-page"):
        client.get(url).close()
    assert database_checksum() == before


def test_the_checksum_sees_a_single_changed_field(ctx):
    """The X7 check can fail: one changed field in one row changes the checksum."""
    user = make_user()
    before = database_checksum()
    user.language = "en"
    db.session.commit()
    assert database_checksum() != before
