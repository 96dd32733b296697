"""The figures of the metrics chapter as fields: :class:`MetricSettings` and
:class:`MetricsSummary` with its sections, for :mod:`csmodels.kpis`, which computes
them, and which re-exports every class here as its own (they are documented there).

They are kept apart so that :mod:`csmodels.engine` (``csmodels metrics`` on a Parquet
folder or a DuckDB file) can build a :class:`MetricsSummary` without importing pandas,
the ARR panel or the health model, which only the in-memory computation needs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import table_kpis as _registry
from ._checks import Checked, number, shown
from .exceptions import ParameterError
from .summary import Summary, drawn, figure, section

if TYPE_CHECKING:  # annotations only
    import pandas as pd

    from .health import RenewalTest
    from .metrics import ArrPanel


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

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.cohort_freq not in ("Q", "Y"):  # the rule of csmodels.cohort_retention
            raise ParameterError("cohort_freq must be 'Q' (quarters) or 'Y' (years), not "
                                 f"{shown(self.cohort_freq)}.")


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
    nps_responses: pd.DataFrame | None = None  # the answers the NPS chart counts


@dataclass(frozen=True)
class MetricsSummary(Summary):
    """Every KPI of the metrics chapter for one company and month.

    The top-level figures are the KPIs ``csmodels metrics`` prints, the same on
    exports and through the engine; the sections are the chapter's detail, computed
    from the company loaded in memory (``None`` from the engine and where the data
    cannot support them).

    The figures of the KPIs that read an optional table are declared with their
    definitions in :data:`csmodels.table_kpis.TABLE_KPIS`: they come after the ARR
    figures, each read as an attribute (``summary.nps``) and listed by :meth:`fields`
    as if declared here, and are given to the constructor as ``table_kpis``, a mapping
    of figure to value (a figure left out takes its default).
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
    # a dict of builtins, as the other annotations, for typing.get_type_hints in csmodels.kpis
    table_kpis: dict[str, float | int | str | None] = dataclasses.field(
        default_factory=dict, hash=False, metadata={"table_kpis": True})
    health: HealthCheck | None = section("the health score at renewal (exports only)")
    benchmark: Benchmark | None = section("retention against published medians")
    choices: Choices | None = section("compounded monthly retention and reactivations")
    cohorts: Cohorts | None = section("start cohorts")
    nps_detail: NpsDetail | None = section("promoters, detractors, ARR-weighted NPS")
    ttv_detail: TimeToValueDetail | None = section("time to value beyond its median")
    settings: ChapterSettings | None = section("the settings the chapter states (its call "
                                               "only)", flat=True)
    ex: MetricsExercises | None = section("the exercises' answers (the chapter's call only)")
    missing_tables: tuple[str, ...] = ()
    frames: MetricsFrames | None = drawn()

    def __post_init__(self) -> None:
        declared = _table_figures()
        unknown = sorted(set(self.table_kpis) - {f.name for f in declared})
        if unknown:
            raise TypeError(f"{unknown} are not figures of csmodels.table_kpis.TABLE_KPIS")
        object.__setattr__(self, "table_kpis",  # its own copy, every figure with a value
                           {f.name: self.table_kpis.get(f.name, f.default) for f in declared})

    def __getattr__(self, name: str) -> Any:
        # called only for a name that is no attribute: a table KPI's figure
        if not name.startswith("__"):
            for f in _table_figures():
                if f.name == name:
                    return self.__dict__.get("table_kpis", {}).get(name, f.default)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    @classmethod
    def fields(cls) -> tuple[dataclasses.Field, ...]:
        """The declared figures and sections, in order, with the table KPIs' figures in
        the place of ``table_kpis``."""
        out: list[dataclasses.Field] = []
        for f in dataclasses.fields(cls):
            if "table_kpis" in f.metadata:
                out += _table_figures()
            elif "unit" in f.metadata or "section" in f.metadata:
                out.append(f)
        return tuple(out)

    def to_dict(self) -> dict[str, Any]:
        """The figures as JSON (:meth:`Summary.to_dict`) and ``missing_tables``."""
        return {**super().to_dict(), "missing_tables": list(self.missing_tables)}


def _table_figures() -> list[dataclasses.Field]:
    """The figures of every registered table KPI, in order."""
    return [f for kpi in _registry.TABLE_KPIS for f in kpi.figures.values()]


# ------------------------------------------------------------- the chapter's call only


@dataclass(frozen=True)
class ChapterSettings(Summary):
    """What the metrics chapter states besides its KPIs: whose data it shows and the
    settings it ran with, glued under their own names (a flat section), as the prose
    names them. ``currency`` is the profile's, for the amounts the chapter draws."""

    company_name: str = figure("Company", "text",
                               help="the profile's company, else the data folder's name")
    nps_window: int = figure("NPS window (months)", "count")
    contract_term: int = figure("Contract term (months)", "count")
    ttv_target: int = figure("Time-to-value target (days)", "count")
    qbr_window: int = figure("QBR window (months)", "count")
    qbr_scope: str = figure("Accounts expected to hold QBRs", "text")
    health_weights: str = figure("Health score weights", "text")
    health_trend_months: int = figure("Months the ARR trend looks back", "count")
    health_trend_span: float = figure("ARR rise or fall giving a full trend score",
                                      "share")
    health_engagement_months: int = figure("Health score engagement window (months)",
                                           "count")
    health_missing: float = figure("Health score of a part without data", "number")
    currency: str = field(default="USD", compare=False)


@dataclass(frozen=True)
class MetricsExercises(Summary):
    """The answers to the metrics chapter's exercises, on the data: exercise 1 moves the
    as-of month ``back`` months earlier, exercise 2 scores health by the ARR trend alone
    and keeps whichever weights did better on the earlier renewals. ``None`` where the
    data cannot answer."""

    back: int | None = figure("Exercise 1: months back", "count")
    month: str | None = figure("Exercise 1: as-of month", "text")
    nrr_then: float | None = figure("Exercise 1: NRR then", "ratio")
    grr_then: float | None = figure("Exercise 1: GRR then", "ratio")
    trend_earlier_auc: float | None = figure(
        "Exercise 2: AUC of the ARR trend alone on the earlier renewals", "number")
    trend_auc: float | None = figure("Exercise 2: AUC of the ARR trend alone", "number")
    kept: str | None = figure("Exercise 2: weights kept", "text")
    kept_auc: float | None = figure("Exercise 2: AUC of the weights kept", "number")


# Documented and pickled as the classes of csmodels.kpis, which re-exports them (as
# numpy's ``set_module`` does for its own functions).
for _cls in (MetricSettings, Benchmark, Choices, Cohorts, NpsDetail, TimeToValueDetail,
             HealthCheck, MetricsFrames, MetricsSummary, ChapterSettings,
             MetricsExercises):
    _cls.__module__ = "csmodels.kpis"
del _cls
