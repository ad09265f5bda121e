"""Candidates suggested from the data: sections with a location quotient above 1 (province vs nation)."""

from __future__ import annotations

import pytest

from planapp.extensions import db
from planapp.indicators.models import IndicatorValue, Region, RegionKind
from planapp.scoring.suggest import location_quotient_suggestions
from tests.scoring_data import known_quotients


def test_sections_above_one_in_the_latest_common_year_highest_first(ctx):
    known_quotients()
    found = location_quotient_suggestions("آذربایجان شرقی", "fa")
    assert (found.year, found.indicator, found.problem) == (1403, "شاغلان به تفکیک بخش", "")
    assert [(s.code, s.lq) for s in found.items] == [("A", pytest.approx(3.0)), ("C", pytest.approx(2.5))]
    assert found.note_for(found.items[0], "fa") == "ضریب مکانی ۳٫۰۰ (شاغلان به تفکیک بخش، ۱۴۰۳)"
    assert location_quotient_suggestions("آذربایجان شرقی", "en").indicator == "Employment by sector"


def test_the_only_province_is_used_when_the_plan_names_another_and_two_make_it_ambiguous(ctx):
    known_quotients()
    assert len(location_quotient_suggestions("استانی دیگر", "fa").items) == 2
    db.session.add(Region(code="WA", name="استان آذربایجان غربی", kind=RegionKind.PROVINCE))
    db.session.commit()
    assert location_quotient_suggestions("آذربایجان شرقی", "fa").items  # named: still found
    assert location_quotient_suggestions("استانی دیگر", "fa").problem


def test_no_data_or_no_common_year_is_explained_not_an_error(ctx):
    assert location_quotient_suggestions("آذربایجان شرقی", "fa").problem
    known_quotients()
    nation = db.session.query(Region).filter_by(code="IR").one()
    db.session.query(IndicatorValue).filter_by(region_id=nation.id).delete()
    db.session.commit()
    found = location_quotient_suggestions("آذربایجان شرقی", "fa")
    assert not found.items and found.problem


def test_a_province_like_the_nation_has_no_suggestion(ctx):
    known_quotients()
    db.session.query(IndicatorValue).filter(IndicatorValue.year == 1403).update({"value": 10.0})
    db.session.commit()
    found = location_quotient_suggestions("آذربایجان شرقی", "fa")
    assert not found.items and found.problem
