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
