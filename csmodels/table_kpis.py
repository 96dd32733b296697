"""The KPIs of the metrics chapter that read an optional input table, each declared once.

A :class:`TableKpi` holds everything that varies between such KPIs: its figures (the
fields of :class:`csmodels.MetricsSummary` it fills, each a
:func:`~csmodels.summary.figure` with its label and unit), the table it reads, the
settings of :class:`csmodels.MetricSettings` it uses, how a skipped page names it and
its Ibis definition, which returns one row with a column per figure. The rest follows
from :data:`TABLE_KPIS`, in its order:

* :class:`csmodels.MetricsSummary` has a field per figure, after the ARR figures, so
  ``csmodels metrics`` prints it, ``--json`` writes it and the chapter glues it;
* :func:`csmodels.metrics_summary` runs each definition on an embedded DuckDB over the
  company's tables, and the engine (``csmodels metrics`` on a Parquet folder, a DuckDB
  file or Spark, :func:`csmodels.engine.summary`) adds each as a one-row part of its one
  query;
* without the table, or without rows in the KPI's window, the chapter shows
  :func:`csmodels.needs.kpi`'s sentence, which names the table.

The ARR figures (retention, churn, the movements) are not here: they come from one
pass over the account panel (:func:`csmodels.engine.definitions.arr_figures`).

This module imports neither pandas nor Ibis: a definition imports what it needs when
it runs, so the engine can build a summary from compiled SQL alone. A definition
receives the input tables present (unbound Ibis tables, by name, and ``panel``, one
row per account with ``v0`` its ARR in the month, when it reads ``arr_monthly``), the
month as ``year * 12 + month - 1`` and each setting it declares, by name (and only
those: the compiled SQL is cached by their values).

>>> [k.key for k in TABLE_KPIS]  # doctest: +NORMALIZE_WHITESPACE
['nps', 'adoption', 'time_to_value_within_target', 'qbr_coverage',
 'expansion_pipeline_influenced']
"""

from __future__ import annotations

import dataclasses
import hashlib
import marshal
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from .summary import figure


@dataclass(frozen=True)
class TableKpi:
    """One KPI of ``csmodels metrics`` read from an optional input table.

    Attributes
    ----------
    figures : mapping of str to a :func:`~csmodels.summary.figure`
        The fields of :class:`csmodels.MetricsSummary` it fills, in order: the columns
        of its definition's one row. A figure whose column is null takes its default.
    table : str
        The input table it reads; without it, its figures take their defaults.
    what : str
        What the sentence of a skipped page calls it ("Product adoption").
    define : callable
        ``define(tables, month, **settings)``: its Ibis definition, one row.
    settings : tuple of str
        The fields of :class:`csmodels.MetricSettings` ``define`` receives.
    also : tuple of str
        Other input tables it reads where present (``arr_monthly`` gives it the
        account panel as ``tables["panel"]``).
    key : str
        The figure whose ``None`` means the KPI is skipped, and its key in the chapter's
        ``skipped`` sentences; default the first figure.
    listed_as : str
        Its row (the ``kpi`` cell) in ``csmodels/data/cs_kpis.csv``, the sources' KPIs
        the chapter shows.
    """

    figures: Mapping[str, Any]
    table: str
    what: str
    define: Callable[..., Any]
    settings: tuple[str, ...] = ()
    also: tuple[str, ...] = ()
    key: str = ""
    listed_as: str = ""

    def __post_init__(self) -> None:
        from .inputs.schema import TABLES

        unknown = [name for name in (self.table, *self.also) if name not in TABLES]
        if unknown:
            raise ValueError(f"{unknown} are not input tables; they are {sorted(TABLES)}")
        figures = {}
        for name, declared in self.figures.items():
            if "unit" not in getattr(declared, "metadata", {}):
                raise TypeError(f"the figure {name!r} is not declared with figure(label, unit)")
            # a field of its own, named (the summary lists it among its dataclass fields)
            declared = dataclasses.field(default=declared.default,
                                         metadata=declared.metadata)
            declared.name = name
            figures[name] = declared
        object.__setattr__(self, "figures", MappingProxyType(figures))
        object.__setattr__(self, "key", self.key or next(iter(figures)))
        if self.key not in figures:
            raise ValueError(f"the key {self.key!r} is not one of the figures {list(figures)}")

    @property
    def tables(self) -> tuple[str, ...]:
        """Every input table it reads: its own, then ``also``."""
        return (self.table, *self.also)

    def query(self, tables: Mapping[str, Any], month: int, settings: Any):
        """Its one-row Ibis expression for ``month`` under ``settings``."""
        return self.define(tables, month, **{s: getattr(settings, s) for s in self.settings})

    def values(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """Its figures from the row of its definition (plain numbers, ``None`` for a
        null or NaN): a figure without a value takes its default."""
        out = {}
        for name, declared in self.figures.items():
            value = row.get(name)
            if isinstance(value, float) and not math.isfinite(value):
                value = None
            out[name] = declared.default if value is None else value
        return out

    def cache_key(self, settings: Any) -> tuple:
        """What its compiled SQL depends on besides the tables and the month: its
        figures, the values of its settings and the code of its definition."""
        code = hashlib.sha256(marshal.dumps(self.define.__code__)).hexdigest()
        return (tuple(self.figures), tuple((s, getattr(settings, s)) for s in self.settings),
                self.define.__module__, self.define.__qualname__, code)


def _definitions():
    """:mod:`csmodels.engine.definitions`, imported when a definition runs (with Ibis)."""
    from .engine import definitions

    return definitions


def _nps(t, month, nps_window_months):
    return _definitions().nps(t["nps_responses"], month, nps_window_months)


def _adoption(t, month):
    return _definitions().adoption(t["usage_monthly"], month, t.get("accounts"))


def _time_to_value(t, month, ttv_window_months, ttv_target_days):
    return _definitions().time_to_value(t["onboarding"], month, ttv_window_months,
                                        ttv_target_days)


def _qbr_coverage(t, month, qbr_window_months, qbr_min_arr):
    d = _definitions()
    return d.qbr_coverage_of(t["panel"], d.qbr_held(t["qbrs"], month, qbr_window_months),
                             qbr_min_arr)


def _pipeline(t, month, pipeline_window_months):
    return _definitions().pipeline_influenced(t["opportunities"], month,
                                              pipeline_window_months)


TABLE_KPIS: list[TableKpi] = [
    TableKpi({"nps": figure("NPS", "nps"),
              "nps_responses": figure("NPS responses", "count", default=0)},
             table="nps_responses", what="The Net Promoter Score", define=_nps,
             settings=("nps_window_months",), listed_as="Net Promoter Score (NPS)"),
    TableKpi({"adoption": figure("Product adoption (median seat use)", "ratio")},
             table="usage_monthly", what="Product adoption", define=_adoption,
             also=("accounts",), listed_as="Product Adoption Rate"),
    TableKpi({"time_to_value_median_days": figure("Time to value (median days)", "days"),
              "time_to_value_within_target": figure("Time to value within target", "ratio")},
             table="onboarding", what="Time to value", define=_time_to_value,
             settings=("ttv_window_months", "ttv_target_days"),
             key="time_to_value_within_target", listed_as="Time-to-Value (TTV)"),
    TableKpi({"qbr_coverage": figure("QBR coverage", "ratio")},
             table="qbrs", what="QBR coverage", define=_qbr_coverage,
             settings=("qbr_window_months", "qbr_min_arr"), also=("arr_monthly",),
             listed_as="QBR Coverage %"),
    TableKpi({"expansion_pipeline_influenced": figure("Expansion pipeline influenced",
                                                      "ratio")},
             table="opportunities", what="Expansion pipeline influenced", define=_pipeline,
             settings=("pipeline_window_months",), listed_as="Expansion Pipeline Influenced"),
]
"""Every table KPI, in the order ``csmodels metrics`` prints them."""


def register(kpi: TableKpi) -> TableKpi:
    """Add ``kpi`` to :data:`TABLE_KPIS` (last); its figures' names must be new."""
    from ._kpi_summary import MetricsSummary

    taken = {f.name for f in MetricsSummary.fields()}
    clash = sorted(taken & set(kpi.figures))
    if clash:
        raise ValueError(f"MetricsSummary already has the figures {clash}")
    TABLE_KPIS.append(kpi)
    return kpi


def unregister(kpi: TableKpi) -> None:
    """Remove ``kpi`` from :data:`TABLE_KPIS`."""
    TABLE_KPIS.remove(kpi)


def by_key(key: str) -> TableKpi:
    """The registered KPI whose :attr:`TableKpi.key` is ``key``."""
    for kpi in TABLE_KPIS:
        if kpi.key == key:
            return kpi
    raise KeyError(f"no table KPI has the key {key!r}")
