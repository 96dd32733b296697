"""Published tables, kept as data with their sources.

``retention_benchmarks.csv`` holds SaaS Capital's medians of net and gross revenue
retention by annual contract value (ACV) band, as read from Figure 1 of its 2023
retention research brief (private B2B SaaS companies above $1M ARR). The book
compares a company with the band of its own ACV. ``cs_kpis.csv`` holds the nine CS
KPIs of source 004 with the book's definition of each.
"""

from __future__ import annotations

from importlib.resources import files

import pandas as pd

from ._checks import check_number


def retention_benchmarks() -> pd.DataFrame:
    """The benchmark table: one row per ACV band.

    >>> retention_benchmarks()["median_grr"].between(0.9, 0.93).all()
    np.True_
    """
    with files("csmodels").joinpath("data/retention_benchmarks.csv").open(encoding="utf-8") as fh:
        return pd.read_csv(fh)


def benchmark_for_acv(acv: float) -> pd.Series:
    """The benchmark row whose ACV band holds ``acv``.

    >>> benchmark_for_acv(30_000)["acv_band"]
    '$25k to $50k'
    """
    acv = check_number("acv", acv, low=0, hint="Give the average contract value, "
                       "without currency signs")
    table = retention_benchmarks()
    inside = (table["acv_low"] <= acv) & ((acv < table["acv_high"]) | table["acv_high"].isna())
    return table[inside].iloc[0]


def cs_kpis() -> pd.DataFrame:
    """The nine CS KPIs of source 004 with the book's definition of each.

    >>> len(cs_kpis())
    9
    """
    with files("csmodels").joinpath("data/cs_kpis.csv").open(encoding="utf-8") as fh:
        return pd.read_csv(fh)
