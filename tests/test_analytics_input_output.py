"""Input-output analysis checked against Miller and Blair's two-sector example, plus the Leontief identity.

Source: R. E. Miller and P. D. Blair, *Input-Output Analysis: Foundations and Extensions*, 2nd ed. (Cambridge
University Press, 2009), section 2.3.1 "Numerical Example: Hypothetical Figures — Approach I" (the section is listed
in the book's table of contents, retrieved from a transcript at vdocument.in/input-output-analysis.html). The
transactions z₁₁ = 150, z₁₂ = 500, z₂₁ = 200, z₂₂ = 100 with outputs x = (1000, 2000), A = [[.15, .25], [.20, .05]]
and L = [[1.254, .330], [.264, 1.122]] are as recalled from that section: the excerpt retrieved did not include the
table itself, so these numbers could not be checked against the printed page. They are, however, exact consequences
of one another (det(I − A) = 0.7575, L = adj(I − A) / 0.7575), which the test also checks by hand.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from planapp.analytics import AnalyticsError, InputOutput, input_output

SECTORS = ["agriculture", "manufacturing"]
Z = pd.DataFrame([[150, 500], [200, 100]], index=SECTORS, columns=SECTORS)
X = pd.Series([1000, 2000], index=SECTORS)


def test_miller_blair_two_sector_example():
    result = input_output(Z, X)
    assert isinstance(result, InputOutput)
    assert result.A.to_numpy() == pytest.approx(np.array([[0.15, 0.25], [0.20, 0.05]]))
    assert result.L.to_numpy() == pytest.approx(np.array([[1.254, 0.330], [0.264, 1.122]]), abs=5e-4)
    assert result.L.to_numpy() == pytest.approx(np.array([[0.95, 0.25], [0.20, 0.85]]) / 0.7575)
    assert list(result.L.index) == SECTORS and list(result.L.columns) == SECTORS
    assert result.output_multipliers.to_numpy() == pytest.approx([1.518, 1.452], abs=5e-4)


def test_linkages_by_hand():
    result = input_output(Z, X)
    L = np.array([[0.95, 0.25], [0.20, 0.85]]) / 0.7575
    average = L.mean()
    assert result.backward_linkage.to_numpy() == pytest.approx(L.mean(axis=0) / average)
    assert result.forward_linkage.to_numpy() == pytest.approx(L.mean(axis=1) / average)
    # agriculture: BL = 1.518/2 / (2.970/4) = 1.0222, FL = 1.584/2 / 0.7426 = 1.0667 → a key sector
    assert result.backward_linkage["agriculture"] == pytest.approx(1.0222, abs=1e-4)
    assert result.forward_linkage["agriculture"] == pytest.approx(1.0667, abs=1e-4)
    assert result.key_sectors == ("agriculture",)
    assert result.backward_linkage.mean() == pytest.approx(1.0)
    assert result.forward_linkage.mean() == pytest.approx(1.0)


def test_labels_are_matched_not_positions():
    reordered = Z.loc[SECTORS[::-1], SECTORS]  # rows in another order than the columns
    result = input_output(reordered, X.iloc[::-1])
    assert list(result.A.index) == SECTORS[::-1]
    assert result.A.loc["agriculture", "manufacturing"] == pytest.approx(0.25)
    assert result.L.loc["manufacturing", "agriculture"] == pytest.approx(0.264, abs=5e-4)
    plain = input_output(Z.to_numpy(), X.to_numpy())
    assert plain.key_sectors == (0,)
    assert plain.L.to_numpy() == pytest.approx(input_output(Z, X).L.to_numpy())


@pytest.mark.parametrize(
    ("z", "x", "code", "message"),
    [
        ([[1, 2, 3], [4, 5, 6]], [10, 10], "not_square", "2 × 3"),
        ([[1, -2], [3, 4]], [10, 10], "negative", "row 1, column 2"),
        ([[1, np.nan], [3, 4]], [10, 10], "nan", "row 1, column 2"),
        ([[1, 2], [3, 4]], [10, np.nan], "nan", "total outputs"),
        ([[1, 2], [3, 4]], [10, 0], "zero_sector", "number 2 has no total output"),
        ([[1, 2], [3, 4]], [10, -1], "negative", "total outputs"),
        ([[1, 2], [3, 4]], [10, 10, 10], "wrong_length", "2 sectors but 3"),
        ([[5, 1], [6, 1]], [10, 10], "not_productive", "more intermediate inputs"),
        ([[5, 0], [5, 10]], [10, 10], "singular", "cannot be inverted"),
        ([[0, 10], [10, 0]], [10, 10], "singular", "cannot be inverted"),
        ([["a", 1], [1, 1]], [1, 1], "not_numeric", "must be numbers"),
        ([[]], [], "too_few", "empty"),
    ],
)
def test_invalid_tables_raise_coded_messages(z, x, code, message):
    with pytest.raises(AnalyticsError, match=message) as caught:
        input_output(z, x)
    assert caught.value.code == code


def test_outputs_for_other_sectors_are_refused():
    with pytest.raises(AnalyticsError, match="not for the sectors") as caught:
        input_output(Z, pd.Series([1000, 2000], index=["agriculture", "services"]))
    assert caught.value.code == "labels"
    other = Z.rename(columns={"manufacturing": "services"})
    with pytest.raises(AnalyticsError, match="not the same items") as caught:
        input_output(other, X)
    assert caught.value.code == "labels"


@settings(max_examples=100, deadline=None)
@given(
    arrays(float, (5, 5), elements=st.floats(0, 100)),
    arrays(float, 5, elements=st.floats(0.01, 0.99)),
)
def test_leontief_inverse_satisfies_the_identity(z, value_added_share):
    # outputs large enough that every column keeps a share of value added: (I − A) is then invertible
    x = z.sum(axis=0) / (1 - value_added_share) + 1.0
    result = input_output(z, x)
    a, leontief = result.A.to_numpy(), result.L.to_numpy()
    assert (np.eye(5) - a) @ leontief == pytest.approx(np.eye(5), abs=1e-9)
    assert (leontief >= -1e-12).all()
    assert result.output_multipliers.to_numpy() == pytest.approx(leontief.sum(axis=0))
    assert (result.output_multipliers >= 1 - 1e-12).all()
