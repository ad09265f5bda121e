"""The analytics package (issue 7) against the bare numpy primitive each function rests on, in the same run.

Sizes from the issue: TOPSIS and weighted sum on 500 alternatives × 30 criteria; aggregation over 1,000 scorers
(their 10 × 10 AHP matrices, and their 50 × 30 score matrices); rank stability with 10,000 weight samples on the
500 × 30 matrix; input-output on a 500-sector table. The measured call takes pandas objects (labels kept, inputs
checked) where the product would; the baseline is the same arithmetic on bare arrays with no checks and no labels.
Times are printed, never asserted.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from benchmarks.harness import report
from planapp.analytics import aggregate_pairwise, aggregate_scores, input_output, rank_stability, topsis, weighted_sum

ALTERNATIVES, CRITERIA, SCORERS, SAMPLES, SECTORS = 500, 30, 1000, 10_000, 500


def paired(name: str, measured, baseline, baseline_name: str, repeat: int = 7, number: int = 1) -> None:
    """Best-of-``repeat`` of each, the two alternating round by round so that a busy machine slows both alike."""
    best = [float("inf"), float("inf")]
    for _ in range(repeat):
        for i, fn in enumerate((measured, baseline)):
            start = time.perf_counter()
            for _ in range(number):
                fn()
            best[i] = min(best[i], (time.perf_counter() - start) / number)
    report(name, best[0], best[1], baseline_name)


def _decision_problem(rng: np.random.Generator):
    x = rng.uniform(1, 9, size=(ALTERNATIVES, CRITERIA))
    w = rng.uniform(0.1, 1, size=CRITERIA)
    b = rng.random(CRITERIA) < 0.7
    names = [f"criterion {j}" for j in range(CRITERIA)]
    frame = pd.DataFrame(x, index=[f"core {i}" for i in range(ALTERNATIVES)], columns=names)
    return x, w / w.sum(), b, frame, pd.Series(w, index=names), pd.Series(b, index=names)


def _bare_topsis(x, w, b):
    v = x / np.sqrt((x * x).sum(axis=0)) * w
    ideal = np.where(b, v.max(axis=0), v.min(axis=0))
    anti = np.where(b, v.min(axis=0), v.max(axis=0))
    d_plus = np.sqrt(((v - ideal) ** 2).sum(axis=1))
    d_minus = np.sqrt(((v - anti) ** 2).sum(axis=1))
    return d_minus / (d_plus + d_minus)


def _bare_weighted_sum(x, w, b):
    low, high = x.min(axis=0), x.max(axis=0)
    return (np.where(b, x - low, high - x) / (high - low)) @ w


def bench_analytics() -> None:
    print(f"Analytics (numpy {np.__version__}, pandas {pd.__version__})", flush=True)
    rng = np.random.default_rng(2026)
    x, w, b, frame, weights, benefit = _decision_problem(rng)

    paired(f"TOPSIS {ALTERNATIVES} × {CRITERIA}", lambda: topsis(frame, weights, benefit),
           lambda: _bare_topsis(x, w, b), "bare numpy TOPSIS", number=20)
    paired(f"weighted sum {ALTERNATIVES} × {CRITERIA}", lambda: weighted_sum(frame, weights, benefit),
           lambda: _bare_weighted_sum(x, w, b), "normalise-and-dot", number=20)

    judges = rng.choice([1 / 9, 1 / 7, 1 / 5, 1 / 3, 1, 3, 5, 7, 9], size=(SCORERS, 10, 10))
    upper = np.triu_indices(10, 1)
    for matrix in judges:
        matrix[upper[1], upper[0]] = 1 / matrix[upper]
        np.fill_diagonal(matrix, 1)
    paired(f"aggregate_pairwise, {SCORERS} judges × 10 × 10", lambda: aggregate_pairwise(judges),
           lambda: np.exp(np.log(judges).mean(axis=0)), "exp(mean(log)) over the stack", number=5)
    scores = rng.integers(1, 10, size=(SCORERS, 50, 30)).astype(float)
    scores[rng.random(scores.shape) < 0.05] = np.nan  # a few cells left blank
    paired(f"aggregate_scores mean, {SCORERS} scorers × 50 × 30", lambda: aggregate_scores(scores),
           lambda: np.nanmean(scores, axis=0), "numpy.nanmean over the stack", number=5)

    normalised = x / np.sqrt((x * x).sum(axis=0))
    gaps = (normalised - normalised.max(axis=0)) ** 2, (normalised - normalised.min(axis=0)) ** 2

    def bare_products(count: int) -> None:
        drawn = np.random.default_rng(0).dirichlet(50 * w, size=SAMPLES)
        for gap in gaps[:count]:
            drawn @ gap.T

    baselines = {"weighted_sum": (1, "Dirichlet draw + one product"), "topsis": (2, "Dirichlet draw + two products")}
    for method, (count, name) in baselines.items():
        paired(f"rank_stability {method}, {SAMPLES} samples, top 3",
               lambda m=method: rank_stability(frame, weights, benefit, method=m),
               lambda c=count: bare_products(c), name, repeat=5)

    z = rng.uniform(0, 1, size=(SECTORS, SECTORS)) * (rng.random((SECTORS, SECTORS)) < 0.2)
    output = z.sum(axis=0) / rng.uniform(0.3, 0.7, size=SECTORS)
    sectors = [f"sector {i}" for i in range(SECTORS)]
    table, totals = pd.DataFrame(z, index=sectors, columns=sectors), pd.Series(output, index=sectors)
    i_minus_a = np.eye(SECTORS) - z / output
    paired(f"input_output, {SECTORS} sectors", lambda: input_output(table, totals),
           lambda: np.linalg.solve(i_minus_a, np.eye(SECTORS)), "numpy.linalg.solve(I − A, I)")
    paired(f"input_output, {SECTORS} sectors (vs inv)", lambda: input_output(table, totals),
           lambda: np.linalg.inv(i_minus_a), "numpy.linalg.inv(I − A)")


if __name__ == "__main__":
    bench_analytics()
