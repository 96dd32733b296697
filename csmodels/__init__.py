"""csmodels: the models behind the Customer Success organisation handbook.

The public API is every name in ``__all__``; the book's architecture page
(``appendix/architecture.md``) says what each module is for.

One summary per chapter
    Each chapter's module loads the chapter's inputs once and returns one frozen
    :class:`Summary`, whose fields carry their label and unit (sections hold another
    Summary, or ``None`` where the data cannot support them). The chapter glues it, the
    command line prints it and the tests read it:

    * the metrics chapter, :func:`csmodels.kpis.summarise` (which loads the data and
      profile, then calls :func:`metrics_summary`, and adds the settings the chapter
      states and its exercises' answers as sections) -> :class:`MetricsSummary`
      (``csmodels metrics``; on a Parquet folder, a DuckDB file or Spark the engine,
      :mod:`csmodels.engine`, gives its top-level figures);
    * the functions chapter, :func:`csmodels.functions.summarise` (which loads the data
      and profile, then calls :func:`functions_summary`) -> :class:`FunctionsSummary`
      (``csmodels functions``);
    * the maturity chapter, :func:`summarise` (of :mod:`csmodels.maturity`) ->
      :class:`MaturitySummary` (``csmodels recommend``);
    * the reporting chapter, :func:`reporting_summary` -> :class:`ReportingSummary`, with
      the maturity recommendation beside the ranking (a :class:`Reconciliation`) and the
      quota-pressure model as its ``pressure`` section, a :class:`PressureSummary`
      (:func:`pressure_summary` gives that section alone) (``csmodels reporting``);
    * the collaboration chapter, :func:`csmodels.collaboration.summarise` ->
      :class:`CollaborationSummary` (``csmodels collaboration``).

Data
    :func:`load_company` reads and validates a data folder into a :class:`Company`
    (every problem a reader can fix is a :class:`CsModelsError`: :class:`DataError`
    listing each :class:`Problem`, or :class:`ParameterError`); :func:`load_profile`
    and :func:`default_profile_path` read the company :class:`Profile`.
Metrics (the metrics chapter)
    :class:`ArrPanel` and :func:`retention`, :func:`retention_series`,
    :func:`cohort_retention`, :func:`compounded_monthly_retention`, :func:`arr_movements`,
    :func:`arr_bridge`, :func:`reactivated_arr`, :func:`nps`, :func:`adoption_rate`,
    :func:`seat_utilisation`, :func:`time_to_value`, :func:`qbr_coverage`,
    :func:`expansion_pipeline_influenced`, whose results are :class:`Retention`,
    :class:`Compounded`, :class:`Nps` and :class:`TimeToValue`; the health score
    (:class:`HealthModel`, :func:`health_scores`, tested at each account's renewals by
    :func:`renewals` and :func:`renewal_test`, a :class:`RenewalTest`);
    :func:`average_contract_value`; in :mod:`csmodels.kpis`, :func:`metrics_summary`
    gathers them for one month under :class:`MetricSettings` as a :class:`MetricsSummary`,
    which ``csmodels metrics`` prints, and :func:`csmodels.kpis.summarise` is the chapter's
    call; :func:`resolve_as_of` turns a month given as text (or none: the last) into
    the month (a ``pandas.Period``) every metric reports on.
Revenue and lifetime value (the functions chapter)
    :class:`RevenueBase` and :func:`project_revenue`, :func:`revenue_layers`,
    :func:`revenue_base_from_data`, :func:`arr_in_year`, :func:`bookings_equivalent`,
    :func:`cohort_survival`, :func:`nrr_matching_growth`, :func:`sales_vs_cs`;
    :func:`simple_ltv`, :func:`capped_ltv`, :func:`ltv_table`,
    :func:`ltv_by_horizon`, the shifted-beta-geometric model
    (:class:`ShiftedBetaGeometric`, :class:`SurvivorCohorts`, :func:`survivor_cohorts`,
    :func:`simulate_survivors`, :func:`published_sbg_examples`, and :func:`refit_spread`,
    how far a refit on simulated cohorts of one size scatters; :func:`bootstrap_sbg`
    and its :class:`SbgBootstrap`, the fit's uncertainty); :func:`functions_summary`
    returns the chapter's :class:`FunctionsSummary`, and :mod:`csmodels.functions`
    holds the chapter's call.
What a section needs
    :mod:`csmodels.needs` checks, once for every chapter, whether the data can support
    each section (months of history, tables, accounts, cohorts) and gives the one
    sentence a skipped section shows.
Where CS belongs (the maturity, reporting and collaboration chapters)
    :mod:`csmodels.maturity`: :func:`recommend` a structure from :class:`CompanyFacts`
    (:func:`facts_from_data`) as a :class:`Recommendation`, with each point where the
    sources disagree as a :class:`Conflict`, or one per :class:`Segment` with
    :func:`recommend_segments` (a :class:`SegmentedRecommendation`);
    :mod:`csmodels.reporting` (where CS reports: the criteria model, :class:`Flip`);
    :mod:`csmodels.pressure` (quota pressure on CSMs over several years:
    :class:`IncentivePressure`);
    :mod:`csmodels.collaboration` (handoffs under :class:`SlaTerms`,
    :func:`handoff_report`, :func:`handoff_summary`; pay under a :class:`CompPlan`).
Published tables
    :func:`retention_benchmarks`, :func:`benchmark_for_acv`, :func:`cs_kpis`.
Charts
    :mod:`csmodels.charts`, imported on first use (it loads Altair).
Version
    ``__version__``, the installed package's.

The command line (:mod:`csmodels.cli`), the reruns (:mod:`csmodels.rerun`) and the
helpers of the chapters and the build (:mod:`csmodels.book`, :mod:`csmodels.sphinxext`)
are modules of their own, not part of this namespace.
"""

# The public names are imported on first use (PEP 562), as SciPy and scikit-image do:
# ``import csmodels`` and the command line load only the modules they use (``csmodels
# metrics`` on a Parquet folder imports neither pandas nor Ibis). ``dir(csmodels)``, the
# star import and ``from csmodels import name`` see every name of ``__all__``.
from importlib import import_module as _import_module
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("csmodels")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

# module (relative to csmodels) -> the public names it defines
_LAZY_NAMES: dict[str, tuple[str, ...]] = {
    "collaboration": (
        "CollaborationSummary", "CompPlan", "SlaTerms", "handoff_report", "handoff_summary"
    ),
    "exceptions": ("CsModelsError", "DataError", "ParameterError", "Problem"),
    "functions": ("FunctionsSummary", "functions_summary"),
    "health": ("HealthModel", "RenewalTest", "health_scores", "renewal_test", "renewals"),
    "inputs": ("Company", "load_company"),
    "kpis": ("MetricSettings", "MetricsSummary", "metrics_summary"),
    "lifetime": (
        "SbgBootstrap", "ShiftedBetaGeometric", "SurvivorCohorts", "bootstrap_sbg",
        "capped_ltv", "ltv_by_horizon", "ltv_table", "published_sbg_examples", "refit_spread",
        "simple_ltv", "simulate_survivors", "survivor_cohorts"
    ),
    "maturity": (
        "CompanyFacts", "Conflict", "MaturitySummary", "Recommendation", "Segment",
        "SegmentedRecommendation", "facts_from_data", "recommend", "recommend_segments",
        "summarise"
    ),
    "metrics": (
        "ArrPanel", "Compounded", "Nps", "Retention", "TimeToValue", "adoption_rate",
        "arr_bridge", "arr_movements", "average_contract_value", "cohort_retention",
        "compounded_monthly_retention", "expansion_pipeline_influenced", "nps", "qbr_coverage",
        "reactivated_arr", "resolve_as_of", "retention", "retention_series",
        "seat_utilisation", "time_to_value"
    ),
    "pressure": ("IncentivePressure", "PressureSummary", "pressure_summary"),
    "profile": ("Profile", "default_profile_path", "load_profile"),
    "published": ("benchmark_for_acv", "cs_kpis", "retention_benchmarks"),
    "reporting": ("Flip", "Reconciliation", "ReportingSummary", "reporting_summary"),
    "revenue": (
        "RevenueBase", "arr_in_year", "bookings_equivalent", "cohort_survival",
        "nrr_matching_growth", "project_revenue", "revenue_base_from_data", "revenue_layers",
        "sales_vs_cs"
    ),
    "summary": ("Summary",),
}
# public modules, imported on first use too (charts loads Altair)
_LAZY_MODULES = ("charts", "collaboration", "functions", "kpis", "maturity", "needs",
                 "pressure", "reporting")
_WHERE = {name: module for module, names in _LAZY_NAMES.items() for name in names}

__all__ = [
    "ArrPanel",
    "CollaborationSummary",
    "CompPlan",
    "Company",
    "CompanyFacts",
    "Compounded",
    "Conflict",
    "CsModelsError",
    "DataError",
    "Flip",
    "FunctionsSummary",
    "HealthModel",
    "IncentivePressure",
    "MaturitySummary",
    "MetricSettings",
    "MetricsSummary",
    "Nps",
    "ParameterError",
    "PressureSummary",
    "Problem",
    "Profile",
    "Recommendation",
    "Reconciliation",
    "RenewalTest",
    "ReportingSummary",
    "Retention",
    "RevenueBase",
    "SbgBootstrap",
    "Segment",
    "SegmentedRecommendation",
    "ShiftedBetaGeometric",
    "SlaTerms",
    "Summary",
    "SurvivorCohorts",
    "TimeToValue",
    "__version__",
    "adoption_rate",
    "arr_bridge",
    "arr_in_year",
    "arr_movements",
    "average_contract_value",
    "benchmark_for_acv",
    "bookings_equivalent",
    "bootstrap_sbg",
    "capped_ltv",
    "charts",
    "cohort_retention",
    "cohort_survival",
    "collaboration",
    "compounded_monthly_retention",
    "cs_kpis",
    "default_profile_path",
    "expansion_pipeline_influenced",
    "facts_from_data",
    "functions",
    "functions_summary",
    "handoff_report",
    "handoff_summary",
    "health_scores",
    "kpis",
    "load_company",
    "load_profile",
    "ltv_by_horizon",
    "ltv_table",
    "maturity",
    "metrics_summary",
    "needs",
    "nps",
    "nrr_matching_growth",
    "pressure",
    "pressure_summary",
    "project_revenue",
    "published_sbg_examples",
    "qbr_coverage",
    "reactivated_arr",
    "recommend",
    "recommend_segments",
    "refit_spread",
    "renewal_test",
    "renewals",
    "reporting",
    "reporting_summary",
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
    "summarise",
    "survivor_cohorts",
    "time_to_value",
]


def __getattr__(name: str):
    """A public name or module of ``__all__``, imported on first use and kept."""
    if name in _WHERE:
        value = getattr(_import_module(f".{_WHERE[name]}", __name__), name)
    elif name in _LAZY_MODULES or _is_submodule(name):  # e.g. csmodels.functions
        value = _import_module(f".{name}", __name__)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def _is_submodule(name: str) -> bool:
    """Whether ``name`` is a module of the package (as ``import csmodels`` made every
    module it imported an attribute before the names were loaded on first use)."""
    from importlib.util import find_spec

    return name.isidentifier() and find_spec(f"{__name__}.{name}") is not None


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
