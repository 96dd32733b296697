"""Time and peak memory of the reporting chapter's robustness check.

Usage (from the repository root)::

    python benchmarks/reporting_robustness.py 10000 100000 1000000

For each number of draws, :func:`csmodels.reporting.monte_carlo` runs on the sample's
weights and the scale-up scores, once drawing the weights only and once drawing the
scores from their ranges too; the script prints the wall time and the peak memory
Python allocated (``tracemalloc``), so the chapter's ``n_draws`` parameter can be set
knowing what it costs.
"""

from __future__ import annotations

import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from csmodels import load_profile, reporting  # noqa: E402


def measure(n: int, vary_scores: bool) -> tuple[float, float]:
    """Seconds and peak MiB of one robustness check with ``n`` draws."""
    weights = load_profile(ROOT / "data" / "sample" / "profile.yml").reporting_weights
    table = reporting.scores("scale-up")
    ranges = {"low": reporting.score_matrix(table, "low"),
              "high": reporting.score_matrix(table, "high")} if vary_scores else {}
    tracemalloc.start()
    start = time.perf_counter()
    reporting.monte_carlo(weights, n=n, matrix=reporting.score_matrix(table), **ranges)
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return seconds, peak


def main(sizes: list[int]) -> None:
    print("| draws | weights only | | weights and scores | |")
    print("| ---: | ---: | ---: | ---: | ---: |")
    for n in sizes or [10_000, 100_000, 1_000_000]:
        (a, pa), (b, pb) = measure(n, False), measure(n, True)
        print(f"| {n:,} | {a:.2f} s | {pa:.0f} MiB | {b:.2f} s | {pb:.0f} MiB |")


if __name__ == "__main__":
    main([int(x) for x in sys.argv[1:]])
