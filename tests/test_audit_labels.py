"""Every audit event the code records reads as words on the audit page, and the page's area filter covers it.

The action keys are read from planapp's source: the action argument of each record() / record_changes() call,
followed through the function's own assignments and, when it is a parameter, through every call of that function
(`_audit(actor, task, "create")` → "task.create"), or, for a choice the code checks against a table
(lifecycle.ACTIONS), that table's keys. An action that cannot be followed fails the test: write the key as a literal
(or a literal choice) so that the log's vocabulary stays readable from the code.
"""

from __future__ import annotations

import ast
import itertools
from pathlib import Path

import lxml.html
import pytest
import sqlalchemy as sa
from flask import Flask
from flask_babel import force_locale

from planapp.audit.labels import AREAS, AUDIT_ACTIONS
from planapp.audit.models import AuditEvent
from planapp.audit.services import record
from planapp.extensions import db
from planapp.tasks import lifecycle
from tests.factories import make_user, signed_in

PLANAPP = Path(__file__).resolve().parent.parent / "planapp"
RECORDERS = {"record", "record_changes"}
# Parameters whose values the code checks against a table (a request's choice): their values are that table's keys.
CHECKED_AGAINST = {("apply_action", "name"): lambda: set(lifecycle.ACTIONS)}  # take / submit / accept / …


class _Source:
    def __init__(self) -> None:
        self.modules: dict[Path, ast.Module] = {}
        self.parents: dict[ast.AST, ast.AST] = {}
        for path in sorted(PLANAPP.rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            self.modules[path] = tree
            for node in ast.walk(tree):
                for child in ast.iter_child_nodes(node):
                    self.parents[child] = node

    def calls(self, name: str, only_in: Path | None = None):
        for path, tree in self.modules.items():
            if only_in is not None and path != only_in:
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.Call) and _called_name(node) == name:
                    yield path, node

    def function_of(self, node: ast.AST) -> ast.FunctionDef | None:
        while node in self.parents:
            node = self.parents[node]
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                return node
        return None


def _called_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _argument(call: ast.Call, position: int, name: str) -> ast.expr | None:
    if len(call.args) > position and not any(isinstance(a, ast.Starred) for a in call.args[: position + 1]):
        return call.args[position]
    return next((k.value for k in call.keywords if k.arg == name), None)


def _resolve(src: _Source, path: Path, expr: ast.expr, depth: int = 0) -> set[str]:
    where = f"{path.relative_to(PLANAPP.parent)}:{expr.lineno}"
    assert depth < 6, f"{where}: the action is passed through too many calls to follow"
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return {expr.value}
    if isinstance(expr, ast.IfExp):
        return _resolve(src, path, expr.body, depth) | _resolve(src, path, expr.orelse, depth)
    if isinstance(expr, ast.JoinedStr):
        parts = [_resolve(src, path, v.value if isinstance(v, ast.FormattedValue) else v, depth) for v in expr.values]
        return {"".join(combo) for combo in itertools.product(*parts)}
    if isinstance(expr, ast.Name):
        function = src.function_of(expr)
        assert function is not None, f"{where}: {expr.id} is not a local name"
        assigned = [node.value for node in ast.walk(function) if isinstance(node, ast.Assign)
                    and any(isinstance(t, ast.Name) and t.id == expr.id for t in node.targets)]
        if assigned:
            return set().union(*(_resolve(src, path, value, depth) for value in assigned))
        params = [a.arg for a in (*function.args.posonlyargs, *function.args.args, *function.args.kwonlyargs)]
        assert expr.id in params, f"{where}: cannot follow {expr.id}"
        if (function.name, expr.id) in CHECKED_AGAINST:
            return CHECKED_AGAINST[function.name, expr.id]()
        position = params.index(expr.id) if expr.id not in [a.arg for a in function.args.kwonlyargs] else 10**6
        private = function.name.startswith("_")
        found: set[str] = set()
        for call_path, call in src.calls(function.name, only_in=path if private else None):
            value = _argument(call, position, expr.id)
            if value is not None:
                found |= _resolve(src, call_path, value, depth + 1)
        return found
    raise AssertionError(f"{where}: write the action as a literal, not {ast.unparse(expr)}")


def recorded_actions() -> set[str]:
    src = _Source()
    actions: set[str] = set()
    for name in RECORDERS:
        for path, call in src.calls(name):
            if path.parent.name == "audit" and path.name == "services.py":
                continue  # record_changes passes its own action on to record
            action = _argument(call, 1, "action")
            assert action is not None, f"{path}:{call.lineno}: {name}() without an action"
            actions |= _resolve(src, path, action)
    return actions


ACTIONS = recorded_actions()


def test_the_source_scan_finds_the_known_events():
    # A guard on the scanner itself: literals, choices, f-strings and parameters followed through calls.
    assert {"agency.create", "user.deactivate", "task.take", "task.cancel_round_closed", "region.reactivate",
            "auth.login_locked", "scoring.round_open", "analysis.io_table_replaced"} <= ACTIONS
    assert len(ACTIONS) > 80


def test_every_recorded_action_has_a_label():
    assert sorted(ACTIONS - AUDIT_ACTIONS.keys()) == []


def test_every_recorded_action_is_in_an_area_of_the_filter():
    assert sorted(a for a in ACTIONS if a.split(".", 1)[0] not in AREAS) == []
    assert sorted(AREAS.keys() - {a.split(".", 1)[0] for a in ACTIONS}) == []  # no area that nothing fills


@pytest.mark.parametrize("language", ["fa", "en"])
def test_every_label_and_area_is_translated(app: Flask, language: str):
    with app.test_request_context(), force_locale(language):
        labels = {key: str(label) for key, label in {**AUDIT_ACTIONS, **AREAS}.items()}
    if language == "fa":
        untranslated = [key for key, label in labels.items() if label.isascii()]
        assert untranslated == []
    else:
        assert all(label.isascii() for label in labels.values())


def test_the_area_filter_finds_exactly_each_area_s_events(client):
    admin = make_user(role="admin", email="boss@example.ir")
    for area in AREAS:
        action = next(key for key in AUDIT_ACTIONS if key.split(".", 1)[0] == area)
        record(admin, action, None, summary=f"نمونهٔ {area}", object_type="tests")
    db.session.commit()
    signed_in(client, admin)
    stored = db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id.desc())).all()
    page = lxml.html.fromstring(client.get("/admin/audit/").text)
    options = page.xpath('//select[@id="audit-realm"]/option')
    assert [o.get("value") for o in options] == ["", *AREAS]
    assert all(not o.text_content().isascii() for o in options[1:])  # in Persian
    for area in AREAS:
        response = client.get(f"/admin/audit/?realm={area}")
        assert response.status_code == 200
        cells = lxml.html.fromstring(response.text).xpath('//td[@data-label="چه کاری"]')
        shown = [cell.xpath("string(span/@title | code)") for cell in cells]
        expected = [action for action in stored if action.split(".", 1)[0] == area]
        assert shown == expected and shown, area
        assert all(cell.xpath("span[@class='action']") for cell in cells), area  # each one in words
        options = lxml.html.fromstring(response.text).xpath('//select[@id="audit-realm"]/option[@selected]/@value')
        assert options == [area]
