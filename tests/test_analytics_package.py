"""The analytics package stays pure: no Flask, no database, no other PlanApp module, and one error type."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import planapp.analytics as analytics
from planapp.analytics import AnalyticsError, factor_evaluation, ie_matrix_cell

PLANAPP = Path(analytics.__file__).resolve().parent.parent
PUBLIC = {
    "location_quotient", "shift_share", "input_output", "specialization", "herfindahl", "factor_evaluation",
    "ahp", "aggregate_pairwise", "aggregate_scores", "weighted_sum", "topsis", "kendall_w", "rank_stability",
}


def test_importing_the_package_loads_no_flask_database_or_other_planapp_module():
    # planapp/__init__.py builds the Flask app, so the parent package is replaced by a bare one: what is measured
    # is what planapp.analytics itself pulls in.
    code = (
        "import json, sys, types; "
        f"parent = types.ModuleType('planapp'); parent.__path__ = [{str(PLANAPP)!r}]; "
        "sys.modules['planapp'] = parent; import planapp.analytics; "
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'flask', 'sqlalchemy', 'flask_sqlalchemy', 'werkzeug', 'jinja2', 'psycopg', 'psycopg2'} "
        "or (m.startswith('planapp.') and not m.startswith('planapp.analytics')))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


def test_every_public_function_is_exported_and_documented():
    assert set(analytics.__all__) >= PUBLIC
    for name in PUBLIC:
        doc = getattr(analytics, name).__doc__
        assert doc and ("=" in doc or "Formula" in doc), name


def test_the_error_is_a_value_error_with_a_code():
    error = AnalyticsError("nan", "The weights have a missing value.")
    assert isinstance(error, ValueError)
    assert (error.code, str(error)) == ("nan", "The weights have a missing value.")


def test_factor_evaluation_errors_carry_codes_too():
    with pytest.raises(AnalyticsError) as caught:
        factor_evaluation([0.5, 0.4], [3, 3])
    assert caught.value.code == "not_normalised"
    with pytest.raises(AnalyticsError) as caught:
        factor_evaluation([0.5, 0.5], [3, 5])
    assert caught.value.code == "out_of_range"
    with pytest.raises(AnalyticsError) as caught:
        ie_matrix_cell(0.5, 2.0)
    assert caught.value.code == "out_of_range"
