"""Input checks shared by the analytics functions: one error type with a stable code, and label-aware conversion.

Every function of the package turns its inputs into float numpy arrays here, keeping the pandas labels (index,
columns) so that the outputs carry them. Two pandas inputs are matched by label, never by position.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import pandas as pd


class AnalyticsError(ValueError):
    """Invalid input to an analytics function: ``str(error)`` is a planner's message, ``error.code`` a stable key.

    Codes: ``not_numeric``, ``nan``, ``negative``, ``not_positive``, ``zero_total``, ``zero_sector``, ``not_square``,
    ``not_reciprocal``, ``singular``, ``not_productive``, ``wrong_length``, ``wrong_shape``, ``labels``,
    ``too_few``, ``too_many``, ``bad_option``, ``no_difference``; for the IFE/EFE functions also ``not_normalised``
    (weights not summing to 1) and ``out_of_range`` (a rating or total off its scale). A user interface translates
    by code.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


Labels = pd.Index | None


def _floats(values: Any, name: str) -> np.ndarray:
    if isinstance(values, pd.Series | pd.DataFrame):
        values = values.to_numpy()
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise AnalyticsError("not_numeric", f"The {name} must be numbers.") from None
    return array


def _finite(array: np.ndarray, name: str, labels: Sequence[Hashable] | None = None) -> None:
    bad = np.argwhere(~np.isfinite(array))
    if bad.size:
        where = _where(bad[0], labels)
        raise AnalyticsError("nan", f"The {name} has a missing or non-finite value{where}.")


def _where(position: np.ndarray, labels: Sequence[Hashable] | None) -> str:
    if position.size == 1 and labels is not None:
        return f" for {labels[int(position[0])]!r}"
    if position.size == 1:
        return f" at position {int(position[0]) + 1}"
    return " at row {}, column {}".format(*(int(p) + 1 for p in position[:2]))


def vector(values: Any, name: str, *, non_negative: bool = True, minimum: int = 1) -> tuple[np.ndarray, Labels]:
    """A 1-D float array and its labels (the Series index, or None): finite, non-negative unless told otherwise."""
    labels = _series_labels(values, name)
    array = _floats(values, name)
    if array.ndim != 1:
        raise AnalyticsError("wrong_shape", f"The {name} must be a single list of numbers.")
    if array.size < minimum:
        raise AnalyticsError("too_few", f"The {name} needs at least {minimum} value(s); it has {array.size}.")
    _finite(array, name, labels)
    if non_negative:
        negative = np.flatnonzero(array < 0)
        if negative.size:
            raise AnalyticsError("negative", f"The {name} has a negative value{_where(negative[:1], labels)}; "
                                 "it cannot be below zero.")
    return array, labels


def _series_labels(values: Any, name: str) -> Labels:
    if not isinstance(values, pd.Series):
        return None
    if values.index.has_duplicates:
        raise AnalyticsError("labels", f"The {name} names the same item twice.")
    return values.index


def align(values: Sequence[Any], names: Sequence[str], **checks: Any) -> tuple[list[np.ndarray], Labels]:
    """Several 1-D inputs about the same items: Series are matched by label (reordered to the first Series'
    order), arrays by position; the lengths must agree. Returns the arrays and the common labels (or None)."""
    labels: Labels = None
    reordered = []
    for value, name in zip(values, names, strict=True):
        if isinstance(value, pd.Series):
            own = _series_labels(value, name)
            if labels is None:
                labels = own
            elif set(own) != set(labels) or len(own) != len(labels):
                raise AnalyticsError("labels", f"The {name} and the {names[0]} are not about the same items: "
                                     f"{_difference(labels, own)}.")
            else:
                value = value.reindex(labels)
        reordered.append(value)
    arrays = [vector(value, name, **checks)[0] for value, name in zip(reordered, names, strict=True)]
    for array, name in zip(arrays[1:], names[1:], strict=True):
        if array.size != arrays[0].size:
            raise AnalyticsError("wrong_length", f"There are {arrays[0].size} {names[0]} values but {array.size} "
                                 f"{name} values: each item needs one of each.")
    return arrays, labels


def _difference(expected: pd.Index, got: pd.Index) -> str:
    missing = [label for label in expected if label not in set(got)]
    extra = [label for label in got if label not in set(expected)]
    parts = []
    if missing:
        parts.append("missing " + ", ".join(map(repr, missing[:5])))
    if extra:
        parts.append("unexpected " + ", ".join(map(repr, extra[:5])))
    return "; ".join(parts) or "different labels"


def matrix(values: Any, name: str, *, square: bool = False) -> tuple[np.ndarray, Labels, Labels]:
    """A 2-D finite float array with its row and column labels (None for plain arrays).

    A square DataFrame must name the same items in its rows and columns; its columns are put in the row order."""
    rows: Labels = None
    cols: Labels = None
    if isinstance(values, pd.DataFrame):
        rows, cols = values.index, values.columns
        if rows.has_duplicates or cols.has_duplicates:
            raise AnalyticsError("labels", f"The {name} names the same row or column twice.")
        if square and values.shape[0] == values.shape[1]:
            if set(rows) != set(cols):
                raise AnalyticsError("labels", f"The rows and the columns of the {name} are not the same items: "
                                     f"{_difference(rows, cols)}.")
            values = values.reindex(columns=rows)
            cols = rows
    array = _floats(values, name)
    if array.ndim != 2:
        raise AnalyticsError("wrong_shape", f"The {name} must be a table (rows and columns).")
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise AnalyticsError("too_few", f"The {name} is empty.")
    if square and array.shape[0] != array.shape[1]:
        raise AnalyticsError("not_square", f"The {name} must be square (as many rows as columns); it is "
                             f"{array.shape[0]} × {array.shape[1]}.")
    bad = np.argwhere(~np.isfinite(array))
    if bad.size:
        r, c = (int(p) for p in bad[0])
        where = (f"row {rows[r]!r}, column {cols[c]!r}" if rows is not None and cols is not None
                 else f"row {r + 1}, column {c + 1}")
        raise AnalyticsError("nan", f"The {name} has a missing or non-finite value at {where}.")
    return array, rows, cols


def cell(rows: Labels, cols: Labels, r: int, c: int) -> str:
    if rows is not None and cols is not None:
        return f"row {rows[r]!r}, column {cols[c]!r}"
    return f"row {r + 1}, column {c + 1}"


def label_of(labels: Labels, i: int) -> str:
    return repr(labels[i]) if labels is not None else f"number {i + 1}"


def series(values: np.ndarray, labels: Labels, name: str) -> pd.Series:
    return pd.Series(values, index=labels if labels is not None else pd.RangeIndex(len(values)), name=name)
