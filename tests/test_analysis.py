"""The analysis page: location quotients and shift-share from the indicator values, the plan's input-output table
(upload, refusals in Persian with nothing stored, replacement), who sees and who uploads, the statement count."""

from __future__ import annotations

import copy
import io
import re

import numpy as np
import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from planapp.analysis import io_tables
from planapp.analysis.models import InputOutputTable
from planapp.audit.models import AuditEvent
from planapp.core.clock import now
from planapp.core.errors import ValidationFailed
from planapp.extensions import db
from tests.analysis_data import IO_ROWS, io_csv, regional_world
from tests.factories import make_plan, make_user, signed_in
from tests.sql_helpers import count_statements


@pytest.fixture
def world(ctx):
    sectors = regional_world()
    supervisor = make_user(role="supervisor")
    return make_plan(supervisor, stage="analysis"), supervisor, sectors


def tables() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(InputOutputTable))


def cells(html: str, table_id: str) -> list[float]:
    table = html[html.index(f'id="{table_id}"'):]
    table = table[:table.index("</table>")]
    return [float(v) for v in re.findall(r'data-value="([^"]+)"', table)]


def upload(browser, plan, data: bytes, name: str = "io.csv", htmx: bool = True):
    headers = {"HX-Request": "true"} if htmx else {}
    return browser.post(f"/plans/{plan.id}/analysis/io-table", data={"file": (io.BytesIO(data), name)},
                        content_type="multipart/form-data", headers=headers)


# --- the province against the nation ---------------------------------------------------------------------------


def test_the_page_shows_quotients_indices_and_shift_share_worked_by_hand(world, client):
    plan, supervisor, _ = world
    page = signed_in(client, supervisor).get(f"/plans/{plan.id}/analysis")
    assert page.status_code == 200
    assert cells(page.text, "analysis-lq-table") == pytest.approx([3, 2.5, 0.2 / 0.7])  # highest first
    assert "۱٫۰۰۰" in page.text and "۰٫۳۸۰" in page.text and "۰٫۵۴۰" in page.text  # Krugman, Herfindahl ×2
    # base 1400 (the earliest common year), end 1403 (the latest): A, C, G × NS, IM, RS, total
    assert cells(page.text, "analysis-shift-table") == pytest.approx(
        [20 / 3, -20 / 3, 10, 10, 40 / 3, 0, -10 / 3, 10, 20 / 3, 4 / 3, -8, 0], abs=1e-9)
    assert 'class="analysis-data" data-kind="regional"' in page.text
    assert 'data-chart="lq"' in page.text and 'data-chart="shift"' in page.text


def test_years_and_the_indicator_come_from_the_query_string_and_htmx_gets_only_the_results(world, client):
    plan, supervisor, _ = world
    browser = signed_in(client, supervisor)
    response = browser.get(f"/plans/{plan.id}/analysis?indicator=EMP&base=۱۴۰۳&end=1403",
                           headers={"HX-Request": "true", "HX-Target": "analysis-results"})
    assert response.text.startswith('<div id="analysis-results"')
    assert "سال پایه باید پیش از سال پایانی" in response.text  # shift-share needs the base before the end
    odd = browser.get(f"/plans/{plan.id}/analysis?end=1401&indicator=XYZ").text
    assert "۱۴۰۱" in odd and "«XYZ»" in odd  # a year without both regions and an unknown code, each said
    assert cells(odd, "analysis-lq-table") == pytest.approx([3, 2.5, 0.2 / 0.7])  # the defaults are shown


def test_an_indicator_without_common_years_says_so_in_persian(world, client):
    plan, supervisor, _ = world
    page = signed_in(client, supervisor).get(f"/plans/{plan.id}/analysis?indicator=VA").text
    assert "سال مشترکی" in page and 'id="analysis-lq-table"' not in page


# --- the input-output table ------------------------------------------------------------------------------------


def _expected_linkages():
    z = np.array([[10, 60, 5], [40, 300, 60], [5, 80, 0]], dtype=float)
    x = np.array([200, 900, 400], dtype=float)
    inverse = np.linalg.inv(np.eye(3) - z / x)
    average = inverse.mean()
    return inverse.sum(axis=0), inverse.sum(axis=0) / 3 / average, inverse.sum(axis=1) / 3 / average


def test_an_uploaded_table_shows_multipliers_linkages_and_key_sectors(world, client):
    plan, supervisor, _ = world
    browser = signed_in(client, supervisor)
    response = upload(browser, plan, io_csv())
    assert response.status_code == 200 and response.text.startswith('<section id="analysis-io"')
    table = db.session.scalar(sa.select(InputOutputTable))
    assert table.labels == ["A کشاورزی", "صنعت (ساخت)", "G"] and table.sections == ["A", "C", "G"]
    assert table.flows[2] == [5, 80, 0] and table.outputs == [200, 900, 400]
    multipliers, backward, forward = _expected_linkages()
    shown = cells(response.text, "analysis-io-table")
    assert shown == pytest.approx(np.column_stack([multipliers, backward, forward]).ravel().tolist())
    key = response.text[response.text.index('id="analysis-key-sectors"'):]
    assert "صنعت (ساخت)" in key[:key.index("</div>")] and "A کشاورزی" not in key[:key.index("</div>")]
    page = browser.get(f"/plans/{plan.id}/analysis").text
    assert 'data-kind="io"' in page and 'data-chart="linkages"' in page


def test_an_xlsx_table_is_read_like_a_csv(world, client):
    plan, supervisor, _ = world
    book = Workbook()
    sheet = book.active
    for row in IO_ROWS:
        sheet.append([float(v) if v.isascii() and v.isdigit() else v for v in row])
    data = io.BytesIO()
    book.save(data)
    response = upload(signed_in(client, supervisor), plan, data.getvalue(), "جدول.xlsx")
    assert "flash-error" not in response.text
    assert db.session.scalar(sa.select(InputOutputTable)).outputs == [200, 900, 400]


def _changed(row: int, column: int, value: str) -> bytes:
    rows = copy.deepcopy(IO_ROWS)
    rows[row][column] = value
    return io_csv(rows)


REFUSALS = [
    (io_csv([row[:-1] for row in IO_ROWS]), "مربعی نیست"),  # no total-output column: 3 rows, 2 sector columns
    (io_csv(IO_ROWS[:3]), "مربعی نیست"),  # a row missing
    (_changed(0, 2, "صنعت"), "برچسب‌ها"),  # a column label not matching its row
    (_changed(2, 0, "A کشاورزی"), "دو ردیف"),  # a sector twice
    (_changed(1, 2, "شصت"), "عدد نیست"),
    (_changed(2, 3, "-60"), "منفی"),
    (_changed(3, 4, "0"), "بیشتر از صفر"),
    (_changed(3, 4, ""), "ستاندهٔ کل"),
    (io_csv([["", "a", "b", "x"], ["a", "50", "50", "100"], ["b", "50", "50", "100"]]), "معکوس‌پذیر نیست"),
    (_changed(2, 2, "950"), "بیش از ستاندهٔ کل"),  # C buys 60 + 950 + 80 with an output of 900
    (b"\x89PNG\r\n\x1a\n" + b"0" * 64, "پسوند"),  # type by content: a picture named .xlsx
    (b"\x89PNG\r\n\x1a\n\x00\x00" + b"0" * 64, "CSV"),  # … or named .csv
    (b"", "خالی"),
]


@pytest.mark.parametrize(("data", "words"), REFUSALS)
def test_a_bad_table_is_refused_in_persian_and_nothing_is_stored(world, client, data, words):
    plan, supervisor, _ = world
    name = "io.xlsx" if words == "پسوند" else "io.csv"
    response = upload(signed_in(client, supervisor), plan, data, name)
    assert response.status_code == 200 and 'class="flash flash-error"' in response.text
    message = re.search(r'class="flash flash-error" role="alert">([^<]+)<', response.text).group(1)
    assert words in message, message
    assert tables() == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action.like("analysis.%"))) == 0


def test_a_refused_replacement_keeps_the_earlier_table_and_a_good_one_replaces_it_audited(world, client):
    plan, supervisor, _ = world
    browser = signed_in(client, supervisor)
    upload(browser, plan, io_csv(), "first.csv")
    assert "flash-error" in upload(browser, plan, _changed(1, 2, "x"), "bad.csv").text
    db.session.expire_all()
    assert db.session.scalar(sa.select(InputOutputTable)).file_name == "first.csv"
    rows = [row[:1] + row[1:3] + row[4:] for row in IO_ROWS[:3]]  # A and C only
    response = upload(browser, plan, io_csv(rows), "second.csv", htmx=False)
    assert response.status_code == 302
    db.session.expire_all()
    [table] = db.session.scalars(sa.select(InputOutputTable)).all()
    assert (table.file_name, table.labels) == ("second.csv", ["A کشاورزی", "صنعت (ساخت)"])
    actions = db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.action.like("analysis.%"))
                                 .order_by(AuditEvent.id)).all()
    assert actions == ["analysis.io_table_uploaded", "analysis.io_table_replaced"]


def test_the_service_refuses_someone_who_may_not_edit_the_plan(world):
    plan, _supervisor, _ = world
    with pytest.raises(ValidationFailed):
        io_tables.upload_io_table(make_user(role="officer"), plan, "io.csv", io_csv(), now())
    assert tables() == 0


def test_the_template_is_a_table_the_upload_accepts(world, client):
    plan, supervisor, _ = world
    browser = signed_in(client, supervisor)
    for fmt in ("csv", "xlsx"):
        template = browser.get(f"/plans/{plan.id}/analysis/io-template.{fmt}")
        assert template.status_code == 200 and "attachment" in template.headers["Content-Disposition"]
        assert "flash-error" not in upload(browser, plan, template.data, f"template.{fmt}").text
    assert db.session.scalar(sa.select(InputOutputTable)).sections == ["A", "C", "G"]


# --- who sees what ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["officer", "council_member", "admin"])
def test_readers_of_situation_data_see_the_page_but_may_not_upload(world, client, role):
    plan, _supervisor, _ = world
    browser = signed_in(client, make_user(role=role))
    page = browser.get(f"/plans/{plan.id}/analysis")
    assert page.status_code == 200 and 'id="analysis-lq-table"' in page.text
    assert "analysis-upload" not in page.text
    assert upload(browser, plan, io_csv()).status_code == 403
    assert browser.get(f"/plans/{plan.id}/analysis/io-template.csv").status_code == 403
    assert tables() == 0


def test_participants_are_refused_viewers_see_published_plans_only_and_unknown_plans_are_404(world, client):
    plan, supervisor, _ = world
    assert signed_in(client, make_user(role="participant")).get(f"/plans/{plan.id}/analysis").status_code == 403
    client.post("/logout")
    viewer = signed_in(client, make_user(role="viewer"))
    assert viewer.get(f"/plans/{plan.id}/analysis").status_code == 404  # not published: its existence hidden
    assert viewer.get("/plans/999999/analysis").status_code == 404
    closed = make_plan(supervisor, stage="closed")
    client.post("/logout")
    browser = signed_in(client, supervisor)
    assert browser.get(f"/plans/{closed.id}/analysis").status_code == 200  # read, not changed
    assert upload(browser, closed, io_csv()).status_code == 403
    assert tables() == 0


def test_the_plan_and_scoring_pages_link_to_the_analysis(world, client):
    plan, supervisor, _ = world
    browser = signed_in(client, supervisor)
    assert f"/plans/{plan.id}/analysis" in browser.get(f"/plans/{plan.id}").text
    assert f"/plans/{plan.id}/analysis" in browser.get(f"/plans/{plan.id}/scoring").text


def test_the_page_runs_the_same_number_of_statements_however_large_the_table(world, client):
    plan, supervisor, _ = world
    browser = signed_in(client, supervisor)
    browser.get(f"/plans/{plan.id}/analysis")  # warm the session
    with count_statements(include_begin=False) as small:
        browser.get(f"/plans/{plan.id}/analysis")
    n = 30
    rows = [["بخش", *(f"بخش {i}" for i in range(n)), "ستانده کل"]]
    rows += [[f"بخش {i}", *("1" for _ in range(n)), "100"] for i in range(n)]
    upload(browser, plan, io_csv(rows))
    with count_statements(include_begin=False) as large:
        page = browser.get(f"/plans/{plan.id}/analysis?base=1400&end=1403")
    assert page.status_code == 200 and 'data-kind="io"' in page.text
    assert len(large) == len(small) <= 12, large


def test_labels_and_file_names_from_the_upload_are_escaped_everywhere(world, client):
    """X1: a table's labels and its file name are untrusted text; so are the query string and refused cells."""
    from tests.test_xss import PAYLOADS, shows_escaped, unescaped_reflections

    plan, supervisor, _ = world
    browser = signed_in(client, supervisor)
    labels = PAYLOADS[:3]  # a CSV with markup is refused whole; a workbook's cells can hold any text
    book = Workbook()
    for row in [["بخش", *labels, "ستانده کل"]] + [[label, 1, 1, 1, 10] for label in labels]:
        book.active.append(row)
    data = io.BytesIO()
    book.save(data)
    stored = upload(browser, plan, data.getvalue(), "<b>io</b>.xlsx")
    assert tables() == 1, stored.text
    refused = upload(browser, plan, _changed(1, 2, PAYLOADS[1]))  # the refused cell is quoted in the message
    page = browser.get(f"/plans/{plan.id}/analysis?indicator={PAYLOADS[0]}&end={PAYLOADS[2]}")
    fragment = browser.get(f"/plans/{plan.id}/analysis?base={PAYLOADS[3]}",
                           headers={"HX-Request": "true", "HX-Target": "analysis-results"})
    for response in (stored, refused, page, fragment):
        assert response.status_code == 200
        assert not unescaped_reflections(response.text, PAYLOADS), unescaped_reflections(response.text, PAYLOADS)
    assert all(shows_escaped(page.text, label) for label in labels)


# --- key sectors become candidates on the scoring page ----------------------------------------------------------


def test_key_sectors_are_suggested_as_candidates_with_their_linkages(world, client):
    from planapp.scoring.models import Candidate, CandidateOrigin

    plan, supervisor, sectors = world
    browser = signed_in(client, supervisor)
    assert 'id="scoring-key-sectors"' not in browser.get(f"/plans/{plan.id}/scoring").text  # no table yet
    upload(browser, plan, io_csv())
    page = browser.get(f"/plans/{plan.id}/scoring").text
    row = page[page.index('id="scoring-key-sectors"'):page.index("</table>", page.index('id="scoring-key-sectors"'))]
    assert "صنعت (ساخت)" in row and "پیوند پسین ۱٫۱۹، پیشین ۱٫۴۰" in row and "A کشاورزی" not in row
    headers = {"HX-Request": "true"}
    refused = browser.post(f"/plans/{plan.id}/scoring/candidates", data={"key_sector": "A کشاورزی"}, headers=headers)
    assert "در میان بخش‌های کلیدی نیست" in refused.text
    added = browser.post(f"/plans/{plan.id}/scoring/candidates", data={"key_sector": "صنعت (ساخت)"}, headers=headers)
    assert added.status_code == 200
    candidate = db.session.scalar(sa.select(Candidate))
    assert (candidate.name, candidate.origin, candidate.sector_id) == ("صنعت (ساخت)", CandidateOrigin.KEY_SECTOR,
                                                                       sectors["C"])
    assert candidate.note == "پیوند پسین ۱٫۱۹، پیشین ۱٫۴۰"
    row = added.text[added.text.index('id="scoring-key-sectors"'):]
    assert "افزوده شد" in added.text and 'name="key_sector"' not in row[:row.index("</table>")]
    suggestion = added.text[added.text.index('id="suggestion-C"'):]
    assert "badge-ok" in suggestion[:suggestion.index("</tr>")]  # the same section is taken for the LQ too


def test_the_demo_plan_in_analysis_shows_every_part_filled(ctx, client):
    """`make run`: the demo's tourism plan has the province's values and an input-output table with key sectors."""
    from planapp.demo import DEMO_PASSWORD, PLANS, demo_email, seed_demo
    from planapp.plans.models import Plan
    from tests.factories import login

    seed_demo()
    plan = db.session.scalar(sa.select(Plan).where(Plan.title == PLANS[1][0]))
    assert login(client, demo_email("supervisor"), DEMO_PASSWORD).status_code == 302
    page = client.get(f"/plans/{plan.id}/analysis").text
    quotients = cells(page, "analysis-lq-table")
    assert len(quotients) >= 10 and sum(q > 1 for q in quotients) >= 2
    assert len(cells(page, "analysis-shift-table")) == 4 * len(quotients)
    key = page[page.index('id="analysis-key-sectors"'):]
    key = key[:key.index("</div>")]
    assert "C صنعت" in key and "H حمل‌ونقل" in key and "A کشاورزی" not in key
    seed_demo()  # idempotent: the table is not added twice
    assert tables() == 1


def test_english_readers_get_the_page_in_english_left_to_right(world, client):
    plan, _supervisor, _ = world
    browser = signed_in(client, make_user(role="supervisor", language="en"))
    upload(browser, plan, io_csv())
    page = browser.get(f"/plans/{plan.id}/analysis").text
    assert 'dir="ltr"' in page and "Location quotients" in page and "Key sectors" in page
    assert "Manufacturing <span" in page and "Shift-share" in page  # the sections' English names
    assert '"locale": "en"' in page


def test_zero_totals_are_explained_instead_of_a_chart(world, client):
    from planapp.indicators.models import IndicatorValue, Region

    plan, supervisor, _ = world
    province = db.session.scalar(sa.select(Region.id).where(Region.code == "EA"))
    for value in db.session.scalars(sa.select(IndicatorValue).where(IndicatorValue.region_id == province,
                                                                    IndicatorValue.year == 1403)):
        value.value = 0
    db.session.commit()
    page = signed_in(client, supervisor).get(f"/plans/{plan.id}/analysis").text
    assert "جمع مقدارها صفر است" in page and 'id="analysis-lq-table"' not in page and 'data-chart="lq"' not in page
    assert 'id="analysis-shift-table"' in page  # shift-share still has its numbers (the province fell to zero)
