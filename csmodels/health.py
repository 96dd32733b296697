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
account scores ``missing``; a component whose table the company lacks is dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import pandas as pd

from .exceptions import ParameterError
from .inputs import Company
from .metrics import ArrPanel, resolve_as_of, seat_utilisation

COMPONENTS = ("adoption", "nps", "engagement", "arr_trend")
DEFAULT_WEIGHTS = MappingProxyType(
    {"adoption": 0.35, "nps": 0.20, "engagement": 0.15, "arr_trend": 0.30})
# Which table each component needs.
_NEEDS = {"adoption": "usage_monthly", "nps": "nps_responses", "engagement": "qbrs",
          "arr_trend": "arr_monthly"}


@dataclass(frozen=True)
class HealthModel:
    """Settings of the health score (every one an assumption of the book's)."""

    weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    trend_months: int = 3
    trend_span: float = 0.2
    engagement_months: int = 6
    nps_months: int = 12
    missing: float = 0.5

    def __post_init__(self) -> None:
        unknown = set(self.weights) - set(COMPONENTS)
        if unknown:
            raise ParameterError(
                f"Unknown health-score component(s) {sorted(unknown)}; "
                f"the components are {', '.join(COMPONENTS)}.")
        values = np.array([float(v) for v in self.weights.values()])
        if (~np.isfinite(values)).any() or (values < 0).any() or values.sum() <= 0:
            raise ParameterError("Health-score weights must be finite, >= 0 and not all 0, "
                                 f"got {dict(self.weights)}.")
        for name in ("trend_months", "engagement_months", "nps_months"):
            if int(getattr(self, name)) < 1:
                raise ParameterError(f"{name} must be at least 1, got {getattr(self, name)}.")
        if not self.trend_span > 0:
            raise ParameterError(f"trend_span must be above 0, got {self.trend_span}.")
        if not 0 <= self.missing <= 1:
            raise ParameterError(f"missing must be between 0 and 1, got {self.missing}.")
        object.__setattr__(self, "weights", MappingProxyType(
            {k: float(self.weights.get(k, 0.0)) for k in COMPONENTS}))


def health_scores(company: Company, model: HealthModel | None = None,
                  as_of: str | pd.Period | None = None,
                  panel: ArrPanel | None = None) -> pd.DataFrame:
    """Each paying account's health components and score in ``as_of``.

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
    ids = panel.accounts[paying]
    parts = pd.DataFrame(index=ids)
    parts["arr_trend"] = _trend(panel, t, model)[paying]
    if company.usage_monthly is not None:
        seats = (company.accounts.set_index("account_id")["licensed_seats"]
                 if company.accounts is not None else None)
        parts["adoption"] = seat_utilisation(company.usage_monthly, month, seats).reindex(ids)
    if company.nps_responses is not None and company.has("nps_responses", "account_id"):
        parts["nps"] = _latest_nps(company.nps_responses, month, model.nps_months).reindex(ids)
    if company.qbrs is not None:
        held = company.qbrs["date"].dt.to_period("M")
        recent = company.qbrs["account_id"][(held > month - model.engagement_months)
                                             & (held <= month)]
        parts["engagement"] = ids.isin(recent).astype(float)
    parts = parts.reindex(columns=list(COMPONENTS)).astype("float64")
    used = [c for c in COMPONENTS if parts[c].notna().any() or c == "arr_trend"]
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


@dataclass(frozen=True)
class Separation:
    """How well the score, taken ``horizon`` months before, told churners from stayers."""

    scored_at: str
    outcome_at: str
    auc: float | None
    accounts: int
    churned: int
    by_band: pd.DataFrame
    scores: pd.DataFrame


def health_separation(company: Company, model: HealthModel | None = None,
                      as_of: str | pd.Period | None = None, horizon: int = 6,
                      bands: int = 5, panel: ArrPanel | None = None) -> Separation:
    """Score every account paying ``horizon`` months before ``as_of``; check who churned.

    An account *churned* if its ARR in ``as_of`` is 0. ``auc`` is the probability
    that a random stayer scored higher than a random churner (0.5 is no better than
    chance, 1 is perfect; ties count half). ``by_band`` gives the churn rate in
    each of ``bands`` equal-sized score bands, lowest first. Pass ``panel`` when
    the caller has already built it from ``company.arr_monthly``.
    """
    panel = panel or ArrPanel.from_frame(company.arr_monthly)
    end = resolve_as_of(panel, as_of)
    if horizon < 1:
        raise ParameterError(f"The horizon must be at least 1 month, not {horizon}.")
    start = end - horizon
    panel.column(start)
    scores = health_scores(company, model, start, panel)[["score"]]
    scores["churned"] = panel.values[panel.accounts.get_indexer(scores.index),
                                     panel.column(end)] == 0
    n_churn = int(scores["churned"].sum())
    ranked = scores["score"].rank()
    n_stay = len(scores) - n_churn
    auc = None
    if n_churn and n_stay:
        rank_sum = ranked[~scores["churned"]].sum()
        auc = float((rank_sum - n_stay * (n_stay + 1) / 2) / (n_stay * n_churn))
    return Separation(str(start), str(end), auc, len(scores), n_churn,
                      _churn_by_band(scores, bands), scores)


def _churn_by_band(scores: pd.DataFrame, bands: int) -> pd.DataFrame:
    """Churn rate in equal-sized score bands, lowest scores first."""
    columns = ["low", "high", "accounts", "churn_rate"]
    if scores.empty:
        return pd.DataFrame(columns=columns, index=pd.Index([], name="band"), dtype=float)
    band = pd.qcut(scores["score"].rank(method="first"), q=min(bands, len(scores)),
                   labels=False)
    by_band = (scores.groupby(band)
               .agg(low=("score", "min"), high=("score", "max"), accounts=("score", "size"),
                    churn_rate=("churned", "mean")).reset_index(drop=True))
    by_band.index = pd.Index([f"band {i + 1}" for i in range(len(by_band))], name="band")
    return by_band
