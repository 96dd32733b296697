"""Every KPI of the metrics chapter for one company and month, as one frozen Summary.

:func:`metrics_summary` loads what it needs once (the ARR panel, the month as a
:class:`pandas.Period`, the average contract value) and returns a
:class:`MetricsSummary`: the chapter glues it, ``csmodels metrics`` prints it
(:meth:`~csmodels.summary.Summary.rows`, :meth:`~csmodels.summary.Summary.to_dict`)
and the tests read it, so the three cannot disagree. The chapter's one call is
:func:`summarise`: it loads the data folder and the profile once, takes the average
contract value from the profile if it states one, builds the settings and the health
model from the chapter's parameters, and adds to :func:`metrics_summary`'s summary the
settings the prose states and the exercises' answers (its ``settings`` and ``ex``
sections). Every figure comes from a
function of :mod:`csmodels.metrics`, which runs the metric's one definition (an Ibis
expression of :mod:`csmodels.engine.definitions`) on embedded DuckDB; nothing is
computed here but the differences of figures. The engine (:mod:`csmodels.engine`)
returns the same class for a Parquet folder or a DuckDB file, with the KPI figures
and without the chapter's sections, which need the company loaded in memory (the
health score's test at renewal is the health model's, :mod:`csmodels.health`).

Adding a KPI read from an optional table (as NPS, adoption, time to value, QBR
coverage and the pipeline are) is one declaration in :mod:`csmodels.table_kpis`, with
its Ibis definition: this module runs every declared KPI (:func:`_table_kpis`) and the
engine adds each to its one query. A figure of the ARR panel is a sum of
:func:`csmodels.engine.definitions.arr_figures`, a field of :class:`MetricsSummary`
(written in ``csmodels/_kpi_summary.py``, which needs no pandas) set here and in
:func:`csmodels.engine.summary`; the chapter's detail is a field of a section. The
appendix on the architecture says how.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields, replace
from types import MappingProxyType

import pandas as pd

from . import needs, table_kpis
from ._checks import shown
from ._kpi_summary import (
    Benchmark,
    ChapterSettings,
    Choices,
    Cohorts,
    HealthCheck,
    MetricSettings,
    MetricsExercises,
    MetricsFrames,
    MetricsSummary,
    NpsDetail,
    TimeToValueDetail,
)
from .book import fmt
from .exceptions import ParameterError
from .health import HealthModel, RenewalTest, renewal_test, renewals
from .inputs import Company, load_company
from .metrics import (
    ArrPanel,
    _table_kpi,
    arr_at,
    arr_bridge,
    average_contract_value,
    cohort_retention,
    cohort_retention_at,
    compounded_monthly_retention,
    covers,
    movements,
    nps,
    reactivated_arr,
    resolve_as_of,
    retention,
    retention_series,
    reusing_engines,
    time_to_value,
)
from .published import benchmark_for_acv, retention_benchmarks

# ------------------------------------------------------------------------------ compute


def metrics_summary(company: Company, as_of: str | pd.Period | None = None,
                    settings: MetricSettings | None = None,
                    health: HealthModel | None = None,
                    acv: float | None = None) -> MetricsSummary:
    """The chapter's metrics for ``company`` as of ``as_of`` (default its last month).

    ``acv`` is a stated average contract value (a profile's ``acv``); without it,
    ARR per paying account (:func:`csmodels.metrics.average_contract_value`).
    Ratios are fractions; a figure the data cannot give is ``None``.

    >>> from csmodels.inputs import load_company
    >>> s = metrics_summary(load_company("data/sample"))
    >>> s.as_of, s.lookback_months, s.text("nrr")
    ('2025-12', 12, '104.4%')
    """
    with reusing_engines():  # the company's tables go to DuckDB once each
        return _metrics_summary(company, as_of, settings or MetricSettings(), health, acv)


def _metrics_summary(company: Company, as_of, settings: MetricSettings, health, acv
                     ) -> MetricsSummary:
    panel = ArrPanel.from_frame(company.arr_monthly)
    month = resolve_as_of(panel, as_of)
    lookback = settings.lookback_months
    skipped = {"retention": needs.retention(panel, month, lookback),
               "bridge": needs.bridge(panel), "cohorts": needs.cohorts(panel, month, 12),
               "nps": needs.nps(company, month, settings.nps_window_months)}
    if as_of is not None and skipped["retention"] != needs.OK:
        retention(panel, month, lookback)  # a month the reader chose is refused with the reason
    ret = retention(panel, month, lookback) if skipped["retention"] == needs.OK else None
    arr, paying = arr_at(panel, month)
    bridge = arr_bridge(panel)
    check = _health(company, panel, month, settings, health)
    skipped["health"] = needs.health(check[0], settings.health_min_renewals)
    cohorts, cohort_section = _cohorts(panel, settings.cohort_freq, skipped["cohorts"])
    summary = MetricsSummary(
        as_of=str(month), lookback_months=lookback, base_month=str(month - lookback),
        arr=arr, paying_accounts=paying,
        nrr=ret and ret.nrr, grr=ret and ret.grr, logo_churn=ret and ret.logo_churn,
        gross_revenue_churn=ret and ret.gross_revenue_churn,
        net_revenue_churn=ret and ret.net_revenue_churn,
        retention_base_accounts=ret.base_accounts if ret else 0,
        retention_base_arr=ret.base_arr if ret else 0.0,
        **{f"{m}_arr": amount for m, amount in movements(panel, month, lookback).items()},
        table_kpis=_table_kpis(company, panel, month, settings),
        health=(_health_section(check, settings, company)
                if skipped["health"] == needs.OK else None),
        benchmark=_benchmark(panel, month, ret, acv),
        choices=_choices(panel, month, lookback, ret), cohorts=cohort_section,
        nps_detail=_nps_detail(company, panel, month, settings, skipped["nps"]),
        ttv_detail=_ttv_detail(company, month, settings),
        missing_tables=tuple(company.missing_tables))
    for kpi in table_kpis.TABLE_KPIS:  # NPS keeps the sentence of its own section's check
        skipped.setdefault(kpi.key, needs.kpi(company, kpi.key, summary))
    frames = MetricsFrames(panel, month, bridge,
                           retention_series(panel, lookback) if ret else None, cohorts,
                           check[0], MappingProxyType(skipped), company.nps_responses)
    return replace(summary, frames=frames)


def _table_kpis(company: Company, panel: ArrPanel, month: pd.Period,
                settings: MetricSettings) -> dict:
    """The figures of every table KPI (:data:`csmodels.table_kpis.TABLE_KPIS`) whose
    table the company has; a figure is ``None`` (or its default) where its table holds
    nothing in the KPI's window to ``month``."""
    out: dict = {}
    for kpi in table_kpis.TABLE_KPIS:
        if getattr(company, kpi.table) is None:
            continue
        frames = {name: getattr(company, name) for name in kpi.tables
                  if getattr(company, name) is not None}
        out.update(_table_kpi(kpi, frames, panel, month, settings))
    return out


def _ttv(company: Company, month: pd.Period, settings: MetricSettings):
    onboarding = company.onboarding
    if onboarding is None or not covers(onboarding["contract_date"], month,
                                        settings.ttv_window_months):
        return None
    return time_to_value(onboarding, month, settings.ttv_window_months, settings.ttv_target_days)


def _ttv_detail(company, month, settings) -> TimeToValueDetail | None:
    ttv = _ttv(company, month, settings)
    if ttv is None or not ttv.contracts or ttv.median_days is None:
        return None
    return TimeToValueDetail(p75_days=ttv.p75_days, contracts=ttv.contracts, not_yet=ttv.not_yet)


def _nps_detail(company, panel, month, settings, need: str) -> NpsDetail | None:
    if need != needs.OK:
        return None
    responses, window = company.nps_responses, settings.nps_window_months
    plain = nps(responses, month, window)
    weighted = None
    if company.has("nps_responses", "account_id"):
        arr_now = pd.Series(panel.values[:, panel.column(month)], index=panel.accounts)
        by_arr = nps(responses, month, window, weights=arr_now)
        weighted = by_arr.score if by_arr is not None else None
    return NpsDetail(promoters=plain.promoters, detractors=plain.detractors,
                     arr_weighted=weighted)


def _benchmark(panel, month, ret, acv) -> Benchmark | None:
    value = average_contract_value(panel, month, acv)
    if value is None:
        return None
    row, table = benchmark_for_acv(value), retention_benchmarks()
    return Benchmark(
        acv=value, band=row["acv_band"], median_nrr=float(row["median_nrr"]),
        median_grr=float(row["median_grr"]),
        nrr_gap=ret.nrr - row["median_nrr"] if ret else None,
        grr_gap=ret.grr - row["median_grr"] if ret else None,
        low_band=table["acv_band"].iloc[0].lower(), high_band=table["acv_band"].iloc[-1].lower(),
        median_nrr_low=float(table["median_nrr"].iloc[0]),
        median_nrr_high=float(table["median_nrr"].iloc[-1]),
        median_grr_low=float(table["median_grr"].iloc[0]),
        median_grr_high=float(table["median_grr"].iloc[-1]))


def _choices(panel, month, lookback, ret) -> Choices | None:
    if ret is None:
        return None
    out = {"reactivated_in_base": reactivated_arr(panel, month, lookback)}
    if needs.compounded(panel, month, lookback) == needs.OK:
        monthly = compounded_monthly_retention(panel, month, lookback)
        diff = monthly.grr - ret.grr
        out.update(compounded_nrr=monthly.nrr, compounded_grr=monthly.grr,
                   compounded_grr_gap=abs(diff),
                   compounded_grr_side="above" if diff > 0 else "below")
    return Choices(**out)


def _cohorts(panel, freq, need) -> tuple[pd.DataFrame, Cohorts | None]:
    revenue = cohort_retention(panel, freq=freq, measure="revenue")
    if need != needs.OK:
        return revenue, None
    at_12_n, at_12_revenue = cohort_retention_at(panel, 12, freq, "revenue")
    _, at_12_logos = cohort_retention_at(panel, 12, freq, "logos")
    return revenue, Cohorts(count=len(revenue), at_12_n=at_12_n, at_12_revenue=at_12_revenue,
                            at_12_logos=at_12_logos)


def _health(company, panel, month, settings, model) -> tuple[RenewalTest, RenewalTest]:
    """The health score tested on the renewals of the last window (later) and the one
    before it (earlier)."""
    window, lead = settings.health_window_months, settings.health_lead_months
    events = renewals(company, panel, settings.contract_term_months)
    later = renewal_test(company, model, max(month - window + 1, panel.months[0]), month,
                         lead, panel=panel, events=events)
    earlier_last = month - window
    earlier = (renewal_test(company, model, max(earlier_last - window + 1, panel.months[0]),
                            earlier_last, lead, panel=panel, events=events)
               if earlier_last >= panel.months[0] else None)
    return later, earlier


def _health_section(check, settings, company) -> HealthCheck:
    later, earlier = check
    bands = later.by_band["churn_rate"]
    return HealthCheck(
        auc=later.auc, auc_low=later.auc_low, auc_high=later.auc_high,
        lead_months=settings.health_lead_months, first=later.first, last=later.last,
        renewals=later.renewals, churned=later.churned,
        low_band_churn=float(bands.iloc[0]) if len(bands) > 1 else None,
        high_band_churn=float(bands.iloc[-1]) if len(bands) > 1 else None,
        earlier_first=earlier.first if earlier else None,
        earlier_last=earlier.last if earlier else None,
        earlier_renewals=earlier.renewals if earlier else None,
        earlier_auc=earlier.auc if earlier else None,
        generator_churn_effect=_generator_churn_effect(company))


def _generator_churn_effect(company: Company) -> float | None:
    """The effect of health on churn that :mod:`csmodels.synth` builds into the sample,
    when ``company`` is the bundled sample (:func:`csmodels.book.is_sample`); else ``None``."""
    from .book import is_sample
    from .synth import CompanyShape

    return float(CompanyShape().churn_health_effect) if is_sample(company.folder) else None


# ------------------------------------------------------------------------ the chapter's call

EXERCISE_MONTHS_BACK = 12  # exercise 1 moves the as-of month this many months earlier
TREND_ALONE = MappingProxyType({"arr_trend": 1.0})  # exercise 2's health weights


def summarise(data_dir, profile_path=None, *, as_of: str | None = None,
              health_weights: Mapping[str, float] | None = None,
              **settings) -> MetricsSummary:
    """Load the company in ``data_dir`` and its profile once, and compute every figure of
    the metrics chapter: the one call the chapter makes.

    Parameters
    ----------
    data_dir : str or Path
        The company's data folder.
    profile_path : str or Path, optional
        A ``profile.yml``; default the one in ``data_dir`` if there is one.
    as_of : str, optional
        The month to report on (``YYYY-MM``); default the last of ``arr_monthly``.
    health_weights : mapping, optional
        The health score's weights (:class:`csmodels.health.HealthModel`); default its own.
    **settings
        The fields of :class:`MetricSettings` (``lookback_months``, ``qbr_min_arr``, ...).

    Returns
    -------
    MetricsSummary
        :func:`metrics_summary`'s, with the average contract value the profile's ``acv``
        if it states one (else ARR per paying account), and the chapter's two sections:
        ``settings`` (:class:`ChapterSettings`) and ``ex`` (:class:`MetricsExercises`).

    Examples
    --------
    >>> s = summarise("data/sample", qbr_min_arr=50_000)
    >>> s.text("nrr"), s.text("qbr_scope"), s.text("ex_month"), s.text("ex_kept")
    ('104.4%', 'paying accounts with ARR of at least USD 50.0k', '2024-12', "the book's weights")
    """
    from .book import company_name
    from .profile import default_profile_path, load_profile

    # the parameters first: a wrong one is refused before any file is read
    metric_settings = _metric_settings(settings)
    health = HealthModel() if health_weights is None else HealthModel(weights=health_weights)
    company = load_company(data_dir)
    profile = load_profile(default_profile_path(data_dir, profile_path))
    summary = metrics_summary(company, as_of, metric_settings, health, acv=profile.acv)
    stated = _chapter_settings(metric_settings, health, profile.currency,
                               str(company_name(profile, data_dir)))
    return replace(summary, settings=stated,
                   ex=_exercises(company, summary, metric_settings))


def _metric_settings(given: dict) -> MetricSettings:
    """:class:`MetricSettings` of ``given``, refusing a name it has not (with the names
    it has) as :class:`~csmodels.exceptions.ParameterError`."""
    known = [f.name for f in fields(MetricSettings)]
    unknown = [name for name in given if name not in known]
    if unknown:
        raise ParameterError(f"The metrics chapter has no parameter {shown(unknown[0])}; "
                             "its parameters are data_dir, profile_path, as_of, "
                             f"health_weights, {', '.join(known)}.")
    return MetricSettings(**given)


def _chapter_settings(settings: MetricSettings, health: HealthModel, currency: str,
                      name: str) -> ChapterSettings:
    scope = ("paying accounts" if not settings.qbr_min_arr else "paying accounts with ARR "
             f"of at least {fmt(settings.qbr_min_arr, 'money', currency)}")
    weights = ", ".join(f"{k.replace('_', ' ')} {v:.0%}" for k, v in health.weights.items())
    return ChapterSettings(
        company_name=name, nps_window=settings.nps_window_months,
        contract_term=settings.contract_term_months, ttv_target=settings.ttv_target_days,
        qbr_window=settings.qbr_window_months, qbr_scope=scope, health_weights=weights,
        health_trend_months=health.trend_months, health_trend_span=health.trend_span,
        health_engagement_months=health.engagement_months, health_missing=health.missing,
        currency=currency)


def _exercises(company: Company, summary: MetricsSummary,
               settings: MetricSettings) -> MetricsExercises | None:
    """Exercise 1: retention ``EXERCISE_MONTHS_BACK`` months before the as-of month, if
    the data reach that far. Exercise 2: the health score of the ARR trend alone, tested
    as the chapter's score is; the weights kept are those with the higher AUC on the
    earlier renewals (chosen before the test's own). ``None`` if neither can be answered."""
    panel, month, lookback = summary.frames.panel, summary.frames.month, settings.lookback_months
    out: dict = {}
    then = month - EXERCISE_MONTHS_BACK
    if (panel.column(month) >= EXERCISE_MONTHS_BACK
            and needs.retention(panel, then, lookback) == needs.OK):
        ret = retention(panel, then, lookback)
        out.update(back=EXERCISE_MONTHS_BACK, month=str(then), nrr_then=ret.nrr,
                   grr_then=ret.grr)
    ours = summary.health
    if ours is not None and ours.earlier_auc is not None:
        with reusing_engines():
            later, earlier = _health(company, panel, month, settings,
                                     HealthModel(weights=dict(TREND_ALONE)))
        if (needs.health(later, settings.health_min_renewals) == needs.OK
                and earlier is not None and earlier.auc is not None):
            trend_kept = earlier.auc > ours.earlier_auc
            out.update(trend_earlier_auc=earlier.auc, trend_auc=later.auc,
                       kept="the ARR trend alone" if trend_kept else "the book's weights",
                       kept_auc=later.auc if trend_kept else ours.auc)
    return MetricsExercises(**out) if out else None
