"""Every KPI of the metrics chapter for one company and month, as one frozen Summary.

:func:`metrics_summary` loads what it needs once (the ARR panel, the month as a
:class:`pandas.Period`, the average contract value) and returns a
:class:`MetricsSummary`: the chapter glues it, ``csmodels metrics`` prints it
(:meth:`~csmodels.summary.Summary.rows`, :meth:`~csmodels.summary.Summary.to_dict`)
and the tests read it, so the three cannot disagree. Every figure comes from a
function of :mod:`csmodels.metrics`, which runs the metric's one definition (an Ibis
expression of :mod:`csmodels.engine.definitions`) on embedded DuckDB; nothing is
computed here but the differences of figures. The engine (:mod:`csmodels.engine`)
returns the same class for a Parquet folder or a DuckDB file, with the KPI figures
and without the chapter's sections, which need the company loaded in memory (the
health score's test at renewal is the health model's, :mod:`csmodels.health`).

Adding a metric: its definition in :mod:`csmodels.engine.definitions`, the function of
:mod:`csmodels.metrics` that runs it, one :func:`~csmodels.summary.figure` field below
(or in a section) set in :func:`metrics_summary` (and in :func:`csmodels.engine.summary`
if the engine gives it), and its test; the appendix on the architecture says how.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any

import pandas as pd

from . import needs
from ._checks import Checked, number
from .health import HealthModel, RenewalTest, renewal_test, renewals
from .inputs import Company
from .metrics import (
    ArrPanel,
    adoption_rate,
    arr_at,
    arr_bridge,
    average_contract_value,
    cohort_retention,
    cohort_retention_at,
    compounded_monthly_retention,
    covers,
    expansion_pipeline_influenced,
    movements,
    nps,
    qbr_coverage,
    reactivated_arr,
    resolve_as_of,
    retention,
    retention_series,
    reusing_engines,
    time_to_value,
)
from .published import benchmark_for_acv, retention_benchmarks
from .summary import Summary, drawn, figure, section


def _count(default: int) -> int:
    """A setting counted in whole months (or days, or renewals), at least 1."""
    return number(default, low=1, whole=True, rule="a whole number of at least 1")


@dataclass(frozen=True)
class MetricSettings(Checked):
    """The definitional choices of the metrics chapter (all assumptions of the book's
    except ``lookback_months``, ``nps_window_months`` and the NPS bands, which
    follow the KPI definitions of ``csmodels/data/cs_kpis.csv``).

    The health check scores each account ``health_lead_months`` before each of its
    renewals, which fall every ``contract_term_months`` after a contract's start; it
    tests on the renewals of the ``health_window_months`` to the as-of month and
    reports the window before as the earlier renewals, on which weights may be
    compared; it is skipped below ``health_min_renewals`` renewals.
    """

    lookback_months: int = _count(12)
    nps_window_months: int = _count(12)
    qbr_window_months: int = _count(3)
    qbr_min_arr: float = number(0.0, low=0)
    ttv_window_months: int = _count(12)
    ttv_target_days: int = _count(60)
    pipeline_window_months: int = _count(12)
    cohort_freq: str = "Q"
    contract_term_months: int = _count(12)
    health_lead_months: int = _count(3)
    health_window_months: int = _count(12)
    health_min_renewals: int = _count(20)


# ------------------------------------------------------------------------------ sections


@dataclass(frozen=True)
class Benchmark(Summary):
    """The company against SaaS Capital's medians for its contract size."""

    acv: float | None = figure("Average contract value", "money",
                               help="the profile's acv, else ARR per paying account")
    band: str | None = figure("Benchmark ACV band", "text")
    median_nrr: float | None = figure("Median NRR of the band", "share")
    median_grr: float | None = figure("Median GRR of the band", "share")
    nrr_gap: float | None = figure("NRR against the band's median", "points")
    grr_gap: float | None = figure("GRR against the band's median", "points")
    low_band: str | None = figure("Lowest ACV band", "text")
    high_band: str | None = figure("Highest ACV band", "text")
    median_nrr_low: float | None = figure("Median NRR, lowest band", "share")
    median_nrr_high: float | None = figure("Median NRR, highest band", "share")
    median_grr_low: float | None = figure("Median GRR, lowest band", "share")
    median_grr_high: float | None = figure("Median GRR, highest band", "share")


@dataclass(frozen=True)
class Choices(Summary):
    """The definitional choices behind NRR and GRR, on the data."""

    compounded_nrr: float | None = figure("NRR, monthly rates compounded", "ratio")
    compounded_grr: float | None = figure("GRR, monthly rates compounded", "ratio")
    compounded_grr_gap: float | None = figure("Compounded GRR against annual GRR (size)",
                                              "points")
    compounded_grr_side: str | None = figure("Compounded GRR above or below annual", "text")
    reactivated_in_base: float | None = figure("ARR of base accounts that left and came back",
                                               "money")


@dataclass(frozen=True)
class Cohorts(Summary):
    """Start cohorts after twelve months."""

    count: int | None = figure("Start cohorts", "count")
    at_12_n: int | None = figure("Cohorts twelve months old or more", "count")
    at_12_revenue: float | None = figure("Average cohort revenue retention at 12 months",
                                         "ratio")
    at_12_logos: float | None = figure("Average cohort logo retention at 12 months", "ratio")


@dataclass(frozen=True)
class NpsDetail(Summary):
    """The NPS answers behind the score."""

    promoters: float | None = figure("NPS promoters", "ratio")
    detractors: float | None = figure("NPS detractors", "ratio")
    arr_weighted: float | None = figure("NPS weighted by account ARR", "nps")


@dataclass(frozen=True)
class TimeToValueDetail(Summary):
    """Time to value beyond its median."""

    p75_days: float | None = figure("Time to value, 75th percentile (days)", "days")
    contracts: int | None = figure("Contracts signed in the window", "count")
    not_yet: int | None = figure("Contracts not at value yet", "count")


@dataclass(frozen=True)
class HealthCheck(Summary):
    """The health score tested at renewals: scored a lead before each renewal, with weights
    fixed in advance, on the renewals of the last window (out of sample)."""

    auc: float | None = figure("Health score AUC at renewal (out of sample)", "number",
                               help="renewed vs churned, renewals of the last window")
    auc_low: float | None = figure("AUC, 95% interval low", "number")
    auc_high: float | None = figure("AUC, 95% interval high", "number")
    lead_months: int | None = figure("Months before renewal the score is taken", "count")
    first: str | None = figure("First renewal month tested", "text")
    last: str | None = figure("Last renewal month tested", "text")
    renewals: int | None = figure("Renewals tested", "count")
    churned: int | None = figure("Renewals that churned", "count")
    low_band_churn: float | None = figure("Churn at renewal, lowest fifth of scores", "ratio")
    high_band_churn: float | None = figure("Churn at renewal, highest fifth of scores", "ratio")
    earlier_first: str | None = figure("First earlier renewal month", "text")
    earlier_last: str | None = figure("Last earlier renewal month", "text")
    earlier_renewals: int | None = figure("Earlier renewals", "count")
    earlier_auc: float | None = figure("Health score AUC on the earlier renewals", "number")
    generator_churn_effect: float | None = figure(
        "Health effect on churn built into the sample", "number",
        help="the generator's logit slope of renewal churn on health; on the sample only")


@dataclass(frozen=True, eq=False)
class MetricsFrames:
    """What the chapter draws (not figures): tables for the charts and, per section,
    ``"ok"`` or the sentence shown instead (:mod:`csmodels.needs`)."""

    panel: ArrPanel
    month: pd.Period
    bridge: pd.DataFrame
    series: pd.DataFrame | None
    cohorts: pd.DataFrame
    health: RenewalTest | None
    skipped: Mapping[str, str]


@dataclass(frozen=True)
class MetricsSummary(Summary):
    """Every KPI of the metrics chapter for one company and month.

    The top-level figures are the KPIs ``csmodels metrics`` prints, the same on
    exports and through the engine; the sections are the chapter's detail, computed
    from the company loaded in memory (``None`` from the engine and where the data
    cannot support them).
    """

    as_of: str = figure("As-of month", "text")
    lookback_months: int = figure("Retention lookback (months)", "count",
                                  help="retention and the ARR movements cover this many months")
    base_month: str = figure("Retention base month", "text")
    arr: float = figure("ARR", "money")
    paying_accounts: int = figure("Paying accounts", "count")
    nrr: float | None = figure("Net revenue retention (NRR)", "ratio")
    grr: float | None = figure("Gross revenue retention (GRR)", "ratio")
    logo_churn: float | None = figure("Logo churn", "ratio")
    gross_revenue_churn: float | None = figure("Gross revenue churn", "ratio")
    net_revenue_churn: float | None = figure("Net revenue churn", "ratio")
    retention_base_accounts: int = figure("Accounts in the retention base", "count", default=0)
    retention_base_arr: float = figure("ARR of the retention base", "money", default=0.0)
    new_arr: float = figure("New ARR in the lookback", "money", default=0.0)
    reactivation_arr: float = figure("Reactivated ARR in the lookback", "money", default=0.0)
    expansion_arr: float = figure("Expansion ARR in the lookback", "money", default=0.0)
    contraction_arr: float = figure("Contraction ARR in the lookback", "money", default=0.0)
    churn_arr: float = figure("Churned ARR in the lookback", "money", default=0.0)
    nps: float | None = figure("NPS", "nps")
    nps_responses: int = figure("NPS responses", "count", default=0)
    adoption: float | None = figure("Product adoption (median seat use)", "ratio")
    time_to_value_median_days: float | None = figure("Time to value (median days)", "days")
    time_to_value_within_target: float | None = figure("Time to value within target", "ratio")
    qbr_coverage: float | None = figure("QBR coverage", "ratio")
    expansion_pipeline_influenced: float | None = figure("Expansion pipeline influenced",
                                                         "ratio")
    health: HealthCheck | None = section("the health score at renewal (exports only)")
    benchmark: Benchmark | None = section("retention against published medians")
    choices: Choices | None = section("compounded monthly retention and reactivations")
    cohorts: Cohorts | None = section("start cohorts")
    nps_detail: NpsDetail | None = section("promoters, detractors, ARR-weighted NPS")
    ttv_detail: TimeToValueDetail | None = section("time to value beyond its median")
    missing_tables: tuple[str, ...] = ()
    frames: MetricsFrames | None = drawn()

    def to_dict(self) -> dict[str, Any]:
        """The figures as JSON (:meth:`Summary.to_dict`) and ``missing_tables``."""
        return {**super().to_dict(), "missing_tables": list(self.missing_tables)}


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
        **_table_kpis(company, panel, month, settings),
        health=(_health_section(check, settings, company)
                if skipped["health"] == needs.OK else None),
        benchmark=_benchmark(panel, month, ret, acv),
        choices=_choices(panel, month, lookback, ret), cohorts=cohort_section,
        nps_detail=_nps_detail(company, panel, month, settings, skipped["nps"]),
        ttv_detail=_ttv_detail(company, month, settings),
        missing_tables=tuple(company.missing_tables))
    for key in ("adoption", "time_to_value_within_target", "qbr_coverage",
                "expansion_pipeline_influenced"):
        skipped[key] = needs.kpi(company, key, summary)
    frames = MetricsFrames(panel, month, bridge,
                           retention_series(panel, lookback) if ret else None, cohorts,
                           check[0], MappingProxyType(skipped))
    return replace(summary, frames=frames)


def _table_kpis(company: Company, panel: ArrPanel, month: pd.Period,
                settings: MetricSettings) -> dict:
    """NPS, adoption, time to value, QBR coverage, pipeline: ``None`` where the table is
    missing or holds nothing in the window to ``month``."""
    out: dict = {}
    responses = company.nps_responses
    result = (nps(responses, month, settings.nps_window_months)
              if responses is not None and covers(responses["date"], month,
                                                  settings.nps_window_months) else None)
    if result is not None:
        out.update(nps=result.score, nps_responses=result.responses)
    usage = company.usage_monthly
    if usage is not None and covers(usage["month"], month):
        seats = (company.accounts.set_index("account_id")["licensed_seats"]
                 if company.accounts is not None else None)
        out["adoption"] = adoption_rate(usage, month, seats)
    ttv = _ttv(company, month, settings)
    if ttv is not None:
        out.update(time_to_value_median_days=ttv.median_days,
                   time_to_value_within_target=ttv.within_target)
    if company.qbrs is not None:
        out["qbr_coverage"] = qbr_coverage(company.qbrs, panel, month,
                                           settings.qbr_window_months, settings.qbr_min_arr)
    opps = company.opportunities
    if opps is not None and covers(opps["created_date"], month,
                                   settings.pipeline_window_months):
        out["expansion_pipeline_influenced"] = expansion_pipeline_influenced(
            opps, month, settings.pipeline_window_months)
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
