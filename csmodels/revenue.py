"""The revenue-base model: how much of future ARR the installed base carries.

Each year today's customers keep ``grr`` of their ARR and expand it by ``nrr -
grr``; Sales adds a year of new bookings, and each year's new customers then
stay as a cohort does: a share S(j) of them is still paying j years after they
signed. With ARR_0 today and B_k the bookings of year k,

    ARR_n = ARR_0 NRR^n + sum over k = 1..n of B_k S(n - k),    B_k = B_1 (1 + g)^(k-1).

S comes from the shifted-beta-geometric model fitted to the company's own cohorts
(:func:`~csmodels.lifetime.ShiftedBetaGeometric.survival`, passed as
``new_survival``): new customers renew as new customers do, not as the seasoned
base, whose NRR mixes survivors of many years with their expansion. Without a
fitted model (``new_survival=None``) new cohorts follow the base's NRR, S(j) =
NRR^j, which flatters them; the page says so. Assumptions of the book's, not of the
sources: NRR and GRR of today's customers stay constant, a year's new customers are
not lost in the year they sign, and the new customers who stay keep the ARR they
signed at (the cohort model counts accounts, not revenue).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from importlib.resources import files

import numpy as np
import pandas as pd

from ._checks import GRR_RULE, MODEL_NRR_RULE, Checked, check_number, number
from .exceptions import ParameterError
from .inputs import Company
from .metrics import ArrPanel, arr_bridge, resolve_as_of, retention


@dataclass(frozen=True)
class RevenueBase(Checked):
    """Parameters of the revenue-base model (amounts are annual, in one currency).

    Attributes
    ----------
    starting_arr : float
        ARR today (year 0).
    new_bookings : float
        New ARR that Sales books in year 1.
    bookings_growth : float
        Yearly growth of new bookings (0.1 = +10% a year); above -1.
    nrr : float
        Net revenue retention of the installed base, year on year (1.05 = 105%).
    grr : float
        Gross revenue retention (at most 1 and at most ``nrr``).
    years : int
        Years to project (1 to 50).
    new_survival : tuple of float, optional
        S(0), S(1), ..., S(years): the share of a year's new customers still paying
        j years after signing (S(0) = 1, never rising). None: new cohorts follow NRR.

    Examples
    --------
    >>> RevenueBase(starting_arr=10e6, new_bookings=2e6, nrr=1.0, grr=0.9).years
    5
    """

    starting_arr: float = number(10_000_000.0, low=0)
    new_bookings: float = number(3_000_000.0, low=0)
    bookings_growth: float = number(0.0, above=-1)
    nrr: float = number(1.05, hint="Give nrr as a fraction (1.05 is 105%).", **MODEL_NRR_RULE)
    grr: float = number(0.90, hint="Give grr as a fraction (0.9 is 90%).", **GRR_RULE)
    years: int = number(5, low=1, high=50, whole=True)
    new_survival: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.grr <= self.nrr:
            raise ParameterError(
                f"grr ({self.grr:.3f}) cannot exceed nrr ({self.nrr:.3f}): NRR is GRR plus "
                "expansion. Check that the two are not swapped.")
        if self.new_survival is not None:
            _check_survival(self.new_survival, self.years)


def _check_survival(survival, years: int) -> None:
    values = np.asarray(survival, dtype=float) if not isinstance(survival, str) else None
    if values is None or values.ndim != 1 or len(values) < years + 1:
        raise ParameterError(f"new_survival must hold the shares S(0) to S({years}) (a "
                             f"share for every year projected), not {survival!r}.")
    if not (np.isfinite(values).all() and values[0] == 1 and (values >= 0).all()
            and (np.diff(values) <= 1e-12).all()):
        raise ParameterError("new_survival must start at 1 and never rise or fall below 0: "
                             "it is the share of a cohort still paying after each year.")


def cohort_survival(params: RevenueBase, age) -> np.ndarray:
    """S(age): the share of a year's new customers' ARR still paid ``age`` years on.

    >>> p = RevenueBase(nrr=1.1, grr=0.9)
    >>> [round(float(v), 2) for v in cohort_survival(p, [0, 2])]  # no fitted model: NRR^j
    [1.0, 1.21]
    >>> float(cohort_survival(RevenueBase(years=1, new_survival=(1.0, 0.8)), 1))
    0.8
    """
    age = np.asarray(age, dtype=int)
    if params.new_survival is None:
        return params.nrr ** age.astype(float)
    return np.asarray(params.new_survival, dtype=float)[age]


def bookings(params: RevenueBase, year: int) -> float:
    """New bookings B_n of ``year`` (1-based).

    >>> round(bookings(RevenueBase(new_bookings=100.0, bookings_growth=0.1), 3), 6)
    121.0
    """
    return params.new_bookings * (1 + params.bookings_growth) ** (year - 1)


def arr_in_year(params: RevenueBase, year: int) -> float:
    """ARR at the end of ``year`` (year 0 is today), summed directly:
    ARR_0 r^n + sum over k = 1..n of B_k S(n - k).

    >>> p = RevenueBase(starting_arr=100.0, new_bookings=10.0, nrr=0.9, grr=0.9)
    >>> round(arr_in_year(p, 2), 6)  # 100 x 0.81 + 10 x 0.9 + 10
    100.0
    >>> round(arr_in_year(RevenueBase(starting_arr=100.0, new_bookings=10.0, nrr=0.9, grr=0.9,
    ...                               years=2, new_survival=(1.0, 0.5, 0.3)), 2), 6)
    96.0
    """
    new = sum(bookings(params, k) * float(cohort_survival(params, year - k))
              for k in range(1, year + 1))
    return params.starting_arr * params.nrr ** year + new


def project_revenue(params: RevenueBase) -> pd.DataFrame:
    """ARR year by year: today's customers, the new customers of earlier projected
    years, and the year's new business.

    Returns
    -------
    DataFrame
        One row per year 0..``years`` with ``arr`` (end of year), the year's
        ``installed_kept`` (GRR x today's customers' ARR a year before),
        ``expansion`` ((NRR - GRR) x the same), ``cohorts_kept`` (what the customers
        booked in earlier projected years still pay), ``new_business`` (the year's
        bookings), ``lost`` (ARR that left during the year), ``installed_share``
        (all but the new business over ARR: the customers the year started with)
        and ``from_starting_base`` (what today's customers pay then: ARR_0 x NRR^n).
        Year 0 is today: all of it is installed base.

    Examples
    --------
    >>> t = project_revenue(RevenueBase(starting_arr=100.0, new_bookings=10.0, nrr=1.1,
    ...                                 grr=0.9, years=2, new_survival=(1.0, 0.5, 0.25)))
    >>> [round(v, 6) for v in t.loc[2, ["installed_kept", "expansion", "cohorts_kept",
    ...                                    "new_business"]]]
    [99.0, 22.0, 5.0, 10.0]
    >>> round(float(t.loc[2, "lost"]), 6)  # 10% of 110 from the base, half of year 1's 10
    16.0
    """
    rows = [{"year": 0, "arr": params.starting_arr, "installed_kept": params.starting_arr,
             "expansion": 0.0, "cohorts_kept": 0.0, "new_business": 0.0, "lost": 0.0}]
    for n in range(1, params.years + 1):
        base = params.starting_arr * params.nrr ** (n - 1)  # today's customers a year before
        booked = np.array([bookings(params, k) for k in range(1, n)])
        ages = n - np.arange(1, n)
        cohorts_now = float(np.sum(booked * cohort_survival(params, ages)))
        cohorts_before = float(np.sum(booked * cohort_survival(params, ages - 1)))
        new = bookings(params, n)
        kept, grown = params.grr * base, (params.nrr - params.grr) * base
        rows.append({"year": n, "arr": kept + grown + cohorts_now + new, "installed_kept": kept,
                     "expansion": grown, "cohorts_kept": cohorts_now, "new_business": new,
                     "lost": (1 - params.grr) * base + max(cohorts_before - cohorts_now, 0.0)})
    table = pd.DataFrame(rows)
    installed = table["arr"] - table["new_business"]
    table["installed_share"] = (installed / table["arr"]).where(table["arr"] > 0)
    table["from_starting_base"] = params.starting_arr * params.nrr ** table["year"]
    return table


def revenue_layers(params: RevenueBase) -> pd.DataFrame:
    """ARR of each year split by when its customers were won: today's customers
    (ARR_0 NRR^n) and each year's bookings (B_k S(n - k)).

    Returns
    -------
    DataFrame
        Long form: ``year`` (0..``years``), ``layer`` (0 for today's customers, k
        for the customers booked in year k), ``arr``.

    >>> t = revenue_layers(RevenueBase(starting_arr=100.0, new_bookings=10.0, nrr=1.0,
    ...                                grr=1.0, years=2))
    >>> t[t.year == 2].arr.tolist()
    [100.0, 10.0, 10.0]
    """
    rows = [{"year": year, "layer": 0, "arr": params.starting_arr * params.nrr ** year}
            for year in range(params.years + 1)]
    rows += [{"year": year, "layer": k,
              "arr": bookings(params, k) * float(cohort_survival(params, year - k))}
             for k in range(1, params.years + 1) for year in range(k, params.years + 1)]
    return pd.DataFrame(rows).sort_values(["year", "layer"], ignore_index=True)


def bookings_equivalent(params: RevenueBase, nrr_change: float) -> float:
    """The rise in every year's bookings (as a fraction) that adds as much final-year
    ARR as changing NRR (and GRR with it, where GRR would pass NRR) by ``nrr_change``.

    ARR in the last year is linear in bookings, ARR_N = ARR_0 r^N + B_1 A, where A sums
    (1 + g)^(k-1) S(N - k) over the years k, so the answer is (ARR_N(r') - ARR_N(r)) /
    (B_1 A). With new customers on a fitted cohort model, only today's customers move
    with r.

    >>> p = RevenueBase(starting_arr=100.0, new_bookings=10.0, nrr=1.0, grr=0.9, years=1)
    >>> round(bookings_equivalent(p, 0.05), 6)  # +5 of ARR from the base = +50% bookings
    0.5
    """
    nrr_change = check_number("nrr_change", nrr_change)
    new_only = arr_in_year(replace(params, starting_arr=0.0), params.years)
    if new_only <= 0:
        raise ParameterError("With no new bookings there is nothing to compare an NRR change "
                             "with; set new_bookings above 0.")
    changed = replace(params, nrr=params.nrr + nrr_change,
                      grr=min(params.grr, params.nrr + nrr_change))
    gain = arr_in_year(changed, params.years) - arr_in_year(params, params.years)
    return gain / new_only


def nrr_matching_growth(params: RevenueBase, growth: float) -> float:
    """The NRR that, with flat bookings, gives as much ARR in the last year as bookings
    growing ``growth`` a year at today's NRR (GRR lowered with it where it would pass).

    The answer of the functions chapter's first exercise, found as a student checks it:
    by moving NRR in :func:`arr_in_year` (bisection; ARR in the last year rises with NRR).

    >>> p = RevenueBase(starting_arr=100.0, new_bookings=10.0, nrr=1.0, grr=0.9, years=1)
    >>> round(nrr_matching_growth(p, 0.2), 6)  # one year: growth has not started yet
    1.0
    """
    growth = check_number("growth", growth, above=-1)
    flat = replace(params, bookings_growth=0.0)
    target = arr_in_year(replace(flat, bookings_growth=growth), flat.years)

    n = flat.years
    fixed = (None if flat.new_survival is None
             else np.asarray(flat.new_survival, dtype=float))

    def reached(nrr: float) -> float:
        """:func:`arr_in_year` at this NRR, summed here: the NRR needed may lie above the
        bound a company's NRR is checked against (:data:`csmodels._checks.NRR_HIGH`)."""
        new = sum(bookings(flat, k) * (nrr ** (n - k) if fixed is None else fixed[n - k])
                  for k in range(1, n + 1))
        return flat.starting_arr * nrr ** n + new

    low, high = 0.0, max(3.0, flat.nrr)
    for _ in range(40):  # widen the search until NRR is high enough
        try:
            if reached(high) >= target:
                break
        except OverflowError:  # beyond the floats: no NRR reaches it
            pass
        low, high = high, high * 2
    else:
        raise ParameterError(f"No NRR matches bookings growing {growth:.0%} a year: with no "
                             "ARR today, NRR has nothing to act on.")
    for _ in range(80):
        mid = (low + high) / 2
        low, high = (mid, high) if reached(mid) < target else (low, mid)
    return high


def revenue_base_from_data(company: Company, as_of: str | pd.Period | None = None,
                           **overrides) -> RevenueBase:
    """The model's parameters from a company's ``arr_monthly``, then ``overrides``.

    ``starting_arr`` is total ARR in ``as_of`` (default the last month), ``new_bookings``
    the new ARR of the 12 months to ``as_of`` (the ``new`` movement of
    :func:`~csmodels.arr_bridge`), ``nrr`` and ``grr`` the trailing-12-month figures
    of :func:`~csmodels.retention`. Overrides set to ``None`` are ignored, so a
    chapter's parameters can pass ``None`` for "from the data".

    >>> from csmodels import load_company
    >>> p = revenue_base_from_data(load_company("data/sample"), years=3, nrr=None)
    >>> p.years, p.grr <= 1 <= p.nrr
    (3, True)
    """
    panel = ArrPanel.from_frame(company.arr_monthly)
    month = resolve_as_of(panel, as_of)
    given = {k: v for k, v in overrides.items() if v is not None}
    # retention from the data only where the overrides leave it out (a short history
    # cannot give it, but a reader's own NRR and GRR still drive the model)
    ret = retention(panel, month) if not {"nrr", "grr"} <= set(given) else None
    window = arr_bridge(panel).loc[month - 11:month]
    params = RevenueBase(starting_arr=float(panel.values[:, panel.column(month)].sum()),
                         new_bookings=float(window["new"].sum()),
                         nrr=ret.nrr if ret else given["nrr"], grr=ret.grr if ret else given["grr"])
    return replace(params, **given)


def sales_vs_cs() -> pd.DataFrame:
    """Sales and Customer Success side by side, from ``data/functions_sales_vs_cs.csv``.

    The rows restate sources 000, 002 and 004 in the book's words; ``Source`` names
    the source of each row's two cells.

    >>> sales_vs_cs().columns.tolist()
    ['Aspect', 'Sales', 'Customer Success', 'Source']
    """
    with files("csmodels").joinpath("data/functions_sales_vs_cs.csv").open(encoding="utf-8") as fh:
        long = pd.read_csv(fh)
    wide = long.pivot(index=["aspect_order", "aspect"], columns="function", values="description")
    sources = long.groupby("aspect_order")["source"].agg(
        lambda keys: ", ".join(dict.fromkeys(k.replace("src", "Source ") for k in keys)))
    wide = wide.reset_index().merge(sources, left_on="aspect_order", right_index=True)
    return wide.rename(columns={"aspect": "Aspect", "sales": "Sales", "source": "Source",
                                "customer_success": "Customer Success"})[
        ["Aspect", "Sales", "Customer Success", "Source"]]
