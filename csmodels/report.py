"""Every metric of the metrics chapter for one company and month, in one place.

:func:`metrics_summary` is what ``csmodels metrics`` prints and what the chapter
glues into its prose, so the command line and the book cannot disagree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from .health import HealthModel, health_separation
from .inputs import Company
from .metrics import (
    ArrPanel,
    adoption_rate,
    arr_bridge,
    expansion_pipeline_influenced,
    nps,
    qbr_coverage,
    resolve_as_of,
    retention,
    time_to_value,
)


@dataclass(frozen=True)
class MetricSettings:
    """The definitional choices of the metrics chapter (all assumptions of the book's
    except ``lookback_months``, ``nps_window_months`` and the NPS bands, which
    follow the KPI definitions of ``csmodels/data/cs_kpis.csv``)."""

    lookback_months: int = 12
    nps_window_months: int = 12
    qbr_window_months: int = 3
    qbr_min_arr: float = 0.0
    ttv_window_months: int = 12
    ttv_target_days: int = 60
    pipeline_window_months: int = 12
    health_horizon_months: int = 6


def metrics_summary(company: Company, as_of: str | pd.Period | None = None,
                    settings: MetricSettings | None = None,
                    health: HealthModel | None = None) -> dict:
    """The chapter's metrics as one JSON-ready dict (ratios as fractions, ``None``
    where the data cannot give a value)."""
    settings = settings or MetricSettings()
    panel = ArrPanel.from_frame(company.arr_monthly)
    month = resolve_as_of(panel, as_of)
    ret = _retention_or_none(panel, month, settings.lookback_months, explicit=as_of is not None)
    t = panel.column(month)
    out: dict = {
        "as_of": str(month),
        "nrr": ret.nrr if ret else None,
        "grr": ret.grr if ret else None,
        "logo_churn": ret.logo_churn if ret else None,
        "gross_revenue_churn": ret.gross_revenue_churn if ret else None,
        "net_revenue_churn": ret.net_revenue_churn if ret else None,
        "nps": None,
        "nps_responses": 0,
        "arr": float(panel.values[:, t].sum()),
        "paying_accounts": int((panel.values[:, t] > 0).sum()),
        "retention_base_accounts": ret.base_accounts if ret else 0,
        "retention_base_arr": ret.base_arr if ret else 0.0,
    }
    window = arr_bridge(panel).loc[month - settings.lookback_months + 1:month]
    for movement in ("new", "reactivation", "expansion", "contraction", "churn"):
        out[f"{movement}_arr_{settings.lookback_months}m"] = float(window[movement].sum())
    if company.nps_responses is not None:
        result = nps(company.nps_responses, month, settings.nps_window_months)
        if result is not None:
            out["nps"], out["nps_responses"] = result.score, result.responses
    out["adoption"] = _optional(company, "usage_monthly", lambda: adoption_rate(
        company.usage_monthly, month, _seats(company)))
    ttv = (time_to_value(company.onboarding, month, settings.ttv_window_months,
                         settings.ttv_target_days) if company.onboarding is not None else None)
    out["time_to_value_median_days"] = ttv.median_days if ttv else None
    out["time_to_value_within_target"] = ttv.within_target if ttv else None
    out["qbr_coverage"] = _optional(company, "qbrs", lambda: qbr_coverage(
        company.qbrs, panel, month, settings.qbr_window_months, settings.qbr_min_arr))
    out["expansion_pipeline_influenced"] = _optional(
        company, "opportunities", lambda: expansion_pipeline_influenced(
            company.opportunities, month, settings.pipeline_window_months))
    out["health_auc"] = _health_auc(company, month, settings, health, panel)
    out["missing_tables"] = list(company.missing_tables)
    return {k: _clean(v) for k, v in out.items()}


def _retention_or_none(panel, month, lookback: int, explicit: bool):
    """Retention as of ``month``; on the default month, None where the history is too
    short or nobody paid in the base month (an as-of month the reader chose is refused
    with the reason instead)."""
    if explicit or (panel.column(month) >= lookback
                    and panel.values[:, panel.column(month) - lookback].sum() > 0):
        return retention(panel, month, lookback)
    return None


def _seats(company: Company) -> pd.Series | None:
    if company.accounts is None:
        return None
    return company.accounts.set_index("account_id")["licensed_seats"]


def _optional(company: Company, table: str, compute):
    return compute() if getattr(company, table) is not None else None


def _health_auc(company, month, settings, health, panel) -> float | None:
    if panel.column(month) < settings.health_horizon_months:
        return None
    return health_separation(company, health, month, settings.health_horizon_months,
                             panel=panel).auc


def _clean(value):
    """JSON has no NaN: undefined floats become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
