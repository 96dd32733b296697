"""Run the Ibis metric definitions where the data live: DuckDB or a Spark session.

:func:`metrics_on` is the one entry point for a connection a reader already has;
``csmodels metrics`` reaches it through :func:`csmodels.engine.sources.open_data`.
Each definition of :mod:`csmodels.engine.definitions` is compiled to the SQL of
the engine and run there; only one row of figures comes back per definition.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import ibis

from ..exceptions import ParameterError
from ..report import MetricSettings
from ..schema import TABLES
from . import definitions as d


class Engine:
    """A connection the definitions run on: DuckDB or a Spark session.

    ``views`` maps each input table to the SQL that reads it typed as
    :data:`csmodels.engine.definitions.INPUT_SCHEMAS` says; they become
    temporary views named as the tables. ``available`` names the tables the
    data hold besides (those no metric here reads).
    """

    def __init__(self, connection, views: Mapping[str, str], available=None):
        self.connection = connection
        self.available = set(views) | set(available or ())
        self.spark = not _is_duckdb(connection)
        if self.spark:
            ibis.pyspark  # noqa: B018  (registers the Spark compiler's options)
        self.dialect = "pyspark" if self.spark else "duckdb"
        self.present = set(views)
        if not self.spark:  # DuckDB draws a progress bar on long queries otherwise
            connection.execute("SET enable_progress_bar = false")
        for name, select in views.items():
            self.execute(f"CREATE OR REPLACE TEMPORARY VIEW {_quote(name, self.spark)} AS {select}")

    def execute(self, sql: str):
        if self.spark:
            return self.connection.sql(sql)
        return self.connection.execute(sql)

    def one_row(self, expr) -> dict:
        """Run a one-row expression; the row as a dict."""
        sql = ibis.to_sql(expr, dialect=self.dialect)
        if self.spark:
            return self.connection.sql(sql).collect()[0].asDict()
        cursor = self.connection.execute(sql)
        names = [c[0] for c in cursor.description]
        return dict(zip(names, cursor.fetchone(), strict=True))


def _is_duckdb(connection) -> bool:
    return type(connection).__module__.split(".")[0] in ("duckdb", "_duckdb")


def _quote(name: str, spark: bool) -> str:
    return f"`{name}`" if spark else f'"{name}"'


def month_text(index: int) -> str:
    """A month index (``year * 12 + month - 1``) as ``YYYY-MM``."""
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _month_index(text: str) -> int:
    year, month = str(text).split("-")
    return int(year) * 12 + int(month) - 1


def summary(engine: Engine, as_of: str | None = None,
            settings: MetricSettings | None = None) -> dict:
    """The figures of ``csmodels metrics`` (as :func:`csmodels.report.metrics_summary`
    gives them, without ``health_auc``), computed on ``engine``."""
    settings = settings or MetricSettings()
    t = d.input_tables(engine.present)
    arr = t["arr_monthly"]
    bounds = engine.one_row(d.month_range(arr))
    first, last = int(bounds["first"]), int(bounds["last"])
    month = last if as_of is None else _month_index(as_of)
    if not first <= month <= last:
        raise ParameterError(
            f"The month {month_text(month)} is outside the data, which runs from "
            f"{month_text(first)} to {month_text(last)}. Choose a month in that range.")
    lookback = settings.lookback_months
    if month - first < lookback:
        raise ParameterError(
            f"Retention as of {month_text(month)} needs {lookback} months of history, but the "
            f"data start in {month_text(first)}. Choose an as-of month from "
            f"{month_text(first + lookback)} on.")
    held = (d.qbr_held(t["qbrs"], month, settings.qbr_window_months) if "qbrs" in t
            else None)
    parts = [d.arr_figures(arr, month, lookback, first, held, settings.qbr_min_arr)]
    if "nps_responses" in t:
        parts.append(d.nps(t["nps_responses"], month, settings.nps_window_months))
    if "usage_monthly" in t:
        parts.append(d.adoption(t["usage_monthly"], month, t.get("accounts")))
    if "onboarding" in t:
        parts.append(d.time_to_value(t["onboarding"], month, settings.ttv_window_months,
                                     settings.ttv_target_days))
    if "opportunities" in t:
        parts.append(d.pipeline_influenced(t["opportunities"], month,
                                           settings.pipeline_window_months))
    combined = parts[0]
    for part in parts[1:]:  # one query, one round trip: each part is one row
        combined = combined.cross_join(part)
    row = engine.one_row(combined)
    if not row["base_arr"]:
        raise ParameterError(f"No account had ARR above 0 in {month_text(month - lookback)}, "
                             "so retention is undefined there. Choose a later as-of month.")
    out: dict = {"as_of": month_text(month)}
    out.update({k: row[k] for k in ("nrr", "grr", "logo_churn", "gross_revenue_churn",
                                    "net_revenue_churn")})
    out.update(nps=None, nps_responses=0, arr=row["arr"], paying_accounts=row["paying_accounts"],
               retention_base_accounts=row["base_accounts"], retention_base_arr=row["base_arr"])
    for movement in d.MOVEMENTS:
        out[f"{movement}_arr_{lookback}m"] = float(row[movement])
    if "nps_responses" in t and row["nps"] is not None:
        out.update(nps=row["nps"], nps_responses=row["nps_responses"])
    out["adoption"] = row.get("adoption")
    out["time_to_value_median_days"] = row.get("time_to_value_median_days")
    out["time_to_value_within_target"] = row.get("time_to_value_within_target")
    out["qbr_coverage"] = row.get("qbr_coverage")
    out["expansion_pipeline_influenced"] = row.get("expansion_pipeline_influenced")
    out["health_auc"] = None
    out["missing_tables"] = [name for name in TABLES if name not in engine.available]
    return {k: _clean(v) for k, v in out.items()}


def _clean(value):
    """Plain Python numbers; JSON has no NaN, so undefined floats become null."""
    if value is None or isinstance(value, (str, list, bool)):
        return value
    if isinstance(value, int):
        return int(value)
    value = float(value)
    return value if math.isfinite(value) else None


def metrics_on(connection, tables: Mapping[str, str] | None = None, as_of: str | None = None,
               settings: MetricSettings | None = None) -> dict:
    """The figures of ``csmodels metrics`` on tables a connection already holds.

    Parameters
    ----------
    connection : duckdb.DuckDBPyConnection or pyspark.sql.SparkSession
    tables : mapping of str to str, optional
        Input table (``arr_monthly``, ``accounts``, ...) to the name of the table or
        view holding it in ``connection``; default ``arr_monthly`` alone. The
        columns are those of ``data/README.md``; months and dates may be text
        (``YYYY-MM``, ``YYYY-MM-DD``) or dates.
    as_of : str, optional
        ``YYYY-MM``; default the last month in the data.

    Returns
    -------
    dict
        As ``csmodels metrics --json`` prints it (``health_auc`` is null: the health
        score is fitted in pandas, on exports only).

    Examples
    --------
    >>> import duckdb
    >>> con = duckdb.connect()
    >>> _ = con.execute("CREATE TABLE arr AS SELECT * FROM (VALUES "
    ...     "('a', '2023-01', 100.0), ('b', '2023-01', 100.0), ('a', '2024-01', 120.0))"
    ...     " v(account_id, month, arr)")
    >>> round(metrics_on(con, {"arr_monthly": "arr"})["nrr"], 2)
    0.6
    """
    from .sources import typed_views

    tables = dict(tables or {"arr_monthly": "arr_monthly"})
    spark = not _is_duckdb(connection)
    columns = {name: _columns(connection, source, spark) for name, source in tables.items()}
    views = typed_views({name: _quote(source, spark) if spark else source
                         for name, source in tables.items()}, columns, spark=spark)
    return summary(Engine(connection, views, tables), as_of, settings)


def _columns(connection, source: str, spark: bool) -> dict[str, str]:
    """A table's column names and SQL types, lower-cased."""
    if spark:
        return {f.name.lower(): f.dataType.simpleString().lower()
                for f in connection.table(source).schema.fields}
    cursor = connection.execute(f"DESCRIBE {source}")
    return {row[0].lower(): row[1].lower() for row in cursor.fetchall()}


def health_auc(company, as_of: str, settings: MetricSettings | None = None) -> float | None:
    """The health score's churn AUC of :func:`csmodels.health.health_separation`
    (fitted in pandas, so on a loaded company only); null on too short a history."""
    from ..health import health_separation
    from ..metrics import ArrPanel

    settings = settings or MetricSettings()
    panel = ArrPanel.from_frame(company.arr_monthly)
    if panel.column(as_of) < settings.health_horizon_months:
        return None
    return _clean(health_separation(company, None, as_of, settings.health_horizon_months,
                                    panel=panel).auc)
