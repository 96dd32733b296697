"""The revenue-base model: how much of future ARR the installed base carries.

Each year the customers already paying keep ``grr`` of their ARR, expand it by
``nrr - grr``, and Sales adds a year of new bookings. With ARR_0 today and B_n the
bookings of year n,

    ARR_n = NRR x ARR_(n-1) + B_n,    B_n = B_1 x (1 + g)^(n-1),

so ARR_n = ARR_0 NRR^n + sum over k = 1..n of B_k NRR^(n-k); with constant bookings
B (g = 0) this is ARR_0 r^n + B (1 - r^n) / (1 - r). The installed base of year n
is NRR x ARR_(n-1); the new business is B_n. Two assumptions of the book's, not of
the sources: retention applies to the ARR at the start of each year (a year's new
customers are not churned in the year they sign), and NRR and GRR stay constant.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from importlib.resources import files

import numpy as np
import pandas as pd

from .exceptions import ParameterError
from .inputs import Company
from .metrics import ArrPanel, arr_bridge, resolve_as_of, retention


@dataclass(frozen=True)
class RevenueBase:
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

    Examples
    --------
    >>> RevenueBase(starting_arr=10e6, new_bookings=2e6, nrr=1.0, grr=0.9).years
    5
    """

    starting_arr: float = 10_000_000.0
    new_bookings: float = 3_000_000.0
    bookings_growth: float = 0.0
    nrr: float = 1.05
    grr: float = 0.90
    years: int = 5

    def __post_init__(self) -> None:
        for name in ("starting_arr", "new_bookings", "nrr", "grr"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not (
                    math.isfinite(value) and value >= 0):
                raise ParameterError(f"{name} must be a finite number >= 0, not {value!r}.")
        if not self.grr <= 1:
            raise ParameterError(f"grr is a share kept, at most 1 (100%), not {self.grr!r}.")
        if not self.grr <= self.nrr:
            raise ParameterError(
                f"grr ({self.grr:.3f}) cannot exceed nrr ({self.nrr:.3f}): NRR is GRR plus "
                "expansion. Check that the two are not swapped.")
        if not (isinstance(self.bookings_growth, int | float) and self.bookings_growth > -1
                and math.isfinite(self.bookings_growth)):
            raise ParameterError(
                f"bookings_growth must be a number above -1, not {self.bookings_growth!r}.")
        if isinstance(self.years, bool) or not isinstance(self.years, int | np.integer) or not (
                1 <= self.years <= 50):
            raise ParameterError(f"years must be a whole number from 1 to 50, not "
                                 f"{self.years!r}.")


def bookings(params: RevenueBase, year: int) -> float:
    """New bookings B_n of ``year`` (1-based).

    >>> round(bookings(RevenueBase(new_bookings=100.0, bookings_growth=0.1), 3), 6)
    121.0
    """
    return params.new_bookings * (1 + params.bookings_growth) ** (year - 1)


def arr_in_year(params: RevenueBase, year: int) -> float:
    """ARR at the end of ``year`` (year 0 is today), summed directly:
    ARR_0 r^n + sum over k = 1..n of B_k r^(n-k).

    >>> p = RevenueBase(starting_arr=100.0, new_bookings=10.0, nrr=0.9, grr=0.9)
    >>> round(arr_in_year(p, 2), 6)  # 100 x 0.81 + 10 x 0.9 + 10
    100.0
    """
    r = params.nrr
    new = sum(bookings(params, k) * r ** (year - k) for k in range(1, year + 1))
    return params.starting_arr * r ** year + new


def project_revenue(params: RevenueBase) -> pd.DataFrame:
    """ARR year by year, split into the installed base and new business.

    Returns
    -------
    DataFrame
        One row per year 0..``years`` with ``arr`` (end of year), the year's
        ``installed_kept`` (GRR x last year's ARR), ``expansion`` ((NRR - GRR) x
        last year's ARR), ``new_business`` (the year's bookings), ``lost`` ((1 -
        GRR) x last year's ARR), ``installed_share`` (installed base over ARR) and
        ``from_starting_base`` (what today's customers pay then: ARR_0 x NRR^n).
        Year 0 is today: all of it is installed base.

    Examples
    --------
    >>> t = project_revenue(RevenueBase(starting_arr=100.0, new_bookings=10.0, nrr=1.1,
    ...                                 grr=0.9, years=1))
    >>> t.loc[1, ["installed_kept", "expansion", "new_business", "arr"]].tolist()
    [90.0, 20.000000000000007, 10.0, 120.0]
    """
    rows = [{"year": 0, "arr": params.starting_arr, "installed_kept": params.starting_arr,
             "expansion": 0.0, "new_business": 0.0, "lost": 0.0}]
    for year in range(1, params.years + 1):
        previous = rows[-1]["arr"]
        kept, grown = params.grr * previous, (params.nrr - params.grr) * previous
        new = bookings(params, year)
        rows.append({"year": year, "arr": kept + grown + new, "installed_kept": kept,
                     "expansion": grown, "new_business": new, "lost": previous - kept})
    table = pd.DataFrame(rows)
    installed = table["installed_kept"] + table["expansion"]
    table["installed_share"] = (installed / table["arr"]).where(table["arr"] > 0)
    table["from_starting_base"] = params.starting_arr * params.nrr ** table["year"]
    return table


def revenue_layers(params: RevenueBase) -> pd.DataFrame:
    """ARR of each year split by when its customers were won: today's customers
    (ARR_0 NRR^n) and each year's bookings (B_k NRR^(n-k)).

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
    rows += [{"year": year, "layer": k, "arr": bookings(params, k) * params.nrr ** (year - k)}
             for k in range(1, params.years + 1) for year in range(k, params.years + 1)]
    return pd.DataFrame(rows).sort_values(["year", "layer"], ignore_index=True)


def bookings_equivalent(params: RevenueBase, nrr_change: float) -> float:
    """The rise in every year's bookings (as a fraction) that adds as much final-year
    ARR as changing NRR (and GRR with it, where GRR would pass NRR) by ``nrr_change``.

    ARR in the last year is linear in bookings, ARR_N = ARR_0 r^N + B_1 A(r), so the
    answer is (ARR_N(r') - ARR_N(r)) / (B_1 A(r)).

    >>> p = RevenueBase(starting_arr=100.0, new_bookings=10.0, nrr=1.0, grr=0.9, years=1)
    >>> round(bookings_equivalent(p, 0.05), 6)  # +5 of ARR from the base = +50% bookings
    0.5
    """
    new_only = arr_in_year(replace(params, starting_arr=0.0), params.years)
    if new_only <= 0:
        raise ParameterError("With no new bookings there is nothing to compare an NRR change "
                             "with; set new_bookings above 0.")
    changed = replace(params, nrr=params.nrr + nrr_change,
                      grr=min(params.grr, params.nrr + nrr_change))
    gain = arr_in_year(changed, params.years) - arr_in_year(params, params.years)
    return gain / new_only


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
