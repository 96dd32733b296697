"""Customer lifetime value, two ways.

* **The simple formula**: value per year / churn, the sum of a geometric series
  with ratio 1 - churn. :func:`simple_ltv` gives it (infinite when churn <= 0,
  where the series diverges); :func:`capped_ltv` sums the series over a capped
  horizon, optionally discounted, and stays finite whatever the churn.
* **A fitted retention model**: the shifted-beta-geometric (sBG) model of Fader and
  Hardie (2007), "How to Project Customer Retention", *Journal of Interactive
  Marketing* 21(1): 76-90. Each customer renews every period with its own
  probability 1 - theta, and theta varies across customers as a beta(alpha, beta)
  distribution. The riskiest customers leave first, so the retention rate of the
  survivors rises with tenure. :class:`ShiftedBetaGeometric` fits alpha and beta by
  maximum likelihood to survivor counts; its discounted expected residual lifetime
  (DERL) is that of Fader and Hardie (2010), "Customer-Base Valuation in a
  Contractual Setting: The Perils of Ignoring Heterogeneity", *Marketing Science*
  29(1): 85-93.

:func:`survivor_cohorts` turns ``arr_monthly`` into the cohorts the model is fitted to.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.resources import files

import numpy as np
import pandas as pd

from ._checks import check_discount_rate, check_number
from .exceptions import ParameterError
from .metrics import ArrPanel, resolve_as_of

# ------------------------------------------------------------------ the simple formula


def simple_ltv(value_per_year: float, churn: float, discount: float = 0.0) -> float:
    """Lifetime value by the textbook formula: value per year / yearly churn.

    ``value_per_year`` is what an account earns the company a year (ARPA x gross
    margin). The formula is the sum of value x ((1 - churn) / (1 + discount))^t over
    t = 0, 1, ..., which is value x (1 + discount) / (discount + churn): value / churn
    without discounting. The series only converges when discount + churn > 0, so
    otherwise (undiscounted, churn <= 0: an NRR of 100% or more when churn is net
    revenue churn) the answer is ``math.inf``.

    >>> simple_ltv(30_000.0, 0.10), simple_ltv(30_000.0, -0.02)
    (300000.0, inf)
    >>> round(simple_ltv(30_000.0, -0.02, discount=0.10))  # discounting rescues it
    412500
    """
    _check_value(value_per_year)
    _check_churn(churn)
    _check_discount(discount)
    rate = discount + churn
    return value_per_year * (1 + discount) / rate if rate > 0 else math.inf


def capped_ltv(value_per_year: float, churn: float, years: int,
               discount: float = 0.0) -> float:
    """The same series summed over ``years`` years, each discounted at ``discount``.

    sum over t = 0 .. years-1 of value x ((1 - churn) / (1 + discount))^t: the first
    year's value is counted in full, as in :func:`simple_ltv`. Finite for any churn.

    >>> round(capped_ltv(100.0, 0.5, 3), 6)  # 100 + 50 + 25
    175.0
    >>> round(capped_ltv(100.0, -0.1, 2), 6)  # net churn below zero: 100 + 110
    210.0
    """
    _check_value(value_per_year)
    _check_churn(churn)
    years = check_number("years", years, low=1, whole=True)
    _check_discount(discount)
    ratio = (1 - churn) / (1 + discount)
    return float(value_per_year * np.sum(ratio ** np.arange(int(years))))


def ltv_by_horizon(value_per_year: float, churns: dict[str, float], max_years: int = 20,
                   discount: float = 0.0) -> pd.DataFrame:
    """:func:`capped_ltv` for every cap from 1 to ``max_years`` and each named churn.

    Returns
    -------
    DataFrame
        Columns ``measure``, ``churn``, ``years``, ``ltv``, ``formula`` (the uncapped
        :func:`simple_ltv`, ``inf`` when it diverges).
    """
    rows = [{"measure": name, "churn": churn, "years": years,
             "ltv": capped_ltv(value_per_year, churn, years, discount),
             "formula": simple_ltv(value_per_year, churn, discount)}
            for name, churn in churns.items() for years in range(1, max_years + 1)]
    return pd.DataFrame(rows)


def ltv_table(value_per_year: float, churns: dict[str, float], years: int,
              discount: float) -> pd.DataFrame:
    """The simple formula three ways for each named churn: uncapped and undiscounted
    (``inf`` where it diverges), capped at ``years``, and discounted at ``discount``.

    >>> t = ltv_table(100.0, {"gross": 0.1, "net": -0.05}, years=2, discount=0.1)
    >>> t["formula"].tolist(), [round(v, 2) for v in t["capped"]]
    ([1000.0, inf], [190.0, 205.0])
    """
    return pd.DataFrame([{
        "measure": name, "churn": churn, "formula": simple_ltv(value_per_year, churn),
        "capped": capped_ltv(value_per_year, churn, years),
        "discounted": simple_ltv(value_per_year, churn, discount)}
        for name, churn in churns.items()])


def _check_value(value: float) -> None:
    check_number("The value per year", value, low=0)


def _check_churn(churn: float) -> None:
    check_number("churn", churn, below=1, rule="a finite number below 1 (a share lost per "
                 "year; negative for net churn when NRR is above 100%)")


def _check_discount(discount: float) -> None:
    check_discount_rate(discount)


# ----------------------------------------------------------- shifted-beta-geometric


class ShiftedBetaGeometric:
    """The shifted-beta-geometric retention model of Fader and Hardie (2007).

    Parameters
    ----------
    initial : tuple of float
        Starting values of (alpha, beta) for the likelihood search.
    bounds : tuple of float
        The smallest and largest value either parameter may take. A cohort with
        the same retention rate every period pushes both towards the upper bound
        (no heterogeneity: a plain geometric model).

    Attributes
    ----------
    alpha_, beta_ : float
        Maximum-likelihood estimates; churn probabilities follow beta(alpha, beta).
    log_likelihood_ : float
        The log-likelihood at the estimates.
    cohorts_ : tuple of tuple of int
        The survivor counts fitted to, one tuple per cohort.
    n_periods_ : int
        The most periods any cohort was observed for.

    Examples
    --------
    The "regular" cohort of Fader and Hardie (2007), Table 1:

    >>> m = ShiftedBetaGeometric().fit([1000, 631, 468, 382, 326, 289, 262, 241])
    >>> round(m.alpha_, 3), round(m.beta_, 3)
    (0.704, 1.182)
    >>> [round(float(r), 3) for r in m.retention_rate([1, 2, 10])]
    [0.627, 0.756, 0.935]
    """

    def __init__(self, initial: tuple[float, float] = (1.0, 1.0),
                 bounds: tuple[float, float] = (1e-3, 1e4)):
        self.initial = initial
        self.bounds = bounds

    def fit(self, survivors) -> ShiftedBetaGeometric:
        """Estimate alpha and beta by maximum likelihood.

        Parameters
        ----------
        survivors : sequence of int, or sequence of such sequences, or DataFrame
            One cohort: its size, then how many are still customers after period
            1, 2, ... (e.g. ``[1000, 631, 468]``). Several cohorts: one sequence per
            cohort, of any lengths (or a DataFrame with one row per cohort, trailing
            NaN where a cohort is too young). Each cohort needs at least one period
            and one cohort at least two. The last count of each cohort is
            right-censored: those customers may leave later.

        Returns
        -------
        self

        Raises
        ------
        ParameterError
            For counts that are not whole numbers >= 0, that increase, or too few periods.
        """
        cohorts = _check_cohorts(survivors)
        low, high = self.bounds
        if not 0 < low < high:
            raise ParameterError(f"bounds must be two numbers 0 < low < high, not {self.bounds}.")
        (self.alpha_, self.beta_), self.log_likelihood_ = _mle(cohorts, self.initial, self.bounds)
        self.cohorts_ = tuple(tuple(int(n) for n in c) for c in cohorts)
        self.n_periods_ = max(len(c) for c in cohorts) - 1
        return self

    @property
    def at_bound_(self) -> bool:
        """Whether an estimate sits at a bound: the data cannot tell how much customers
        differ (at the upper bound both grow together towards a constant churn rate)."""
        a, b = self._fitted()
        low, high = self.bounds
        return any(not (low * 1.01 < v < high / 1.01) for v in (a, b))

    def survival(self, t) -> np.ndarray:
        """Share of a new cohort still customers after ``t`` periods: B(a, b + t) / B(a, b).

        >>> m = ShiftedBetaGeometric().fit([1000, 869, 743, 653, 593, 551, 517, 491])
        >>> [round(float(s), 3) for s in m.survival([0, 1, 7])]
        [1.0, 0.851, 0.489]
        """
        a, b = self._fitted()
        t = _periods(t, least=0)
        from scipy.special import betaln
        return np.exp(betaln(a, b + t) - betaln(a, b))

    def retention_rate(self, t) -> np.ndarray:
        """Share of period t - 1's customers who renew for period t: (b + t - 1) / (a + b + t - 1).

        >>> m = ShiftedBetaGeometric().fit([1000, 869, 743, 653, 593, 551, 517, 491])
        >>> round(float(m.retention_rate(1)), 3)
        0.851
        """
        a, b = self._fitted()
        t = _periods(t, least=1)
        return (b + t - 1) / (a + b + t - 1)

    def derl(self, discount: float, renewals: int = 0) -> float:
        """Discounted expected residual lifetime (Fader and Hardie 2010, eq. 6).

        The expected number of payments still to come, each discounted at
        ``discount`` a period, from a customer who has made ``renewals`` renewals
        and whose contract is up for renewal now (so the next payment, if they
        renew, is not discounted):

            DERL = (b + n) / (a + b + n) x 2F1(1, b + n + 1; a + b + n + 1; 1 / (1 + d)).

        Undiscounted (``discount`` = 0) it is (b + n) / (a - 1) when alpha > 1 and
        infinite otherwise: with enough heterogeneity the expected lifetime diverges.
        A ``discount`` below 0 is refused (:func:`csmodels._checks.check_discount_rate`).

        >>> m = ShiftedBetaGeometric().fit([1000, 869, 743, 653, 593, 551, 517, 491])
        >>> round(m.derl(0.10), 2), round(m.derl(0.10, renewals=4), 2)
        (5.41, 6.9)
        """
        a, b = self._fitted()
        _check_discount(discount)
        n = check_number("renewals", renewals, low=0, whole=True)
        if discount == 0:
            return (b + n) / (a - 1) if a > 1 else math.inf
        from scipy.special import hyp2f1
        series = hyp2f1(1, b + n + 1, a + b + n + 1, 1 / (1 + discount))
        return float((b + n) / (a + b + n) * series)

    def lifetime_value(self, value_per_period: float, discount: float) -> float:
        """Expected discounted value of a new customer: the first payment now, then a
        renewal payment each period it stays, value x (1 + DERL(d, 0) / (1 + d)).

        >>> m = ShiftedBetaGeometric().fit([1000, 869, 743, 653, 593, 551, 517, 491])
        >>> round(m.lifetime_value(100.0, 0.10), 1)
        592.2
        """
        _check_value(value_per_period)
        return value_per_period * (1 + self.derl(discount, 0) / (1 + discount))

    def _fitted(self) -> tuple[float, float]:
        if not hasattr(self, "alpha_"):
            raise ParameterError("The model is not fitted yet: call fit(survivors) first.")
        return self.alpha_, self.beta_

    def __repr__(self) -> str:
        fitted = (f", alpha_={self.alpha_:.4g}, beta_={self.beta_:.4g}"
                  if hasattr(self, "alpha_") else "")
        return f"ShiftedBetaGeometric(initial={self.initial}, bounds={self.bounds}{fitted})"


def _mle(cohorts: list[np.ndarray], initial: tuple[float, float],
         bounds: tuple[float, float]) -> tuple[tuple[float, float], float]:
    """(alpha, beta) maximising the likelihood within ``bounds``, and the log-likelihood.

    No checks: a sample with no churn (or no survivor) ends at a bound, which the
    bootstrap needs to count rather than to refuse.
    """
    low, high = bounds
    start = np.log(np.clip(np.asarray(initial, dtype=float), low, high))
    from scipy.optimize import minimize  # imported here: scipy costs ~0.7 s at start-up
    result = minimize(_objective, start, args=(cohorts,), jac=True, method="L-BFGS-B",
                      bounds=[(math.log(low), math.log(high))] * 2,
                      options={"ftol": 1e-15, "gtol": 1e-9, "maxiter": 2000})
    a, b = (float(v) for v in np.exp(result.x))
    return (a, b), float(-result.fun)


def _ll_grad_hess(x: np.ndarray, samples: list[np.ndarray]):
    """Log-likelihood, gradient and Hessian in (log alpha, log beta) for many samples at
    once: ``x`` is (draws, 2), each of ``samples`` a (draws, periods + 1) array of counts
    of one cohort."""
    from scipy.special import betaln, digamma, polygamma

    a, b = np.exp(x[:, 0])[:, None], np.exp(x[:, 1])[:, None]
    ll = np.zeros(len(x))
    ga, gb, haa, hab, hbb = (np.zeros((len(x), 1)) for _ in range(5))

    def add(weight, da, db):
        """weight x [ln B(a + da, b + db) - ln B(a, b)], summed over the last axis."""
        nonlocal ll, ga, gb, haa, hab, hbb
        s = a + b
        ll = ll + np.sum(weight * (betaln(a + da, b + db) - betaln(a, b)), axis=1)
        t1, t0 = polygamma(1, s + da + db), polygamma(1, s)
        ga = ga + np.sum(weight * (digamma(a + da) - digamma(s + da + db)
                                   - digamma(a) + digamma(s)), axis=1, keepdims=True)
        gb = gb + np.sum(weight * (digamma(b + db) - digamma(s + da + db)
                                   - digamma(b) + digamma(s)), axis=1, keepdims=True)
        haa = haa + np.sum(weight * (polygamma(1, a + da) - t1 - polygamma(1, a) + t0), axis=1,
                           keepdims=True)
        hab = hab + np.sum(weight * (t0 - t1), axis=1, keepdims=True)
        hbb = hbb + np.sum(weight * (polygamma(1, b + db) - t1 - polygamma(1, b) + t0), axis=1,
                           keepdims=True)

    for counts in samples:
        t = np.arange(1, counts.shape[1])[None, :]
        add(counts[:, :-1] - counts[:, 1:], 1.0, t - 1.0)  # lost in period t: P(T = t)
        add(counts[:, -1:], 0.0, float(counts.shape[1] - 1))  # still there: S(last)
    # to log space: d/dx = a d/da, d2/dx2 = a^2 d2/da2 + a d/da
    grad = np.hstack([a * ga, b * gb])
    hess = np.empty((len(x), 2, 2))
    hess[:, 0, 0] = (a * a * haa + a * ga)[:, 0]
    hess[:, 1, 1] = (b * b * hbb + b * gb)[:, 0]
    hess[:, 0, 1] = hess[:, 1, 0] = (a * b * hab)[:, 0]
    return ll, grad, hess


def _mle_many(samples: list[np.ndarray], start: tuple[float, float],
              bounds: tuple[float, float], iterations: int = 500) -> np.ndarray:
    """Maximum-likelihood (alpha, beta) of many samples at once, (draws, 2).

    Levenberg-Marquardt steps in (log alpha, log beta), every draw in one array: a
    step that lowers a draw's likelihood is refused and that draw's damping raised,
    so each draw climbs; estimates are held within ``bounds``, where a sample with no
    churn (or no survivor) ends.
    """
    lo, hi = np.log(bounds[0]), np.log(bounds[1])
    x = np.tile(np.log(np.clip(start, *bounds)), (samples[0].shape[0], 1))
    ll, grad, hess = _ll_grad_hess(x, samples)
    damping = np.full(len(x), 1e-3)
    for _ in range(iterations):
        system = -hess + damping[:, None, None] * np.eye(2)
        try:
            step = np.linalg.solve(system, grad[..., None])[..., 0]
        except np.linalg.LinAlgError:
            step = grad / (damping[:, None] + 1.0)
        trial = np.clip(x + step, lo, hi)
        ll_new, grad_new, hess_new = _ll_grad_hess(trial, samples)
        better = ll_new >= ll
        x = np.where(better[:, None], trial, x)
        ll = np.where(better, ll_new, ll)
        grad = np.where(better[:, None], grad_new, grad)
        hess = np.where(better[:, None, None], hess_new, hess)
        damping = np.clip(np.where(better, damping / 3, damping * 4), 1e-12, 1e12)
        if np.all((np.abs(step).max(axis=1) < 1e-9) | (damping > 1e10)):
            break
    return np.exp(x)


def _log_likelihood(alpha: float, beta: float, cohorts: list[np.ndarray]) -> float:
    """Sum over cohorts of: lost in period t x log P(T = t) + last survivors x log S(T)."""
    return _objective(np.log([alpha, beta]), cohorts)[0] * -1


def _objective(log_ab: np.ndarray, cohorts: list[np.ndarray]) -> tuple[float, np.ndarray]:
    """Minus the log-likelihood and its gradient in (log alpha, log beta).

    log P(T = t) = ln B(a + 1, b + t - 1) - ln B(a, b) and log S(t) = ln B(a, b + t) -
    ln B(a, b); the derivatives of ln B are differences of digamma functions.
    """
    a, b = np.exp(log_ab)
    value, grad = 0.0, np.zeros(2)
    from scipy.special import betaln, digamma
    base_a, base_b = digamma(a) - digamma(a + b), digamma(b) - digamma(a + b)
    for counts in cohorts:
        t = np.arange(1, len(counts))
        lost, kept, last = counts[:-1] - counts[1:], counts[-1], len(counts) - 1
        value += float(np.sum(lost * (betaln(a + 1, b + t - 1) - betaln(a, b))))
        value += kept * (betaln(a, b + last) - betaln(a, b))
        grad[0] += np.sum(lost * (digamma(a + 1) - digamma(a + b + t) - base_a))
        grad[0] += kept * (digamma(a) - digamma(a + b + last) - base_a)
        grad[1] += np.sum(lost * (digamma(b + t - 1) - digamma(a + b + t) - base_b))
        grad[1] += kept * (digamma(b + last) - digamma(a + b + last) - base_b)
    return -value, -grad * np.array([a, b])


def _check_cohorts(survivors) -> list[np.ndarray]:
    """Validated cohorts as integer arrays; every problem a :class:`ParameterError`."""
    if isinstance(survivors, pd.DataFrame):
        rows = [row.dropna().to_numpy() for _, row in survivors.iterrows()]
    elif isinstance(survivors, str | bytes) or not isinstance(survivors, Sequence | np.ndarray):
        raise ParameterError(f"survivors must be a list of counts (e.g. [1000, 631, 468]) or a "
                             f"list of such lists, not {type(survivors).__name__}.")
    elif len(survivors) and all(isinstance(c, Sequence | np.ndarray | pd.Series)
                                and not isinstance(c, str) for c in survivors):
        rows = list(survivors)
    else:
        rows = [survivors]
    cohorts = [_check_cohort(c, i if len(rows) > 1 else None) for i, c in enumerate(rows)]
    if max((len(c) for c in cohorts), default=0) < 3:
        raise ParameterError(
            "The model needs a cohort observed for at least two periods (three counts: the "
            "cohort size and the survivors after periods 1 and 2); with one period, alpha and "
            "beta cannot be told apart. Wait for more history or use shorter periods.")
    if all(c[-1] == c[0] for c in cohorts):
        raise ParameterError("No customer was lost in any period, so there is no churn to "
                             "estimate. Check the counts, or wait for more history.")
    if all(c[1] == 0 for c in cohorts):
        raise ParameterError("Every customer was lost in the first period, so there is no "
                             "retention to project. Check the counts.")
    return cohorts


def _check_cohort(counts, index: int | None) -> np.ndarray:
    where = "" if index is None else f" (cohort {index + 1})"
    try:
        values = np.asarray(counts, dtype=float).ravel()
    except (TypeError, ValueError):
        raise ParameterError(f"Survivor counts must be numbers{where}, got {counts!r}.") from None
    if np.asarray(counts).dtype == bool:
        raise ParameterError(f"Survivor counts must be whole numbers, not true/false{where}.")
    bad = ~np.isfinite(values) | (values != np.round(values))
    if bad.any():
        raise ParameterError(f"Survivor counts must be whole numbers{where}; found "
                             f"{float(values[bad][0])} at position {int(np.argmax(bad))}.")
    if (values < 0).any():
        raise ParameterError(f"Survivor counts cannot be negative{where}; found "
                             f"{values[values < 0][0]:.0f}.")
    if len(values) < 2:
        raise ParameterError(f"A cohort needs its size and at least one later count{where}; "
                             f"got {len(values)} count(s).")
    if values[0] == 0:
        raise ParameterError(f"A cohort's first count is its size and must be above 0{where}.")
    rises = np.flatnonzero(np.diff(values) > 0)
    if rises.size:
        t = int(rises[0]) + 1
        raise ParameterError(
            f"Survivors cannot increase{where}: {values[t]:.0f} after period {t} is more than "
            f"{values[t - 1]:.0f} before it. Counts must be the same customers, never "
            "rejoined or added.")
    return values.astype(np.int64)


def _periods(t, least: int) -> np.ndarray:
    t = np.asarray(t, dtype=float)
    if not np.isfinite(t).all() or (t < least).any():
        raise ParameterError(f"Periods must be numbers >= {least}, got {t.tolist()!r}.")
    return t


@functools.lru_cache(maxsize=8)
def refit_spread(alpha: float, beta: float, size: int, periods: int, observed: int,
                 runs: int, at: int) -> dict[str, tuple[float, ...]]:
    """Retention in period ``at`` as fitted on ``runs`` simulated cohorts, from their
    first ``observed`` counts (``"short"``) and from all ``periods`` (``"full"``).

    Seeds 0 to ``runs - 1``, so the result is the same on every call (and cached: it
    does not depend on a company's data).

    >>> spread = refit_spread(0.704, 1.182, 150, 7, 3, 2, 7)
    >>> sorted(spread), len(spread["short"])
    (['full', 'short'], 2)
    """
    rates: dict[str, list[float]] = {"short": [], "full": []}
    for seed in range(runs):
        simulated = simulate_survivors(alpha, beta, size, periods, seed=seed)
        rates["short"].append(float(
            ShiftedBetaGeometric().fit(simulated[:observed]).retention_rate(at)))
        rates["full"].append(float(ShiftedBetaGeometric().fit(simulated).retention_rate(at)))
    return {k: tuple(v) for k, v in rates.items()}


def simulate_survivors(alpha: float, beta: float, size: int, periods: int,
                       seed: int | None = None) -> list[int]:
    """A cohort drawn from the sBG model: its size, then survivors after each period.

    Each customer draws a churn probability theta from beta(alpha, beta), then
    leaves in each period with probability theta.

    >>> simulate_survivors(1.0, 2.0, 1000, 3, seed=1)[0]
    1000
    """
    alpha, beta = check_number("alpha", alpha, above=0), check_number("beta", beta, above=0)
    size = check_number("size", size, low=1, whole=True)
    periods = check_number("periods", periods, low=1, whole=True)
    rng = np.random.default_rng(seed)
    theta = rng.beta(alpha, beta, size)
    lifetime = rng.geometric(np.clip(theta, 1e-12, 1.0))  # the period in which each leaves
    return [int((lifetime > t).sum()) for t in range(periods + 1)]


def sbg_survival(alpha, beta, t) -> np.ndarray:
    """S(t) = B(a, b + t) / B(a, b) for arrays of (alpha, beta), e.g. bootstrap draws.

    >>> [round(float(v), 3) for v in sbg_survival(np.array([0.704, 1.0]), 1.182, 1)]
    [0.627, 0.542]
    """
    from scipy.special import betaln
    a, b = np.asarray(alpha, dtype=float), np.asarray(beta, dtype=float)
    return np.exp(betaln(a, b + t) - betaln(a, b))


def sbg_retention(alpha, beta, t) -> np.ndarray:
    """r_t = (b + t - 1) / (a + b + t - 1) for arrays of (alpha, beta)."""
    a, b = np.asarray(alpha, dtype=float), np.asarray(beta, dtype=float)
    return (b + t - 1) / (a + b + t - 1)


def sbg_lifetime_value(alpha, beta, value_per_period: float, discount: float) -> np.ndarray:
    """:meth:`ShiftedBetaGeometric.lifetime_value` for arrays of (alpha, beta)."""
    _check_discount(discount)
    a, b = np.asarray(alpha, dtype=float), np.asarray(beta, dtype=float)
    if discount == 0:
        derl = np.where(a > 1, b / np.maximum(a - 1, 1e-300), np.inf)
    else:
        from scipy.special import hyp2f1
        derl = b / (a + b) * hyp2f1(1, b + 1, a + b + 1, 1 / (1 + discount))
    return value_per_period * (1 + derl / (1 + discount))


@dataclass(frozen=True)
class SbgBootstrap:
    """Refits of a fitted sBG model to cohorts drawn from it (a parametric bootstrap).

    Attributes
    ----------
    alpha, beta : ndarray
        One estimate per draw. A draw with no churn, or no survivor, ends at the
        model's bounds rather than being dropped, so the spread is not understated.
    seed : int
        The seed the draws were made with: the same seed gives the same draws.
    """

    alpha: np.ndarray
    beta: np.ndarray
    seed: int

    @property
    def draws(self) -> int:
        return len(self.alpha)

    def interval(self, values, level: float) -> tuple[float, float]:
        """The central ``level`` of ``values`` (one per draw): a percentile interval."""
        check_number("level", level, above=0, below=1,
                     rule="a number between 0 and 1 (0.9 for 90%)")
        low, high = np.quantile(np.asarray(values, dtype=float), [(1 - level) / 2,
                                                                  (1 + level) / 2])
        return float(low), float(high)


def bootstrap_sbg(model: ShiftedBetaGeometric, draws: int = 200, seed: int = 0) -> SbgBootstrap:
    """A parametric bootstrap of a fitted model: ``draws`` times, draw every cohort anew
    from the fitted model (same size, same periods observed, the last count censored as
    in the data) and refit.

    The spread of the refits is how far the estimates could move on another sample of
    the same size. The book's choice over a profile likelihood: the same draws give
    intervals for anything computed from (alpha, beta) (renewal rates, survival,
    lifetime value, projected ARR) without a new optimisation for each.

    >>> m = ShiftedBetaGeometric().fit([1000, 631, 468, 382, 326, 289, 262, 241])
    >>> boot = bootstrap_sbg(m, draws=40, seed=1)
    >>> low, high = boot.interval(boot.alpha, 0.9)
    >>> bool(low < m.alpha_ < high), boot.draws
    (True, 40)
    """
    a, b = model._fitted()
    draws = check_number("draws", draws, low=10, high=100_000, whole=True,
                         rule="a whole number from 10 to 100000")
    rng = np.random.default_rng(seed)
    simulated = []
    for counts in model.cohorts_:
        theta = rng.beta(a, b, (int(draws), counts[0]))
        life = rng.geometric(np.clip(theta, 1e-12, 1.0))
        simulated.append(np.stack([(life > t).sum(axis=1) for t in range(len(counts))], axis=1))
    fits = _mle_many(simulated, (a, b), model.bounds)
    return SbgBootstrap(alpha=fits[:, 0], beta=fits[:, 1], seed=seed)


# --------------------------------------------------------------- cohorts from the data


@dataclass(frozen=True)
class SurvivorCohorts:
    """Logo survival of start cohorts, ready for :meth:`ShiftedBetaGeometric.fit`.

    Attributes
    ----------
    counts : DataFrame
        One row per cohort (index: its label), one column per period since start
        (0, 1, ...): how many of the cohort's accounts are still paying; ``<NA>``
        where the cohort is too young to tell.
    windows : DataFrame
        Per cohort: ``first_month`` and ``last_month`` of the start months it holds,
        ``accounts`` (its size) and ``periods`` (periods observed).
    left_out : int
        Accounts already paying in the data's first month: their start is unknown,
        so they are in no cohort.
    period_months : int
        Months per period.
    """

    counts: pd.DataFrame
    windows: pd.DataFrame
    left_out: int
    period_months: int

    def fittable(self) -> pd.DataFrame:
        """The cohorts observed for at least one period (the others carry no churn)."""
        return self.counts[self.windows["periods"] >= 1]

    @property
    def why_not(self) -> str | None:
        """Why the model cannot be fitted to these cohorts, or None if it can."""
        try:
            _check_cohorts(self.fittable())
        except ParameterError as err:
            return str(err)
        return None

    @property
    def can_fit(self) -> bool:
        """Whether :meth:`ShiftedBetaGeometric.fit` accepts :meth:`fittable`."""
        return self.why_not is None

    def summary(self, unit: str = "year") -> pd.DataFrame:
        """One row per cohort: its start months, size and survivors, for the page."""
        table = self.windows[["first_month", "last_month", "accounts"]].copy()
        table.columns = ["First start month", "Last start month", "Accounts"]
        for k in self.counts.columns[1:]:
            counts = self.counts[k].astype("object").where(self.counts[k].notna(), "not yet")
            table[f"Paying after {k} {unit}{'s' if k > 1 else ''}"] = counts
        table.index.name = "Cohort"
        return table

    def survival_shares(self) -> pd.DataFrame:
        """Counts over cohort size, long: ``cohort``, ``period``, ``share``, ``accounts``."""
        shares = self.counts.div(self.counts[0], axis=0).astype("float64")
        long = shares.stack().dropna().rename("share").reset_index()
        long.columns = ["cohort", "period", "share"]
        long["accounts"] = self.counts.stack().dropna().to_numpy(dtype="int64")
        return long


def survivor_cohorts(panel: ArrPanel, period_months: int = 12,
                     as_of: str | pd.Period | None = None) -> SurvivorCohorts:
    """Group accounts by start month into cohorts of ``period_months`` and count survivors.

    An account starts in its first paying month. Cohorts are windows of
    ``period_months`` start months counted back from the data's last month, so every
    account of a cohort has been observed for the same number of whole periods (with
    12 and data ending in December, the windows are calendar years). An account
    survives ``k`` periods if it is paying ``k`` x ``period_months`` months after its
    start and at every earlier anniversary; once it misses one it counts as lost for
    good, even if it pays again later (the model has no way back). Months after
    ``as_of`` (default the last month) are ignored.

    z pays from the first month (left out), a and b start in 2023, b stops after a
    year, c starts in 2024:

    >>> spans = {"z": ("2023-01", 36), "a": ("2023-03", 34), "b": ("2023-05", 12),
    ...          "c": ("2024-02", 23)}
    >>> frame = pd.DataFrame([(k, m, 1.0) for k, (s, n) in spans.items()
    ...                       for m in pd.period_range(s, periods=n, freq="M")],
    ...                      columns=["account_id", "month", "arr"])
    >>> cohorts = survivor_cohorts(ArrPanel.from_frame(frame))
    >>> cohorts.counts.fillna(-1).to_numpy().tolist()  # -1: too young to tell
    [[2, 1, 1], [1, 1, -1]]
    >>> cohorts.counts.index.tolist()
    ['2023', '2024']
    >>> cohorts.left_out
    1
    """
    p = check_number("period_months", period_months, low=1, high=24, whole=True)
    paying = panel.values[:, : panel.column(resolve_as_of(panel, as_of)) + 1] > 0
    started = paying.any(axis=1)  # accounts that start after as_of are in no cohort
    start = paying.argmax(axis=1)
    keep = started & (start > 0)
    last = paying.shape[1] - 1
    age = (last - start[keep]) // p  # whole periods observed
    max_age = int(age.max()) if keep.any() else 0
    rows, windows = [], []
    for window in range(max_age, -1, -1):
        members = np.flatnonzero(keep)[age == window]
        if members.size == 0:
            continue
        s = start[members]
        alive = np.ones(members.size, dtype=bool)
        counts = [members.size]
        for k in range(1, window + 1):
            alive &= paying[members, s + k * p]
            counts.append(int(alive.sum()))
        nominal = last - (window + 1) * p + 1  # the window before clipping to the data
        first, final = max(nominal, 1), last - window * p
        label = _window_label(panel.months[max(nominal, 0)], panel.months[final])
        rows.append(pd.Series(counts, name=label))
        windows.append({"cohort": label, "first_month": str(panel.months[first]),
                        "last_month": str(panel.months[final]),
                        "accounts": members.size, "periods": window})
    table = pd.DataFrame(rows).astype("Int64") if rows else pd.DataFrame()
    table.index.name, table.columns.name = "cohort", "periods_since_start"
    columns = ["cohort", "first_month", "last_month", "accounts", "periods"]
    return SurvivorCohorts(counts=table, windows=pd.DataFrame(windows, columns=columns)
                           .astype({"accounts": "int64", "periods": "int64"}).set_index("cohort"),
                           left_out=int((started & (start == 0)).sum()), period_months=p)


def _window_label(first: pd.Period, last: pd.Period) -> str:
    """'2023' for a calendar year, else '2023-07 to 2024-06'."""
    if first.year == last.year and (first.month, last.month) == (1, 12):
        return str(first.year)
    return f"{first} to {last}"


def published_sbg_examples() -> pd.DataFrame:
    """The two cohorts of Fader and Hardie (2007) and their published estimates.

    Returns
    -------
    DataFrame
        One row per data set: ``dataset``, ``label``, ``survivors`` (a list: 1000
        customers, then survivors after years 1-7), ``alpha``, ``beta``, ``source``.

    >>> published_sbg_examples().set_index("dataset").loc["regular", "survivors"][:3]
    [1000, 631, 468]
    """
    def read(name: str) -> pd.DataFrame:
        with files("csmodels").joinpath(f"data/{name}").open(encoding="utf-8") as fh:
            return pd.read_csv(fh)

    counts = read("functions_sbg_paper.csv").sort_values(["dataset", "period"])
    lists = counts.groupby("dataset")["survivors"].agg(lambda s: [int(v) for v in s])
    estimates = read("functions_sbg_estimates.csv")
    estimates.insert(2, "survivors", estimates["dataset"].map(lists))
    return estimates
