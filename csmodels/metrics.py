"""Customer Success metrics, as defined in the book's metrics chapter, for frames in memory.

Every metric is defined once, as an Ibis expression in
:mod:`csmodels.engine.definitions`; the functions here are its pandas-facing API.
Each hands the company's tables to an embedded DuckDB connection (through Arrow,
in memory: nothing is written), runs the definition's SQL there (compiled once and
cached by :mod:`csmodels.engine.run`) and returns plain Python numbers and pandas
frames. ``csmodels metrics`` on a Parquet folder, a DuckDB file or a Spark session
runs the same definitions, so the chapters, their charts and the command line
cannot disagree. What stays here is the checking of a reader's month (one message
for every metric) and the shaping of the results.

Retention reads an :class:`ArrPanel`: ARR as an accounts x months matrix in which
every month from the first to the last is present and an account-month with no row
is 0 (other models, such as health and lifetime, read the matrix itself).

Ratios are fractions (0.97, not 97). Definitions (the book's, in
``csmodels/data/cs_kpis.csv``), as of month M with C the accounts whose ARR at M-12 is above 0:

* NRR = sum over C of ARR(M) / sum over C of ARR(M-12)
* GRR = sum over C of min(ARR(M), ARR(M-12)) / sum over C of ARR(M-12)
* logo churn = share of C with ARR(M) = 0
"""

from __future__ import annotations

import contextlib
import functools
import math
import weakref
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from ._checks import check_number
from .exceptions import ParameterError
from .inputs.months import month_number

MOVEMENTS = ("new", "reactivation", "expansion", "contraction", "churn")
_EPOCH = 1970 * 12  # a monthly Period's ordinal counts months from 1970-01


# ----------------------------------------------------------------------------- panel


@dataclass(frozen=True, eq=False)
class ArrPanel:
    """ARR as a dense accounts x months matrix.

    Attributes
    ----------
    accounts : pandas.Index
        Account ids, one per row of ``values``.
    months : pandas.PeriodIndex
        Every month from the first to the last in the data, one per column.
    values : numpy.ndarray
        ARR, shape ``(len(accounts), len(months))``; 0 where the data had no row.
    """

    accounts: pd.Index
    months: pd.PeriodIndex
    values: np.ndarray

    @classmethod
    def from_frame(cls, arr_monthly: pd.DataFrame) -> ArrPanel:
        """Build the panel from a validated ``arr_monthly`` table.

        >>> frame = pd.DataFrame({"account_id": ["a", "a", "b"],
        ...                       "month": pd.PeriodIndex(["2024-01", "2024-03", "2024-02"],
        ...                                               freq="M"),
        ...                       "arr": [10.0, 12.0, 5.0]})
        >>> ArrPanel.from_frame(frame).values
        array([[10.,  0., 12.],
               [ 0.,  5.,  0.]])
        """
        codes, accounts = pd.factorize(arr_monthly["account_id"], sort=True)
        ordinal = _ordinal(arr_monthly["month"])
        first = int(ordinal.min())
        n_months = int(ordinal.max()) - first + 1
        values = np.zeros((len(accounts), n_months))
        values[codes, ordinal - first] = arr_monthly["arr"].to_numpy(dtype="float64")
        months = pd.period_range(pd.Period(arr_monthly["month"].min(), "M"), periods=n_months,
                                 freq="M")
        return cls(pd.Index(accounts, name="account_id"), months, values)

    def column(self, month: pd.Period | str) -> int:
        """The column of ``month``; a :class:`ParameterError` if it is outside the data."""
        month = pd.Period(month, freq="M")
        if not self.months[0] <= month <= self.months[-1]:
            raise ParameterError(
                f"The month {month} is outside the data, which runs from {self.months[0]} "
                f"to {self.months[-1]}. Choose a month in that range.")
        return int((month - self.months[0]).n)

    @property
    def last_month(self) -> pd.Period:
        return self.months[-1]

    def total(self) -> pd.Series:
        """Total ARR per month (:func:`csmodels.engine.definitions.monthly_arr`)."""
        first, last = _bounds(self)
        totals = _frame(_panel_engine(self), "monthly_arr", ("arr_monthly",), first, last)
        return pd.Series(totals["arr"].to_numpy(dtype="float64"), index=self.months, name="arr")


def _months(name: str, value: object) -> int:
    """A window or lookback in whole months, at least 1 (:func:`check_number`)."""
    return check_number(name, value, low=1, whole=True, rule="a whole number of months >= 1")


def _ordinal(months: pd.Series) -> np.ndarray:
    """Months as consecutive integers (months since 1970-01: the period's own ordinal,
    read directly rather than through ``.dt.year``, which costs seconds at 10M rows)."""
    return np.asarray(months.array.asi8, dtype="int64")


def resolve_as_of(data: ArrPanel | pd.Series, as_of: str | pd.Period | None,
                  window_months: int = 1) -> pd.Period:
    """``as_of`` as a month (a :class:`pandas.Period`) inside the data; default its last month.

    ``data`` is the ARR panel, or the month or date column of the table a metric
    counts (NPS answers, contracts, usage, opportunities). For a table, a month
    after its last row is inside the data while the ``window_months`` ending at it
    still reach that row. Every metric resolves its month here, so a month that is
    not ``YYYY-MM`` or lies outside the data raises the same :class:`ParameterError`.

    >>> answered = pd.Series(pd.to_datetime(["2024-01-05", "2024-03-10"]))
    >>> resolve_as_of(answered, "2024-06", window_months=12)
    Period('2024-06', 'M')
    >>> resolve_as_of(answered, "1990-01")
    Traceback (most recent call last):
    ...
    csmodels.exceptions.ParameterError: The month 1990-01 is outside the data, which runs \
from 2024-01 to 2024-03. Choose a month in that range.
    """
    first, last = _span(data)
    if as_of is None:
        if last is None:
            raise ParameterError("There is no month to report on: the table has no rows.")
        return last
    if isinstance(as_of, pd.Period):
        month = as_of.asfreq("M")
    else:  # typed by a reader: YYYY-MM only (not 2024Q2, 2024-6 or a date)
        number = month_number(as_of)
        month = pd.Period(year=number // 12, month=number % 12 + 1, freq="M")
    if first is not None and not (first <= month and month - window_months < last):
        raise ParameterError(
            f"The month {month} is outside the data, which runs from {first} "
            f"to {last}. Choose a month in that range.")
    return month


def _span(data: ArrPanel | pd.Series) -> tuple[pd.Period | None, pd.Period | None]:
    """The first and last month of a panel or of a table's month or date column."""
    if isinstance(data, ArrPanel):
        return data.months[0], data.months[-1]
    months = data.dropna()
    if months.empty:
        return None, None
    if not isinstance(months.dtype, pd.PeriodDtype):
        months = months.dt.to_period("M")
    return pd.Period(months.min(), "M"), pd.Period(months.max(), "M")


def covers(data: ArrPanel | pd.Series, month: pd.Period, window_months: int = 1) -> bool:
    """Whether :func:`resolve_as_of` takes ``month`` for ``data`` (a metric can be asked)."""
    first, last = _span(data)
    return first is not None and first <= month and month - window_months < last


def average_contract_value(panel: ArrPanel, as_of: str | pd.Period | None = None,
                           stated: float | None = None) -> float | None:
    """Average contract value: ``stated`` (a profile's ``acv``) if given, else the
    average ARR per paying account in ``as_of``; ``None`` when nobody pays then.

    >>> frame = pd.DataFrame({"account_id": ["a", "b", "c"],
    ...                       "month": pd.PeriodIndex(["2024-01"] * 3, freq="M"),
    ...                       "arr": [100.0, 50.0, 0.0]})
    >>> average_contract_value(ArrPanel.from_frame(frame))
    75.0
    >>> average_contract_value(ArrPanel.from_frame(frame), stated=90_000)
    90000.0
    """
    if stated is not None:
        return check_number("stated", stated, low=0)
    month = resolve_as_of(panel, as_of)
    panel.column(month)
    return _number(_row(_panel_engine(panel), "average_contract_value", ("arr_monthly",),
                        _index(month))["acv"])


def arr_at(panel: ArrPanel, as_of: str | pd.Period | None = None) -> tuple[float, int]:
    """Total ARR and the number of paying accounts (ARR above 0) in ``as_of``, as
    the monthly series of the charts counts them (so the same to the last digit as the
    bridge's closing ARR; :func:`csmodels.engine.definitions.monthly_arr`).

    >>> frame = pd.DataFrame({"account_id": ["a", "b", "c"],
    ...                       "month": pd.PeriodIndex(["2024-01"] * 3, freq="M"),
    ...                       "arr": [100.0, 50.0, 0.0]})
    >>> arr_at(ArrPanel.from_frame(frame))
    (150.0, 2)
    """
    month = resolve_as_of(panel, as_of)
    row = _frame(_panel_engine(panel), "monthly_arr", ("arr_monthly",), _index(month),
                 _index(month)).iloc[0]
    return float(row["arr"]), int(row["paying_accounts"])


# ------------------------------------------------------------------------- retention


@dataclass(frozen=True)
class Retention:
    """Annual (or other ``lookback``) retention as of one month."""

    as_of: str
    nrr: float
    grr: float
    logo_churn: float
    gross_revenue_churn: float
    net_revenue_churn: float
    base_accounts: int
    base_arr: float
    lookback_months: int

    def to_dict(self) -> dict:
        """The figures as a dict, one key per field."""
        return asdict(self)


def retention(panel: ArrPanel, as_of: str | pd.Period | None = None,
              lookback: int = 12) -> Retention:
    """NRR, GRR and logo churn of the accounts that paid ``lookback`` months before ``as_of``.

    Parameters
    ----------
    panel : ArrPanel
    as_of : str or Period, optional
        The month M (``YYYY-MM``); default the last month in the data.
    lookback : int
        Months between the base and M; 12 gives the annual figures of the metrics chapter.

    Examples
    --------
    Account a grows from 100 to 120, b shrinks from 100 to 50, c churns, d is new:

    >>> frame = pd.DataFrame({
    ...     "account_id": ["a", "b", "c", "a", "b", "d"],
    ...     "month": pd.PeriodIndex(["2023-01"] * 3 + ["2024-01"] * 3, freq="M"),
    ...     "arr": [100.0, 100.0, 100.0, 120.0, 50.0, 70.0]})
    >>> r = retention(ArrPanel.from_frame(frame))
    >>> round(r.nrr, 4), round(r.grr, 4), round(r.logo_churn, 4)
    (0.5667, 0.5, 0.3333)
    """
    lookback = _months("lookback", lookback)
    month = _retention_month(panel, as_of, lookback)
    row = _row(_panel_engine(panel), "retention", ("arr_monthly",), _index(month), lookback)
    if not row["base_arr"]:
        raise _no_base(month, lookback)
    return _retention(str(month), row, lookback)


def _retention_month(panel: ArrPanel, as_of, lookback: int) -> pd.Period:
    """The month retention is asked for, refused as a reader needs to hear it when
    the data cannot give it (the lookback before the data's first month)."""
    lookback = _months("lookback", lookback)
    month = resolve_as_of(panel, as_of)
    if panel.column(month) < lookback:
        raise ParameterError(
            f"Retention as of {month} needs {lookback} months of history, but the data start "
            f"in {panel.months[0]}. Choose an as-of month from {panel.months[0] + lookback} on.")
    return month


def _no_base(month: pd.Period, lookback: int) -> ParameterError:
    return ParameterError(f"No account had ARR above 0 in {month - lookback}, "
                          "so retention is undefined there. Choose a later as-of month.")


def _retention(as_of: str, row: Mapping, lookback: int) -> Retention:
    return Retention(
        as_of=as_of, nrr=float(row["nrr"]), grr=float(row["grr"]),
        logo_churn=float(row["logo_churn"]),
        gross_revenue_churn=float(row["gross_revenue_churn"]),
        net_revenue_churn=float(row["net_revenue_churn"]),
        base_accounts=int(row["base_accounts"]), base_arr=float(row["base_arr"]),
        lookback_months=lookback)


def retention_series(panel: ArrPanel, lookback: int = 12) -> pd.DataFrame:
    """:func:`retention` for every month that has ``lookback`` months of history
    (:func:`csmodels.engine.definitions.retention_series`: one query for all months)."""
    lookback = _months("lookback", lookback)
    first, last = _bounds(panel)
    rows = _frame(_panel_engine(panel), "retention_series", ("arr_monthly",), lookback,
                  first, last).set_index("month")
    out = []
    for month in panel.months[lookback:]:
        if _index(month) not in rows.index:
            raise _no_base(month, lookback)
        out.append(_retention(str(month), rows.loc[_index(month)], lookback).to_dict())
    return pd.DataFrame(out, columns=list(Retention.__dataclass_fields__))


@dataclass(frozen=True)
class Compounded:
    """Monthly retention compounded over a window (the "monthly" alternative)."""

    nrr: float
    grr: float
    months: int


def compounded_monthly_retention(panel: ArrPanel, as_of: str | pd.Period | None = None,
                                 months: int = 12) -> Compounded:
    """The product of the ``months`` month-on-month NRRs and GRRs ending at ``as_of``.

    Each month's base is every account paying the month before, so accounts that
    joined during the window enter the base, and GRR is capped every month. The
    monthly figures are :func:`retention_series`'s with a lookback of one month.

    >>> frame = pd.DataFrame({"account_id": ["a"] * 3,
    ...     "month": pd.PeriodIndex(["2024-01", "2024-02", "2024-03"], freq="M"),
    ...     "arr": [100.0, 50.0, 100.0]})
    >>> c = compounded_monthly_retention(ArrPanel.from_frame(frame), months=2)
    >>> c.nrr, c.grr
    (1.0, 0.5)
    """
    months = _months("months", months)
    month = resolve_as_of(panel, as_of)
    steps = [month - k for k in range(months)]
    for step in steps:
        _retention_month(panel, step, 1)
    end = _index(month)
    rows = _frame(_panel_engine(panel), "retention_series", ("arr_monthly",), 1,
                  end - months, end).set_index("month")
    for step in steps:
        if _index(step) not in rows.index:
            raise _no_base(step, 1)
    picked = rows.loc[[_index(step) for step in steps]]
    return Compounded(nrr=float(math.prod(picked["nrr"])), grr=float(math.prod(picked["grr"])),
                      months=months)


def reactivated_arr(panel: ArrPanel, as_of: str | pd.Period | None = None,
                    lookback: int = 12) -> float:
    """ARR at ``as_of`` of base accounts (paying ``lookback`` months earlier) that
    stopped paying at least once in between and came back."""
    lookback = _months("lookback", lookback)
    month = resolve_as_of(panel, as_of)
    if panel.column(month) < lookback:
        return 0.0
    return float(_row(_panel_engine(panel), "reactivated_arr", ("arr_monthly",),
                      _index(month), lookback)["reactivated"])


# ------------------------------------------------------------------------ movements


def arr_movements(panel: ArrPanel) -> pd.DataFrame:
    """Each account's month-over-month ARR change, classified
    (:func:`csmodels.engine.definitions.account_movements`).

    A change from 0 to above 0 is *new* the first time and *reactivation* after
    that; from above 0 to 0 is *churn*; otherwise up is *expansion*, down is
    *contraction*. The first month has no previous month and no movements.

    Returns
    -------
    DataFrame
        Columns ``account_id``, ``month``, ``movement``, ``change`` (signed ARR), by
        account and month.
    """
    first, last = _bounds(panel)
    moves = _frame(_panel_engine(panel), "account_movements", ("arr_monthly",), first, last)
    return pd.DataFrame({  # the engine of a panel alone counts accounts by their row
        "account_id": panel.accounts[moves["account_id"].to_numpy(dtype="int64")].array,
        "month": _periods(moves["month"]),
        "movement": pd.Categorical(moves["movement"], categories=MOVEMENTS),
        "change": moves["change"].to_numpy(dtype="float64"),
    })


def movements(panel: ArrPanel, as_of: str | pd.Period | None = None,
              lookback: int = 12) -> dict[str, float]:
    """The ARR movements of the ``lookback`` months ending at ``as_of``, summed by
    kind (contraction and churn as positive amounts lost), as :func:`arr_bridge`
    counts them (:func:`csmodels.engine.definitions.movements`).

    >>> frame = pd.DataFrame({"account_id": ["a", "b", "a", "c"],
    ...     "month": pd.PeriodIndex(["2024-01", "2024-01", "2024-02", "2024-02"], freq="M"),
    ...     "arr": [100.0, 50.0, 120.0, 30.0]})
    >>> movements(ArrPanel.from_frame(frame), lookback=1)
    {'new': 30.0, 'reactivation': 0.0, 'expansion': 20.0, 'contraction': 0.0, 'churn': 50.0}
    """
    month = resolve_as_of(panel, as_of)
    row = _row(_panel_engine(panel), "movements", ("arr_monthly",), _index(month), lookback,
               _bounds(panel)[0])
    return {name: float(row[name]) for name in MOVEMENTS}


def arr_bridge(panel: ArrPanel) -> pd.DataFrame:
    """Monthly ARR bridge: opening + new + reactivation + expansion - contraction - churn
    (:func:`csmodels.engine.definitions.arr_bridge`).

    Contraction and churn are reported as positive amounts lost; ``closing`` equals
    the month's total ARR.
    """
    first, last = _bounds(panel)
    bridge = _frame(_panel_engine(panel), "arr_bridge", ("arr_monthly",), first, last)
    columns = ["opening", *MOVEMENTS, "closing"]
    return pd.DataFrame(bridge[columns].to_numpy(dtype="float64"),
                        index=_periods(bridge["month"]), columns=pd.Index(columns))


# -------------------------------------------------------------------------- cohorts


def cohort_retention(panel: ArrPanel, freq: str = "Q", measure: str = "revenue",
                     include_first_month: bool = False) -> pd.DataFrame:
    """Retention of each start cohort by months since its start
    (:func:`csmodels.engine.definitions.cohort_retention`).

    An account's cohort is the period (``freq``: ``"Q"`` or ``"Y"``) of the first
    month it paid. Accounts already paying in the data's first month started at an
    unknown date, so they are left out unless ``include_first_month``.

    Parameters
    ----------
    measure : {"revenue", "logos"}
        ``revenue``: the cohort's ARR at age k over its ARR in each account's first
        month; ``logos``: the share of the cohort's accounts still paying at age k.

    Returns
    -------
    DataFrame
        One row per cohort, one column per age in months (0, 1, ...); NaN where
        the age lies beyond the data.
    """
    _cohort_choices(freq, measure)
    first, last = _bounds(panel)
    cells = _frame(_panel_engine(panel), "cohort_retention", ("arr_monthly",), freq, measure,
                   bool(include_first_month), first, last)
    order = cells.drop_duplicates("cohort_key").sort_values("cohort_key")["cohort"]
    table = (cells.pivot(index="cohort", columns="age", values="retention")
             .reindex(index=pd.Index(order, dtype=str, name="cohort")).astype("float64"))
    table.columns = pd.Index(table.columns.astype("int64"), name="months_since_start")
    return table


def cohort_retention_at(panel: ArrPanel, age: int, freq: str = "Q", measure: str = "revenue",
                        include_first_month: bool = False) -> tuple[int, float | None]:
    """How many start cohorts of :func:`cohort_retention` are observed ``age`` months
    after their start, and their average retention then (``None`` without one)
    (:func:`csmodels.engine.definitions.cohort_retention_at`)."""
    _cohort_choices(freq, measure)
    first, last = _bounds(panel)
    row = _row(_panel_engine(panel), "cohort_retention_at", ("arr_monthly",), freq, measure,
               int(age), bool(include_first_month), first, last)
    return int(row["cohorts"]), _number(row["average"])


def _cohort_choices(freq: str, measure: str) -> None:
    if measure not in ("revenue", "logos"):
        raise ParameterError(f"measure must be 'revenue' or 'logos', not {measure!r}.")
    if freq not in ("Q", "Y"):
        raise ParameterError(f"freq must be 'Q' or 'Y', not {freq!r}.")


# ------------------------------------------------------------------------------- NPS


@dataclass(frozen=True)
class Nps:
    """Net Promoter Score over a window of responses."""

    score: float
    responses: int
    promoters: float
    passives: float
    detractors: float


def nps(responses: pd.DataFrame, as_of: str | pd.Period, window_months: int = 12,
        weights: pd.Series | None = None) -> Nps | None:
    """NPS = 100 x (share of 9-10 - share of 0-6) over responses in the window
    (:func:`csmodels.engine.definitions.nps_shares`).

    The window is the ``window_months`` months ending with ``as_of``. Passives
    (7-8) stay in the denominator. ``weights``, indexed by account id, weights each
    response by its account (for example its ARR); responses of accounts without a
    weight then count 0. Returns ``None`` when the window holds no response.

    >>> r = pd.DataFrame({"date": pd.to_datetime(["2024-01-05"] * 4), "score": [10, 9, 7, 3]})
    >>> nps(r, "2024-01").score
    25.0
    """
    window_months = _months("window_months", window_months)
    month = resolve_as_of(responses["date"], as_of, window_months)
    frames = {"nps_responses": responses}
    if weights is not None:
        frames["nps_weights"] = pd.DataFrame({
            "weight_id": weights.index.astype(str),
            "weight": weights.to_numpy(dtype="float64")})
    engine = _reused(("nps", id(responses), _content(weights)), (responses,),
                     lambda: _engine(**frames))
    row = _row(engine, "nps_shares", ("nps_responses",), _index(month),
               window_months, weights="nps_weights" if weights is not None else None)
    if not row["responses"] or row["score"] is None:
        return None
    return Nps(score=float(row["score"]), responses=int(row["responses"]),
               promoters=float(row["promoters"]), passives=float(row["passives"]),
               detractors=float(row["detractors"]))


def nps_distribution(responses: pd.DataFrame, as_of: str | pd.Period,
                     window_months: int = 12) -> pd.Series:
    """How many responses in the NPS window gave each score from 0 to 10 (the window
    of :func:`nps`; :func:`csmodels.engine.definitions.nps_distribution`).

    >>> r = pd.DataFrame({"date": pd.to_datetime(["2024-01-05"] * 3), "score": [10, 9, 10]})
    >>> nps_distribution(r, "2024-01").loc[[9, 10]].tolist()
    [1, 2]
    """
    window_months = _months("window_months", window_months)
    month = resolve_as_of(responses["date"], as_of, window_months)
    engine = _reused(("nps", id(responses), None), (responses,),
                     lambda: _engine(nps_responses=responses))
    counts = _frame(engine, "nps_distribution", ("nps_responses",), _index(month),
                    window_months)
    return (pd.Series(counts["responses"].to_numpy(dtype="int64"),
                      index=counts["score"].to_numpy(dtype="int64"))
            .reindex(range(11), fill_value=0).rename_axis("score").rename("responses"))


# ---------------------------------------------------------- adoption, TTV, QBRs, pipeline


def seat_utilisation(usage: pd.DataFrame, as_of: str | pd.Period,
                     seats: pd.Series | None = None) -> pd.Series:
    """Active users over licensed seats per account in ``as_of``, capped at 1
    (:func:`csmodels.engine.definitions.seat_utilisation`).

    Seats come from ``usage.licensed_seats`` where given, else from ``seats``
    (indexed by account id, e.g. ``accounts.licensed_seats``). Accounts with no
    usage row that month or no seat count are left out.
    """
    month = resolve_as_of(usage["month"], as_of)
    engine, accounts = _usage_engine(usage, seats)
    if _REUSE.get() is None:
        ratio = _frame(engine, "seat_utilisation", ("usage_monthly",), _index(month),
                       accounts=accounts)
    else:  # asked for month after month (the health check): every month in one query
        every = _reused(("utilisation", id(usage), _content(seats)), (usage,),
                        lambda: _frame(engine, "seat_utilisation_by_month", ("usage_monthly",),
                                       accounts=accounts))
        ratio = every[every["month"] == _index(month)]
    return pd.Series(ratio["utilisation"].to_numpy(dtype="float64"),
                     index=pd.Index(ratio["account_id"], dtype=usage["account_id"].dtype,
                                    name="account_id"), name="utilisation")


def adoption_rate(usage: pd.DataFrame, as_of: str | pd.Period,
                  seats: pd.Series | None = None) -> float | None:
    """Product adoption: the median account's seat utilisation in ``as_of``
    (:func:`csmodels.engine.definitions.adoption`)."""
    month = resolve_as_of(usage["month"], as_of)
    engine, accounts = _usage_engine(usage, seats)
    return _number(_row(engine, "adoption", ("usage_monthly",), _index(month),
                        accounts=accounts)["adoption"])


def _usage_engine(usage: pd.DataFrame, seats: pd.Series | None):
    """An engine over usage and, given ``seats``, the seats per account (as the
    accounts table); the name of that table, or ``None``."""
    if seats is None:
        return _reused(("usage", id(usage)), (usage,), lambda: _engine(usage_monthly=usage)), None
    accounts = pd.DataFrame({"account_id": seats.index.astype(str),
                             "licensed_seats": pd.array(seats, dtype="Int64")})
    engine = _reused(("usage", id(usage), _content(seats)), (usage,),
                     lambda: _engine(usage_monthly=usage, accounts=accounts))
    return engine, "accounts"


@dataclass(frozen=True)
class TimeToValue:
    """Days from contract to first value for contracts signed in a window."""

    median_days: float | None
    p75_days: float | None
    within_target: float | None
    target_days: int
    contracts: int
    not_yet: int


def time_to_value(onboarding: pd.DataFrame, as_of: str | pd.Period, window_months: int = 12,
                  target_days: int = 60) -> TimeToValue:
    """Time to value of the contracts signed in the ``window_months`` ending at ``as_of``
    (:func:`csmodels.engine.definitions.time_to_value_detail`).

    Contracts that have not reached value by the end of ``as_of`` count in
    ``not_yet`` and as missing the target once ``target_days`` have passed; the
    median is over the contracts that reached value.
    """
    window_months = _months("window_months", window_months)
    target_days = check_number("target_days", target_days, low=1, whole=True)
    month = resolve_as_of(onboarding["contract_date"], as_of, window_months)
    engine = _reused(("onboarding", id(onboarding)), (onboarding,),
                     lambda: _engine(onboarding=onboarding))
    row = _row(engine, "time_to_value_detail", ("onboarding",),
               _index(month), window_months, target_days)
    return TimeToValue(
        median_days=_number(row["time_to_value_median_days"]),
        p75_days=_number(row["time_to_value_p75_days"]),
        within_target=_number(row["time_to_value_within_target"]),
        target_days=target_days, contracts=int(row["contracts"]), not_yet=int(row["not_yet"]))


def qbr_coverage(qbrs: pd.DataFrame, panel: ArrPanel, as_of: str | pd.Period,
                 window_months: int = 3, min_arr: float = 0.0) -> float | None:
    """Share of paying accounts (ARR above ``min_arr`` in ``as_of``) that held a QBR
    in the ``window_months`` ending at ``as_of``
    (:func:`csmodels.engine.definitions.qbr_coverage`)."""
    window_months = _months("window_months", window_months)
    min_arr = check_number("min_arr", min_arr, low=0)
    month = resolve_as_of(panel, as_of)
    panel.column(month)
    engine = _reused(("qbrs", id(panel), id(qbrs)), (panel, qbrs),
                     lambda: _engine(panel, qbrs=qbrs))
    row = _row(engine, "qbr_coverage", ("arr_monthly", "qbrs"),
               _index(month), window_months, float(min_arr))
    return _number(row["qbr_coverage"])


def expansion_pipeline_influenced(opportunities: pd.DataFrame, as_of: str | pd.Period,
                                  window_months: int = 12) -> float | None:
    """Share of the expansion pipeline's amount that CS sourced or influenced
    (:func:`csmodels.engine.definitions.pipeline_influenced`).

    The pipeline is every expansion opportunity created in the ``window_months``
    ending at ``as_of``, whatever its status. ``None`` without such opportunities
    or without the ``cs_sourced``/``cs_influenced`` columns.
    """
    window_months = _months("window_months", window_months)
    month = resolve_as_of(opportunities["created_date"], as_of, window_months)
    engine = _reused(("opportunities", id(opportunities)), (opportunities,),
                     lambda: _engine(opportunities=opportunities))
    row = _row(engine, "pipeline_influenced", ("opportunities",),
               _index(month), window_months)
    return _number(row["expansion_pipeline_influenced"])


def _table_kpi(kpi, frames: Mapping[str, pd.DataFrame], panel: ArrPanel, month: pd.Period,
               settings) -> dict:
    """The figures of a table KPI (:class:`csmodels.table_kpis.TableKpi`) in ``month``
    under ``settings``: its definition run on an embedded DuckDB over ``frames`` (the
    tables it reads that the company has) and, if it reads ``arr_monthly``, ``panel``."""
    from .engine.run import _clean

    arr = "arr_monthly" in kpi.tables
    frames = {name: frames[name] for name in sorted(frames) if name != "arr_monthly"}
    key = ("table_kpi", id(panel) if arr else None, *(id(f) for f in frames.values()))
    engine = _reused(key, (panel, *frames.values()),
                     lambda: _engine(panel if arr else None, **frames))
    present = tuple(sorted({*frames, *(("arr_monthly",) if arr else ())}))
    index = _index(month)
    row = engine.cached_row(("csmodels.table_kpis", present, index, kpi.cache_key(settings)),
                            lambda: kpi.query(_kpi_tables(present, index), index, settings))
    return kpi.values({name: _clean(value) for name, value in row.items()})


def _kpi_tables(present: tuple[str, ...], index: int) -> dict:
    """The unbound tables a table KPI's definition reads, with the account panel of
    month ``index`` as ``panel`` when ``arr_monthly`` is present."""
    from .engine import definitions as d

    tables = d.input_tables(set(present))
    if "arr_monthly" in tables:
        tables["panel"] = d.account_panel(tables["arr_monthly"], index, 0)
    return tables


# ------------------------------------------------------- running the definitions
# The frames go to an embedded DuckDB connection as Arrow tables; the definition's
# SQL is compiled once per (definition, tables, arguments) and cached on disk by
# csmodels.engine.run, so a run that finds it there does not import Ibis.


def _index(month: pd.Period) -> int:
    """A month as the definitions count it: ``year * 12 + month - 1``."""
    return int(month.ordinal) + _EPOCH


def _periods(indexes: pd.Series) -> pd.PeriodIndex:
    return pd.PeriodIndex.from_ordinals(indexes.to_numpy(dtype="int64") - _EPOCH, freq="M")


def _bounds(panel: ArrPanel) -> tuple[int, int]:
    return _index(panel.months[0]), _index(panel.months[-1])


def _number(value) -> float | None:
    """A figure as a float; ``None`` for a null or a NaN."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


_PANELS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_REUSE: ContextVar[dict | None] = ContextVar("csmodels_metrics_engines", default=None)


@contextlib.contextmanager
def reusing_engines() -> Iterator[None]:
    """Inside this block, the engine made for a table (the same object, or for weights
    and seats the same values) serves every metric asked of it, instead of the table
    going to DuckDB again each time. For a caller that does not change its tables
    meanwhile, such as :func:`csmodels.metrics_summary`, whose health check asks for
    the seat utilisation of a few dozen months."""
    token = _REUSE.set({})
    try:
        yield
    finally:
        _REUSE.reset(token)


def _reused(key: tuple, keep: tuple, make: Callable):
    """``make()``, or inside :func:`reusing_engines` the engine made for ``key``;
    ``keep`` holds the tables whose ``id`` the key names while the block lasts."""
    cache = _REUSE.get()
    if cache is None:
        return make()
    if key not in cache:
        cache[key] = (make(), keep)
    return cache[key][0]


def _content(series: pd.Series | None) -> bytes | None:
    """The values of a small series (weights, seats) and its index, as a key."""
    if series is None:
        return None
    return pd.util.hash_pandas_object(series, index=True).to_numpy().tobytes()


def _panel_engine(panel: ArrPanel):
    """The engine over ``panel``, made once per panel (the panel is frozen)."""
    engine = _PANELS.get(panel)
    if engine is None:
        engine = _PANELS[panel] = _engine(panel)
    return engine


def _panel_arrow(panel: ArrPanel, text_ids: bool):
    """The panel's account-months with ARR above 0 as an Arrow table of the
    definitions' ``arr_monthly`` (an account-month without a row is 0 for them too).

    Without ``text_ids`` an account is its row in the panel (accounts are sorted, so
    the order is the same): grouping and joining integers is several times faster,
    and no other table has to meet these ids.
    """
    import pyarrow as pa

    rows, cols = np.nonzero(panel.values)
    ids = pa.array(rows.astype("int32"))
    if text_ids:
        ids = pa.array(np.asarray(panel.accounts.astype(str), dtype=object)).take(ids)
    months = cols.astype("int32")
    months += _bounds(panel)[0]
    return pa.table({"account_id": ids, "month": pa.array(months),
                     "arr": pa.array(panel.values[rows, cols])})


@functools.cache
def _database():
    """The in-memory DuckDB database the engines of this module open connections to
    (opening a database costs about 30 ms, a connection to it a tenth of a ms)."""
    import duckdb

    database = duckdb.connect()
    # every multi-row result is ordered by its definition; not keeping the order of
    # insertion lets DuckDB use less memory on large panels
    database.execute("SET preserve_insertion_order = false")
    return database


def _engine(panel: ArrPanel | None = None, **frames: pd.DataFrame):
    """An embedded DuckDB engine over ``panel`` (as ``arr_monthly``; its accounts as
    their row in the panel unless other ``frames`` come with it) and ``frames`` (input
    tables by name, and ``nps_weights``), each registered as Arrow."""
    from .engine.run import Engine
    from .engine.sources import _to_arrow, typed_views

    con = _database().cursor()  # its own views and tables, at no cost of a new database
    views, sources, columns = {}, {}, {}
    if panel is not None:
        con.register("_csm_panel", _panel_arrow(panel, text_ids=bool(frames)))
        views["arr_monthly"] = "SELECT account_id, month, arr FROM _csm_panel"
    for name, frame in frames.items():
        arrow = _to_arrow(frame)
        con.register(f"_csm_{name}", arrow)
        if name == "nps_weights":
            views[name] = f"SELECT weight_id, weight FROM _csm_{name}"
            continue
        sources[name] = f"_csm_{name}"
        columns[name] = {field.name: str(field.type) for field in arrow.schema}
    views.update(typed_views(sources, columns, spark=False))
    return Engine(con, views, bounds=_bounds(panel) if panel is not None else None)


def _build(definition: str, tables: tuple, args: tuple, named: tuple):
    from .engine import definitions as d

    t = {**d.input_tables(), "nps_weights": d.weight_table()}
    keywords = {param: t[name] if name else None for param, name in named}
    return getattr(d, definition)(*(t[name] for name in tables), *args, **keywords)


def _row(engine, definition: str, tables: tuple, *args, **named: str | None) -> dict:
    """The one row of ``definition`` (a function of the definitions module) on the
    input ``tables`` and ``args``; ``named`` passes tables by parameter name (``None``
    for an absent optional one)."""
    key = ("csmodels.metrics", definition, tables, args, tuple(sorted(named.items())))
    return engine.cached_row(key, lambda: _build(definition, tables, args, key[-1]))


def _frame(engine, definition: str, tables: tuple, *args, **named: str | None
           ) -> pd.DataFrame:
    """Every row of ``definition``, as :func:`_row` runs it."""
    key = ("csmodels.metrics", definition, tables, args, tuple(sorted(named.items())))
    return engine.cached_frame(key, lambda: _build(definition, tables, args, key[-1]))
