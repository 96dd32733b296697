"""Time the functions chapter's bootstrap of the retention model on the sample company.

Usage (from the repository root)::

    python benchmarks/sbg_bootstrap.py 100 500 2000

For each number of draws, the script refits the sample's cohorts that many times with
the vectorised refits the chapter uses (``csmodels.bootstrap_sbg``) and, for the
smallest number only, one by one with the single-fit optimiser (L-BFGS-B), and prints
the wall times, the 90% interval of the first renewal rate, and the largest shortfall
of the vectorised log-likelihood against the one-by-one fit (about 0: the same optimum).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import csmodels as cs  # noqa: E402
from csmodels.lifetime import _log_likelihood, _mle, sbg_retention  # noqa: E402


def draws_of(model: cs.ShiftedBetaGeometric, draws: int, seed: int) -> list[np.ndarray]:
    """The bootstrap's samples, drawn as csmodels.bootstrap_sbg draws them."""
    rng = np.random.default_rng(seed)
    out = []
    for counts in model.cohorts_:
        life = rng.geometric(np.clip(rng.beta(model.alpha_, model.beta_, (draws, counts[0])),
                                     1e-12, 1.0))
        out.append(np.stack([(life > t).sum(axis=1) for t in range(len(counts))], axis=1))
    return out


def main(sizes: list[int]) -> None:
    panel = cs.ArrPanel.from_frame(cs.load_company(ROOT / "data" / "sample").arr_monthly)
    model = cs.ShiftedBetaGeometric().fit(cs.survivor_cohorts(panel).fittable())
    print("| draws | vectorised (s) | one by one (s) | first renewal, 90% | worst log-lik gap |")
    print("| ---: | ---: | ---: | --- | ---: |")
    for i, draws in enumerate(sorted(sizes)):
        start = time.perf_counter()
        boot = cs.bootstrap_sbg(model, draws=draws, seed=0)
        vectorised = time.perf_counter() - start
        low, high = boot.interval(sbg_retention(boot.alpha, boot.beta, 1), 0.9)
        single, gap = "", ""
        if i == 0:
            samples = draws_of(model, draws, 0)
            start = time.perf_counter()
            fits = [_mle([s[k] for s in samples], (model.alpha_, model.beta_), model.bounds)[0]
                    for k in range(draws)]
            single = f"{time.perf_counter() - start:.2f}"
            gaps = []
            for k in range(draws):
                cohorts = [s[k] for s in samples]
                gaps.append(_log_likelihood(*fits[k], cohorts)
                            - _log_likelihood(boot.alpha[k], boot.beta[k], cohorts))
            gap = f"{max(gaps):.2e}"
        print(f"| {draws} | {vectorised:.2f} | {single} | {low:.1%} to {high:.1%} | {gap} |")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [100, 500, 2000])
