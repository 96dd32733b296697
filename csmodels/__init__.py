"""csmodels: the models behind the Customer Success organisation handbook.

The package reads a company's data folder (:func:`load_company`), computes the
metrics of the book's metrics chapter (:mod:`csmodels.metrics`,
:mod:`csmodels.health`, :func:`metrics_summary`) and draws its charts
(:mod:`csmodels.charts`). Every error a reader can fix is a :class:`CsModelsError`.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("csmodels")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

from . import needs
from .benchmarks import benchmark_for_acv, cs_kpis, retention_benchmarks
from .exceptions import CsModelsError, DataError, ParameterError, Problem
from .health import HealthModel, Separation, health_scores, health_separation
from .io import Company, load_company
from .lifetime import (
    ShiftedBetaGeometric,
    SurvivorCohorts,
    capped_ltv,
    ltv_by_horizon,
    ltv_table,
    published_sbg_examples,
    refit_spread,
    simple_ltv,
    simulate_survivors,
    survivor_cohorts,
)
from .maturity import CompanyFacts, Recommendation, facts_from_data, recommend
from .metrics import (
    ArrPanel,
    Compounded,
    Nps,
    Retention,
    TimeToValue,
    adoption_rate,
    arr_bridge,
    arr_movements,
    cohort_retention,
    compounded_monthly_retention,
    expansion_pipeline_influenced,
    nps,
    qbr_coverage,
    reactivated_arr,
    resolve_as_of,
    retention,
    retention_series,
    seat_utilisation,
    time_to_value,
)
from .profile import Profile, default_profile_path, load_profile
from .report import MetricSettings, metrics_summary
from .revenue import (
    RevenueBase,
    arr_in_year,
    bookings_equivalent,
    project_revenue,
    revenue_base_from_data,
    revenue_layers,
    sales_vs_cs,
)

__all__ = [
    "ArrPanel",
    "Company",
    "CompanyFacts",
    "Compounded",
    "CsModelsError",
    "DataError",
    "HealthModel",
    "MetricSettings",
    "Nps",
    "ParameterError",
    "Problem",
    "Profile",
    "Recommendation",
    "Retention",
    "RevenueBase",
    "Separation",
    "ShiftedBetaGeometric",
    "SurvivorCohorts",
    "TimeToValue",
    "__version__",
    "adoption_rate",
    "arr_bridge",
    "arr_in_year",
    "arr_movements",
    "benchmark_for_acv",
    "bookings_equivalent",
    "capped_ltv",
    "cohort_retention",
    "compounded_monthly_retention",
    "cs_kpis",
    "default_profile_path",
    "expansion_pipeline_influenced",
    "facts_from_data",
    "health_scores",
    "health_separation",
    "load_company",
    "load_profile",
    "ltv_by_horizon",
    "ltv_table",
    "metrics_summary",
    "needs",
    "nps",
    "project_revenue",
    "published_sbg_examples",
    "qbr_coverage",
    "reactivated_arr",
    "recommend",
    "refit_spread",
    "resolve_as_of",
    "retention",
    "retention_benchmarks",
    "retention_series",
    "revenue_base_from_data",
    "revenue_layers",
    "sales_vs_cs",
    "seat_utilisation",
    "simple_ltv",
    "simulate_survivors",
    "survivor_cohorts",
    "time_to_value",
]
