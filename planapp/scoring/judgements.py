"""Pairwise judgements of criteria on Saaty's scale, and what AHP makes of them: the choices of the pairwise form
(the upper triangle), those saved, and the weights and consistency ratio they give — or why they give none."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from flask_babel import lazy_gettext as _l

from planapp.analytics import AHPResult, AnalyticsError, ahp
from planapp.scoring import queries
from planapp.scoring.messages import analytics_message
from planapp.scoring.models import Criterion

# Saaty's scale: the choices of a pairwise select, from "the first is extremely more important" to the reverse.
SCALE = ("9", "8", "7", "6", "5", "4", "3", "2", "1", "1/2", "1/3", "1/4", "1/5", "1/6", "1/7", "1/8", "1/9")
SCALE_VALUES = {text: (1 / int(text[2:]) if text.startswith("1/") else float(text)) for text in SCALE}



def scale_text(value: float) -> str:
    """The Saaty choice nearest a stored value: 3.0 → "3", 0.2 → "1/5"."""
    return str(round(value)) if value >= 1 else f"1/{round(1 / value)}"



@dataclass
class Judged:
    """The AHP outcome of a pairwise form: weights and CR, or the reason there are none (in the user's language)."""

    choices: dict[tuple[int, int], str]  # (a, b) of the upper triangle → a Saaty choice such as "3" or "1/5"
    result: AHPResult | None = None
    problem: str = ""

    @property
    def warn(self) -> bool:
        return self.result is not None and not self.result.acceptable


def pairs(criteria: list[Criterion]) -> list[tuple[Criterion, Criterion]]:
    """The upper triangle, in the criteria's order."""
    return [(a, b) for i, a in enumerate(criteria) for b in criteria[i + 1:]]


def stored_choices(matrix_id: int, criteria: list[Criterion]) -> dict[tuple[int, int], str]:
    """Saved judgements as choices of the upper triangle (a pair saved the other way round is inverted)."""
    stored = {(j.criterion_a_id, j.criterion_b_id): j.value for j in queries.list_judgements(matrix_id)}
    choices = {}
    for a, b in pairs(criteria):
        if (a.id, b.id) in stored:
            choices[(a.id, b.id)] = scale_text(stored[(a.id, b.id)])
        elif (b.id, a.id) in stored:
            choices[(a.id, b.id)] = scale_text(1 / stored[(b.id, a.id)])
    return choices


def judge(criteria: list[Criterion], choices: dict[tuple[int, int], str]) -> Judged:
    """AHP over the choices; a missing or unknown choice, or an analytics refusal, becomes `problem`."""
    view = Judged(choices)
    if len(criteria) < 2:
        view.problem = str(_l("Add at least two criteria to compare them."))
        return view
    ids = [c.id for c in criteria]
    table = np.ones((len(ids), len(ids)))
    for a, b in pairs(criteria):
        choice = choices.get((a.id, b.id))
        if choice not in SCALE_VALUES:
            view.problem = str(_l("Compare every pair of criteria."))
            return view
        i, j = ids.index(a.id), ids.index(b.id)
        table[i, j], table[j, i] = SCALE_VALUES[choice], 1 / SCALE_VALUES[choice]
    try:
        view.result = ahp(pd.DataFrame(table, index=ids, columns=ids))
    except AnalyticsError as error:
        view.problem = analytics_message(error)
    return view
