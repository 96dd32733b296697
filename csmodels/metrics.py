"""Customer Success metrics, as defined in the book's metrics chapter.

Retention works on an :class:`ArrPanel`: ARR as an accounts x months matrix in
which every month from the first to the last is present and an account-month with
no row is 0. Every definition is vectorised over accounts, so the cost grows with
rows, not with a Python loop.

Ratios are fractions (0.97, not 97). Definitions (the book's, in
``csmodels/data/cs_kpis.csv``), as of month M with C the accounts whose ARR at M-12 is above 0:

* NRR = sum over C of ARR(M) / sum over C of ARR(M-12)
* GRR = sum over C of min(ARR(M), ARR(M-12)) / sum over C of ARR(M-12)
* logo churn = share of C with ARR(M) = 0
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from ._checks import check_number
from .exceptions import ParameterError

MOVEMENTS = ("new", "reactivation", "expansion", "contraction", "churn")


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
        """Total ARR per month."""
        return pd.Series(self.values.sum(axis=0), index=self.months, name="arr")


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
    try:
        month = pd.Period(as_of, freq="M")
    except (ValueError, TypeError):
        raise ParameterError(f"The as-of month {as_of!r} is not a month written YYYY-MM.") from None
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
    now = panel.values[:, panel.column(resolve_as_of(panel, as_of))]
    paying = now > 0
    return float(now[paying].sum() / paying.sum()) if paying.any() else None


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
    month = resolve_as_of(panel, as_of)
    t = panel.column(month)
    if t < lookback:
        raise ParameterError(
            f"Retention as of {month} needs {lookback} months of history, but the data start "
            f"in {panel.months[0]}. Choose an as-of month from {panel.months[0] + lookback} on.")
    base, now = panel.values[:, t - lookback], panel.values[:, t]
    cohort = base > 0
    base_arr = base[cohort].sum()
    if base_arr == 0:
        raise ParameterError(f"No account had ARR above 0 in {month - lookback}, "
                             "so retention is undefined there. Choose a later as-of month.")
    nrr = now[cohort].sum() / base_arr
    grr = np.minimum(now[cohort], base[cohort]).sum() / base_arr
    return Retention(
        as_of=str(month), nrr=float(nrr), grr=float(grr),
        logo_churn=float((now[cohort] == 0).mean()),
        gross_revenue_churn=float(1 - grr), net_revenue_churn=float(1 - nrr),
        base_accounts=int(cohort.sum()), base_arr=float(base_arr), lookback_months=lookback)


def retention_series(panel: ArrPanel, lookback: int = 12) -> pd.DataFrame:
    """:func:`retention` for every month that has ``lookback`` months of history."""
    lookback = _months("lookback", lookback)
    rows = [retention(panel, month, lookback).to_dict() for month in panel.months[lookback:]]
    return pd.DataFrame(rows, columns=list(Retention.__dataclass_fields__))


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
    joined during the window enter the base, and GRR is capped every month.

    >>> frame = pd.DataFrame({"account_id": ["a"] * 3,
    ...     "month": pd.PeriodIndex(["2024-01", "2024-02", "2024-03"], freq="M"),
    ...     "arr": [100.0, 50.0, 100.0]})
    >>> c = compounded_monthly_retention(ArrPanel.from_frame(frame), months=2)
    >>> c.nrr, c.grr
    (1.0, 0.5)
    """
    months = _months("months", months)
    month = resolve_as_of(panel, as_of)
    steps = [retention(panel, month - k, lookback=1) for k in range(months)]
    return Compounded(nrr=float(np.prod([r.nrr for r in steps])),
                      grr=float(np.prod([r.grr for r in steps])), months=months)


def reactivated_arr(panel: ArrPanel, as_of: str | pd.Period | None = None,
                    lookback: int = 12) -> float:
    """ARR at ``as_of`` of base accounts (paying ``lookback`` months earlier) that
    stopped paying at least once in between and came back."""
    lookback = _months("lookback", lookback)
    month = resolve_as_of(panel, as_of)
    t = panel.column(month)
    if t < lookback:
        return 0.0
    window = panel.values[:, t - lookback: t + 1]
    back = (window[:, 0] > 0) & (window[:, -1] > 0) & (window == 0).any(axis=1)
    return float(window[back, -1].sum())


# ------------------------------------------------------------------------ movements


def arr_movements(panel: ArrPanel) -> pd.DataFrame:
    """Each account's month-over-month ARR change, classified.

    A change from 0 to above 0 is *new* the first time and *reactivation* after
    that; from above 0 to 0 is *churn*; otherwise up is *expansion*, down is
    *contraction*. The first month has no previous month and no movements.

    Returns
    -------
    DataFrame
        Columns ``account_id``, ``month``, ``movement``, ``change`` (signed ARR).
    """
    prev, cur = panel.values[:, :-1], panel.values[:, 1:]
    seen_before = np.maximum.accumulate(panel.values > 0, axis=1)[:, :-1]
    kind = np.select(
        [(prev == 0) & (cur > 0) & ~seen_before, (prev == 0) & (cur > 0),
         (prev > 0) & (cur == 0), cur > prev, cur < prev],
        [1, 2, 5, 3, 4], default=0)
    rows, cols = np.nonzero(kind)
    return pd.DataFrame({
        "account_id": panel.accounts[rows],
        "month": panel.months[cols + 1],
        "movement": pd.Categorical.from_codes(kind[rows, cols] - 1, categories=MOVEMENTS),
        "change": (cur - prev)[rows, cols],
    })


def arr_bridge(panel: ArrPanel) -> pd.DataFrame:
    """Monthly ARR bridge: opening + new + reactivation + expansion - contraction - churn.

    Contraction and churn are reported as positive amounts lost; ``closing`` equals
    the month's total ARR.
    """
    moves = arr_movements(panel)
    bridge = (moves.pivot_table(index="month", columns="movement", values="change",
                                aggfunc="sum", observed=False, fill_value=0.0)
              .reindex(index=panel.months[1:], columns=list(MOVEMENTS), fill_value=0.0))
    bridge[["contraction", "churn"]] = -bridge[["contraction", "churn"]]
    total = panel.total()
    bridge.insert(0, "opening", total.shift(1).loc[panel.months[1:]].to_numpy())
    bridge["closing"] = total.loc[panel.months[1:]].to_numpy()
    bridge.columns.name = None
    return bridge


# -------------------------------------------------------------------------- cohorts


def cohort_retention(panel: ArrPanel, freq: str = "Q", measure: str = "revenue",
                     include_first_month: bool = False) -> pd.DataFrame:
    """Retention of each start cohort by months since its start.

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
    if measure not in ("revenue", "logos"):
        raise ParameterError(f"measure must be 'revenue' or 'logos', not {measure!r}.")
    if freq not in ("Q", "Y"):
        raise ParameterError(f"freq must be 'Q' or 'Y', not {freq!r}.")
    paying = panel.values > 0
    ever = paying.any(axis=1)
    start = paying.argmax(axis=1)
    keep = ever & ((start > 0) | include_first_month)
    values, start = panel.values[keep], start[keep]
    n_months = len(panel.months)
    ages = np.arange(n_months)
    cols = start[:, None] + ages[None, :]
    inside = cols < n_months
    aligned = np.where(inside, values[np.arange(len(values))[:, None],
                                      np.minimum(cols, n_months - 1)], np.nan)
    if measure == "logos":
        aligned = np.where(np.isnan(aligned), np.nan, aligned > 0)
        base = np.ones(len(values))
    else:
        base = values[np.arange(len(values)), start]
    cohort = panel.months[start].asfreq(freq)
    frame = pd.DataFrame(aligned, columns=ages)
    frame["cohort"] = cohort
    sums = frame.groupby("cohort").sum(min_count=1)
    observed = frame.drop(columns="cohort").notna().groupby(frame["cohort"]).all()
    denominators = pd.Series(base).groupby(cohort).sum()
    table = sums.div(denominators, axis=0).where(observed)
    table = table.loc[:, table.notna().any()]
    table.index = table.index.astype(str)
    table.index.name = "cohort"
    table.columns.name = "months_since_start"
    return table


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
    """NPS = 100 x (share of 9-10 - share of 0-6) over responses in the window.

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
    answered = responses["date"].dt.to_period("M")
    inside = responses[(answered > month - window_months) & (answered <= month)]
    if inside.empty:
        return None
    if weights is None:
        w = np.ones(len(inside))
    else:
        w = inside["account_id"].map(weights).fillna(0.0).to_numpy(dtype="float64")
    if w.sum() == 0:
        return None
    score = inside["score"].to_numpy(dtype="float64")
    promoters = w[score >= 9].sum() / w.sum()
    detractors = w[score <= 6].sum() / w.sum()
    return Nps(score=float(100 * (promoters - detractors)), responses=len(inside),
               promoters=float(promoters), passives=float(1 - promoters - detractors),
               detractors=float(detractors))


# ---------------------------------------------------------- adoption, TTV, QBRs, pipeline


def seat_utilisation(usage: pd.DataFrame, as_of: str | pd.Period,
                     seats: pd.Series | None = None) -> pd.Series:
    """Active users over licensed seats per account in ``as_of``, capped at 1.

    Seats come from ``usage.licensed_seats`` where given, else from ``seats``
    (indexed by account id, e.g. ``accounts.licensed_seats``). Accounts with no
    usage row that month or no seat count are left out.
    """
    month = resolve_as_of(usage["month"], as_of)
    rows = usage[usage["month"] == month].set_index("account_id")
    licensed = rows["licensed_seats"].astype("Float64")
    if seats is not None:
        licensed = licensed.fillna(seats.reindex(rows.index).astype("Float64"))
    licensed = licensed.where(licensed > 0)
    ratio = (rows["active_users"].astype("Float64") / licensed).clip(upper=1.0)
    return ratio.dropna().astype("float64").rename("utilisation")


def adoption_rate(usage: pd.DataFrame, as_of: str | pd.Period,
                  seats: pd.Series | None = None) -> float | None:
    """Product adoption: the median account's seat utilisation in ``as_of``."""
    ratio = seat_utilisation(usage, as_of, seats)
    return float(ratio.median()) if len(ratio) else None


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
    """Time to value of the contracts signed in the ``window_months`` ending at ``as_of``.

    Contracts that have not reached value by the end of ``as_of`` count in
    ``not_yet`` and as missing the target once ``target_days`` have passed; the
    median is over the contracts that reached value.
    """
    window_months = _months("window_months", window_months)
    target_days = check_number("target_days", target_days, low=1, whole=True)
    month = resolve_as_of(onboarding["contract_date"], as_of, window_months)
    end = month.end_time.normalize()
    signed = onboarding["contract_date"].dt.to_period("M")
    rows = onboarding[(signed > month - window_months) & (signed <= month)]
    reached = rows["first_value_date"].notna() & (rows["first_value_date"] <= end)
    days = (rows["first_value_date"] - rows["contract_date"]).dt.days[reached]
    elapsed = (end - rows["contract_date"]).dt.days
    decided = reached | (elapsed >= target_days)
    hit = reached & (rows["first_value_date"] - rows["contract_date"]).dt.days.le(target_days)
    return TimeToValue(
        median_days=float(days.median()) if len(days) else None,
        p75_days=float(days.quantile(0.75)) if len(days) else None,
        within_target=float(hit[decided].mean()) if decided.any() else None,
        target_days=target_days, contracts=len(rows), not_yet=int((~reached).sum()))


def qbr_coverage(qbrs: pd.DataFrame, panel: ArrPanel, as_of: str | pd.Period,
                 window_months: int = 3, min_arr: float = 0.0) -> float | None:
    """Share of paying accounts (ARR above ``min_arr`` in ``as_of``) that held a QBR
    in the ``window_months`` ending at ``as_of``."""
    window_months = _months("window_months", window_months)
    min_arr = check_number("min_arr", min_arr, low=0)
    month = resolve_as_of(panel, as_of)
    now = panel.values[:, panel.column(month)]
    eligible = panel.accounts[(now > 0) & (now >= min_arr)]
    if len(eligible) == 0:
        return None
    held = qbrs["date"].dt.to_period("M")
    recent = qbrs.loc[(held > month - window_months) & (held <= month), "account_id"]
    return float(eligible.isin(recent).mean())


def expansion_pipeline_influenced(opportunities: pd.DataFrame, as_of: str | pd.Period,
                                  window_months: int = 12) -> float | None:
    """Share of the expansion pipeline's amount that CS sourced or influenced.

    The pipeline is every expansion opportunity created in the ``window_months``
    ending at ``as_of``, whatever its status. ``None`` without such opportunities
    or without the ``cs_sourced``/``cs_influenced`` columns.
    """
    window_months = _months("window_months", window_months)
    month = resolve_as_of(opportunities["created_date"], as_of, window_months)
    created = opportunities["created_date"].dt.to_period("M")
    pipe = opportunities[(opportunities["type"] == "expansion") & (created > month - window_months)
                         & (created <= month)]
    flags = pipe[["cs_sourced", "cs_influenced"]]
    if pipe.empty or flags.isna().all().all() or pipe["amount"].sum() == 0:
        return None
    by_cs = flags.fillna(False).any(axis=1).to_numpy(dtype=bool)
    return float(pipe["amount"][by_cs].sum() / pipe["amount"].sum())
