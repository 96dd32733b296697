"""A customer health score whose components and weights are parameters.

There is no industry formula for a health score. Source 003 recommends rolling
leading indicators of adoption, outcomes and advocacy into one score; source 004
lists the score among the nine CS KPIs. This module's components and mappings are
the book's own assumptions, each a field of :class:`HealthModel`:

* ``adoption``: seat utilisation in the month (active users / licensed seats, capped at 1);
* ``nps``: the account's latest NPS answer in the last ``nps_months`` months, / 10;
* ``engagement``: 1 if the account held a QBR in the last ``engagement_months`` months, else 0;
* ``arr_trend``: ARR now against ``trend_months`` ago; no change scores 0.5, a rise
  (fall) of ``trend_span`` or more scores 1 (0).

The score is ``100 x sum(w_i x c_i) / sum(w_i)``. A component without data for an
account scores ``missing``; a component whose table the company lacks is dropped, so
an account's score depends on its own data alone.

The score is tested as it is used: :func:`renewals` finds each account's contract
anniversaries, and :func:`renewal_test` scores the account a lead before each renewal
(with data up to then only) and measures how well the score told the renewals that
churned from those that renewed. With the weights fixed before the test, as the
chapter fixes them, the test is out of sample; choosing weights on the same renewals
would make it an in-sample fit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import pandas as pd

from ._checks import Checked, check_number, number, shown
from .exceptions import ParameterError
from .inputs import Company
from .metrics import ArrPanel, covers, resolve_as_of, seat_utilisation

COMPONENTS = ("adoption", "nps", "engagement", "arr_trend")
DEFAULT_WEIGHTS = MappingProxyType(
    {"adoption": 0.35, "nps": 0.20, "engagement": 0.15, "arr_trend": 0.30})
# Which table each component needs.
_NEEDS = {"adoption": "usage_monthly", "nps": "nps_responses", "engagement": "qbrs",
          "arr_trend": "arr_monthly"}


@dataclass(frozen=True)
class HealthModel(Checked):
    """Settings of the health score (every one an assumption of the book's)."""

    weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    trend_months: int = number(3, low=1, whole=True)
    trend_span: float = number(0.2, above=0)
    engagement_months: int = number(6, low=1, whole=True)
    nps_months: int = number(12, low=1, whole=True)
    missing: float = number(0.5, low=0, high=1)

    def __post_init__(self) -> None:
        super().__post_init__()
        if not isinstance(self.weights, Mapping):
            raise ParameterError("Health-score weights must map components to numbers, not "
                                 f"{shown(self.weights)}.")
        unknown = set(self.weights) - set(COMPONENTS)
        if unknown:
            raise ParameterError(
                f"Unknown health-score component(s) {sorted(unknown)}; "
                f"the components are {', '.join(COMPONENTS)}.")
        weights = {k: check_number(f"The health-score weight of {k!r}", v, low=0)
                   for k, v in self.weights.items()}
        if sum(weights.values()) <= 0:
            raise ParameterError("Health-score weights must be finite, >= 0 and not all 0, "
                                 f"got {dict(self.weights)}.")
        object.__setattr__(self, "weights", MappingProxyType(
            {k: weights.get(k, 0.0) for k in COMPONENTS}))


def health_scores(company: Company, model: HealthModel | None = None,
                  as_of: str | pd.Period | None = None,
                  panel: ArrPanel | None = None, accounts=None) -> pd.DataFrame:
    """Each paying account's health components and score in ``as_of`` (only those
    in ``accounts``, if given: a score depends on its own account's data alone).

    Returns
    -------
    DataFrame
        Indexed by account id: one column per component (0-1; NaN where its
        table is missing) and ``score`` (0-100).
    """
    model = model or HealthModel()
    panel = panel or ArrPanel.from_frame(company.arr_monthly)
    month = resolve_as_of(panel, as_of)
    t = panel.column(month)
    paying = panel.values[:, t] > 0
    if accounts is not None:
        paying &= panel.accounts.isin(accounts)
    ids = panel.accounts[paying]
    parts = pd.DataFrame(index=ids)
    parts["arr_trend"] = _trend(panel, t, model)[paying]
    used = ["arr_trend"]  # the components whose table the company has
    if company.usage_monthly is not None:
        seats = (company.accounts.set_index("account_id")["licensed_seats"]
                 if company.accounts is not None else None)
        used.append("adoption")
        if covers(company.usage_monthly["month"], month):  # else no account's seat use is known
            parts["adoption"] = seat_utilisation(company.usage_monthly, month,
                                                 seats).reindex(ids)
    if company.nps_responses is not None and company.has("nps_responses", "account_id"):
        used.append("nps")
        parts["nps"] = _latest_nps(company.nps_responses, month, model.nps_months).reindex(ids)
    if company.qbrs is not None:
        used.append("engagement")
        held = company.qbrs["date"].dt.to_period("M")
        recent = company.qbrs["account_id"][(held > month - model.engagement_months)
                                             & (held <= month)]
        parts["engagement"] = ids.isin(recent).astype(float)
    parts = parts.reindex(columns=list(COMPONENTS)).astype("float64")
    used = [c for c in COMPONENTS if c in used]
    weights = pd.Series({c: model.weights[c] for c in used})
    if weights.sum() == 0:
        raise ParameterError(
            "Every health-score component with a non-zero weight needs a table this company "
            f"lacks ({', '.join(_NEEDS[c] for c in COMPONENTS if model.weights[c] > 0)}). "
            "Give weight to a component the data supports, such as arr_trend.")
    filled = parts[used].fillna(model.missing)
    parts["score"] = 100 * (filled * weights).sum(axis=1) / weights.sum()
    return parts


def _trend(panel: ArrPanel, t: int, model: HealthModel) -> np.ndarray:
    if t < model.trend_months:
        return np.full(len(panel.accounts), np.nan)
    before, now = panel.values[:, t - model.trend_months], panel.values[:, t]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(before > 0, now / before, np.nan)
    return np.clip(0.5 + (ratio - 1) / (2 * model.trend_span), 0, 1)


def _latest_nps(responses: pd.DataFrame, month: pd.Period, window: int) -> pd.Series:
    answered = responses["date"].dt.to_period("M")
    inside = responses[(answered > month - window) & (answered <= month)
                       & responses["account_id"].notna()]
    latest = inside.sort_values("date").groupby("account_id")["score"].last()
    return latest.astype("float64") / 10


def renewals(company: Company, panel: ArrPanel | None = None,
             term_months: int = 12) -> pd.DataFrame:
    """Every renewal the data show: each account's contract anniversary while it paid.

    A contract runs ``term_months`` from its start: ``accounts.contract_start`` for an
    account's first contract where the column is given, else the first month it paid;
    after a gap (a win-back) the month it paid again. A renewal falls due in each
    anniversary month M of an account that paid in M - 1; it *churned* there if its
    ARR in M is 0. Accounts already paying in the data's first month without a
    ``contract_start`` have no known anniversary and give no renewal.

    Returns
    -------
    DataFrame
        Columns ``account_id``, ``renewal`` (a monthly Period), ``churned`` (bool).

    ``x`` pays from the first month (no known start), ``a`` and ``b`` sign in 2024-02;
    ``a`` renews a year later, ``b`` does not:

    >>> months = [str(m) for m in pd.period_range("2024-02", "2025-02", freq="M")]
    >>> frame = pd.DataFrame({"account_id": ["x"] + ["a"] * 13 + ["b"] * 12,
    ...                       "month": pd.PeriodIndex(["2024-01"] + months + months[:-1],
    ...                                               freq="M"),
    ...                       "arr": 10.0})
    >>> got = renewals(Company(folder=None, arr_monthly=frame))
    >>> got.astype({"renewal": str}).to_dict("records")
    [{'account_id': 'a', 'renewal': '2025-02', 'churned': False}, \
{'account_id': 'b', 'renewal': '2025-02', 'churned': True}]
    """
    term_months = check_number("term_months", term_months, low=1, whole=True)
    panel = panel or ArrPanel.from_frame(company.arr_monthly)
    paying = panel.values > 0
    anchor = np.full(len(panel.accounts), np.nan)  # the current contract's start column
    known = _contract_start_columns(company, panel)
    started = paying[:, 0] & ~np.isnan(known)
    anchor[started] = known[started]
    first_run = ~paying[:, 0]  # accounts whose first contract starts inside the data
    rows, cols, churned = [], [], []
    for t in range(1, paying.shape[1]):
        due = paying[:, t - 1] & ~np.isnan(anchor)
        due[due] = (((t - anchor[due]) % term_months) == 0) & (t > anchor[due])
        idx = np.flatnonzero(due)
        rows.append(idx)
        cols.append(np.full(len(idx), t))
        churned.append(~paying[idx, t])
        begins = paying[:, t] & ~paying[:, t - 1]
        use_start = begins & first_run & ~np.isnan(known) & (known <= t)
        anchor[begins] = t
        anchor[use_start] = known[use_start]
        first_run &= ~begins
    rows, cols = np.concatenate(rows or [[]]).astype(int), np.concatenate(cols or [[]]).astype(int)
    return pd.DataFrame({"account_id": panel.accounts[rows],
                         "renewal": panel.months[cols],
                         "churned": np.concatenate(churned or [[]]).astype(bool)})


def _contract_start_columns(company: Company, panel: ArrPanel) -> np.ndarray:
    """Each account's first contract start as a panel column (may be negative); NaN if unknown."""
    if company.accounts is None or not company.has("accounts", "contract_start"):
        return np.full(len(panel.accounts), np.nan)
    start = company.accounts.set_index("account_id")["contract_start"].dropna()
    ordinal = start.dt.to_period("M").array.asi8 - panel.months[0].ordinal
    return pd.Series(ordinal, index=start.index, dtype="float64").reindex(
        panel.accounts).to_numpy()


@dataclass(frozen=True)
class RenewalTest:
    """How well the score, taken ``lead`` months before each renewal, told the renewals
    that churned from those that renewed, over the renewals of one window."""

    first: str
    last: str
    lead_months: int
    renewals: int
    churned: int
    auc: float | None
    auc_low: float | None
    auc_high: float | None
    by_band: pd.DataFrame
    scores: pd.DataFrame


def renewal_test(company: Company, model: HealthModel | None = None,
                 first: str | pd.Period | None = None, last: str | pd.Period | None = None,
                 lead_months: int = 3, bands: int = 5, panel: ArrPanel | None = None,
                 events: pd.DataFrame | None = None) -> RenewalTest:
    """Score each account ``lead_months`` before each of its renewals in ``first``..``last``
    and check which renewals churned.

    The score uses only data up to the month it is taken, and the weights are fixed
    before the test (``model``), so the AUC is out of sample as long as the weights
    were not chosen on these renewals. ``auc`` is the probability that a renewal
    that renewed scored higher than one that churned (ties count half), with a 95 %
    interval from the standard error of Hanley and McNeil (1982); ``by_band`` gives the
    churn rate in ``bands`` equal-sized score bands, lowest first.
    """
    lead_months = check_number("lead_months", lead_months, low=1, whole=True,
                               rule="a whole number of months, at least 1")
    bands = check_number("bands", bands, low=1, whole=True)
    panel = panel or ArrPanel.from_frame(company.arr_monthly)
    last = resolve_as_of(panel, last)
    first = panel.months[0] if first is None else resolve_as_of(panel, first)
    events = renewals(company, panel) if events is None else events
    window = events[(events["renewal"] >= first) & (events["renewal"] <= last)
                    & (events["renewal"] - lead_months >= panel.months[0])]
    scored = []
    for due, group in window.groupby("renewal"):
        at = due - lead_months
        score = health_scores(company, model, at, panel, group["account_id"])["score"]
        scored.append(group.assign(scored_at=at, score=group["account_id"].map(score)))
    columns = ["account_id", "renewal", "churned", "scored_at", "score"]
    scores = (pd.concat(scored, ignore_index=True).dropna(subset=["score"])
              .astype({"score": "float64"}) if scored
              else pd.DataFrame(columns=columns))
    n_churn = int(scores["churned"].sum())
    auc, low, high = _auc(scores["score"], scores["churned"].astype(bool))
    return RenewalTest(str(first), str(last), lead_months, len(scores), n_churn, auc, low, high,
                       _churn_by_band(scores, bands), scores)


def _auc(score: pd.Series, churned: pd.Series) -> tuple[float | None, float | None, float | None]:
    """AUC (a renewed above a churned) with the 95 % interval of Hanley and McNeil (1982)."""
    n_churn, n_stay = int(churned.sum()), int((~churned).sum())
    if not (n_churn and n_stay):
        return None, None, None
    rank_sum = score.rank()[~churned].sum()
    a = float((rank_sum - n_stay * (n_stay + 1) / 2) / (n_stay * n_churn))
    q1, q2 = a / (2 - a), 2 * a * a / (1 + a)
    se = np.sqrt(max(a * (1 - a) + (n_stay - 1) * (q1 - a * a) + (n_churn - 1) * (q2 - a * a),
                     0.0) / (n_stay * n_churn))
    return a, float(max(a - 1.96 * se, 0.0)), float(min(a + 1.96 * se, 1.0))


def _churn_by_band(scores: pd.DataFrame, bands: int) -> pd.DataFrame:
    """Churn rate in equal-sized score bands, lowest scores first."""
    columns = ["low", "high", "renewals", "churn_rate"]
    if scores.empty:
        return pd.DataFrame(columns=columns, index=pd.Index([], name="band"), dtype=float)
    band = pd.qcut(scores["score"].rank(method="first"), q=min(bands, len(scores)),
                   labels=False)
    by_band = (scores.groupby(band)
               .agg(low=("score", "min"), high=("score", "max"), renewals=("score", "size"),
                    churn_rate=("churned", "mean")).reset_index(drop=True))
    by_band.index = pd.Index([f"band {i + 1}" for i in range(len(by_band))], name="band")
    return by_band
