"""Timing helpers: best-of-N wall time, and a ratio line against a baseline from the same run."""

from __future__ import annotations

import time
from collections.abc import Callable


def best_time(fn: Callable[[], object], repeat: int = 5, number: int = 1) -> float:
    """Seconds per call: the best of `repeat` rounds of `number` calls (the least disturbed by the machine)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - start) / number)
    return best


def report(name: str, measured: float, baseline: float, baseline_name: str) -> str:
    line = (
        f"{name:<48} {measured * 1000:9.2f} ms   baseline ({baseline_name}) {baseline * 1000:8.2f} ms"
        f"   ratio {measured / baseline:6.2f}x"
    )
    print(line, flush=True)
    return line


def percentile(samples: list[float], fraction: float) -> float:
    """The nearest-rank percentile (fraction 0.5 is the median, 0.95 the p95) of some timings."""
    ordered = sorted(samples)
    rank = max(1, min(len(ordered), -(-len(ordered) * fraction // 1)))  # ceil(n * fraction), within 1..n
    return ordered[int(rank) - 1]


def report_distribution(name: str, measured: list[float], baseline: list[float], baseline_name: str) -> str:
    """Median and p95 of `measured`, each as a ratio to the same statistic of `baseline` (same run)."""
    lines = []
    for label, fraction in (("median", 0.5), ("p95", 0.95)):
        m, b = percentile(measured, fraction), percentile(baseline, fraction)
        lines.append(f"{f'{name} ({label})':<48} {m * 1000:9.2f} ms   baseline ({baseline_name}) {b * 1000:8.2f} ms"
                     f"   ratio {m / b:6.2f}x")
    text = "\n".join(lines)
    print(text, flush=True)
    return text
