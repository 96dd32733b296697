"""Run the Ibis metric definitions where the data live: DuckDB or a Spark session.

:func:`metrics_on` is the one entry point for a connection a reader already has;
``csmodels metrics`` reaches it through :func:`csmodels.engine.sources.open_data`.
Each definition of :mod:`csmodels.engine.definitions` is compiled to the SQL of
the engine and run there; only one row of figures comes back per definition.

Compiling the Ibis expressions (importing Ibis and sqlglot included) takes about a
second, as long as the whole computation on a small company, so the SQL is kept
in a cache folder (:func:`cache_folder`), one file per query: the engine's dialect,
the tables present, the month, the settings, and the versions of Ibis and of the
definitions' source name it. A run that finds its SQL there does not import Ibis.
"""

from __future__ import annotations

import functools
import hashlib
import math
import operator
import os
from collections.abc import Callable, Mapping
from importlib.metadata import version
from pathlib import Path

from .. import table_kpis
from .._kpi_summary import MetricSettings, MetricsSummary  # csmodels.kpis's, without pandas
from ..exceptions import ParameterError
from ..inputs.months import month_number, month_text
from ..inputs.schema import TABLES
from .inputs import MOVEMENTS, view_name


class Engine:
    """A connection the definitions run on: DuckDB or a Spark session.

    ``views`` maps each input table to the SQL that reads it typed as
    :data:`csmodels.engine.definitions.INPUT_SCHEMAS` says; they become
    temporary views named as the tables. ``available`` names the tables the
    data hold besides (those no metric here reads); ``bounds``, the first and
    last month of ``arr_monthly`` (as ``year * 12 + month - 1``) if known; ``panel``,
    (month, lookback, table) where the checks already stored the
    :func:`~csmodels.engine.definitions.account_panel` of that month and lookback;
    ``month_rows``, for a monthly table, (month, view) where they stored its rows
    of that month, which the figures of that month read instead of the table.
    """

    def __init__(self, connection, views: Mapping[str, str], available=None,
                 bounds: tuple[int, int] | None = None,
                 panel: tuple[int, int, str] | None = None,
                 month_rows: Mapping[str, tuple[int, str]] | None = None):
        self.connection = connection
        self.bounds = bounds  # the first and last month, where the checks found them
        # (month, lookback, table): the account panel the checks of arr_monthly stored
        self.panel = panel
        # table -> (month, view): its rows of that month, which the checks stored
        self.month_rows = dict(month_rows or {})
        self.available = set(views) | set(available or ())
        self.spark = not _is_duckdb(connection)
        self.dialect = "pyspark" if self.spark else "duckdb"
        self.present = set(views)
        if not self.spark:  # DuckDB draws a progress bar on long queries otherwise
            connection.execute("SET enable_progress_bar = false")
        for name, select in views.items():  # under names of the book's own (view_name)
            self.execute(f"CREATE OR REPLACE TEMPORARY VIEW "
                         f"{_quote(view_name(name), self.spark)} AS {select}")

    def execute(self, sql: str):
        if self.spark:
            return self.connection.sql(sql)
        return self.connection.execute(sql)

    def one_row(self, expr) -> dict:
        """Run a one-row expression; the row as a dict."""
        return self.one_row_sql(_compile(expr, self.dialect))

    def cached_row(self, key: tuple, build: Callable) -> dict:
        """Run the one-row expression ``build()`` returns, its SQL compiled once per
        ``key`` (what the expression depends on besides the definitions) and cached."""
        return self.one_row_sql(_cached_sql(self.dialect, key, build))

    def cached_frame(self, key: tuple, build: Callable):
        """Run the expression ``build()`` returns (SQL cached as :meth:`cached_row`
        does); every row, as a pandas DataFrame."""
        sql = _cached_sql(self.dialect, key, build)
        if self.spark:  # rows, not toPandas: PySpark's pandas conversion predates pandas 3
            import pandas as pd

            result = self.connection.sql(sql)
            return pd.DataFrame([row.asDict() for row in result.collect()],
                                columns=result.columns)
        return self.connection.execute(sql).df()

    def one_row_sql(self, sql: str) -> dict:
        if self.spark:
            return self.connection.sql(sql).collect()[0].asDict()
        cursor = self.connection.execute(sql)
        names = [c[0] for c in cursor.description]
        return dict(zip(names, cursor.fetchone(), strict=True))


def _compile(expr, dialect: str) -> str:
    import ibis

    if dialect == "pyspark":
        ibis.pyspark  # noqa: B018  (registers the Spark compiler's options)
    return str(ibis.to_sql(expr, dialect=dialect))


def cache_folder() -> Path:
    """Where compiled SQL is kept: ``$CSMODELS_CACHE``, else ``csmodels/sql`` in the
    user's cache folder (``$XDG_CACHE_HOME`` or ``~/.cache``)."""
    if os.environ.get("CSMODELS_CACHE"):
        return Path(os.environ["CSMODELS_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "csmodels" / "sql"


_SOURCE = Path(__file__).resolve().parent


def _cached_sql(dialect: str, key: tuple, build: Callable) -> str:
    """The SQL of ``build()`` from the cache, compiled and stored on a miss. A cache
    that cannot be read or written (read-only home) only costs the compile."""
    name = hashlib.sha256(repr((_ibis_version(), dialect, key)).encode()
                          + _definitions_code()).hexdigest()
    path = cache_folder() / f"{name}.sql"
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        pass
    sql = _compile(build(), dialect)
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(sql, encoding="utf-8")
        os.replace(temporary, path)
    except OSError:
        pass
    return sql


@functools.cache
def _ibis_version() -> str:
    """Ibis's version, read once per process (the metadata lookup costs milliseconds,
    and the metrics of an in-memory company run a few dozen queries)."""
    return version("ibis-framework")


@functools.cache
def _definitions_code() -> bytes:
    """The source the compiled SQL depends on, read once per process."""
    return b"".join((_SOURCE / f).read_bytes() for f in ("definitions.py", "run.py",
                                                         "inputs.py", "sources.py",
                                                         "../table_kpis.py"))


def _is_duckdb(connection) -> bool:
    return type(connection).__module__.split(".")[0] in ("duckdb", "_duckdb")


def _quote(name: str, spark: bool) -> str:
    return f"`{name}`" if spark else f'"{name}"'


def summary(engine: Engine, as_of: str | None = None,
            settings: MetricSettings | None = None) -> MetricsSummary:
    """The figures of ``csmodels metrics`` computed on ``engine``: the
    :class:`csmodels.MetricsSummary` of :func:`csmodels.metrics_summary`, with its
    top-level figures and without the chapter's sections (computed from a company
    loaded in memory).

    As there, retention that the data cannot give (less history than the lookback
    before the month, or nobody paying in its base month) refuses a month the reader
    chose (``as_of``), with the reason, and is left undefined for the last month (the
    other figures are computed)."""
    settings = settings or MetricSettings()
    present = tuple(sorted(engine.present))
    if engine.bounds is None:
        bounds = engine.cached_row(("month_range", present), lambda: _month_range(present))
        engine.bounds = (bounds["first"], bounds["last"])
    first, last = (int(b) for b in engine.bounds)
    month = last if as_of is None else month_number(as_of)
    if not first <= month <= last:
        raise ParameterError(
            f"The month {month_text(month)} is outside the data, which runs from "
            f"{month_text(first)} to {month_text(last)}. Choose a month in that range.")
    lookback = settings.lookback_months
    chosen = as_of is not None  # a month the reader chose: refused where retention is not
    if chosen and last - first < lookback:
        raise ParameterError(
            f"Retention needs {lookback} months of history before the as-of month, but the "
            f"data run from {month_text(first)} to {month_text(last)}, {last - first + 1} "
            f"months in all. Choose a lookback of at most {max(last - first, 1)} months, or "
            "give the data more history.")
    if chosen and month - first < lookback:
        raise ParameterError(
            f"Retention as of {month_text(month)} needs {lookback} months of history, but the "
            f"data start in {month_text(first)}. Choose an as-of month from "
            f"{month_text(first + lookback)} on.")
    panel = (engine.panel[2] if engine.panel and engine.panel[:2] == (month, lookback)
             else None)
    rows = tuple(sorted((name, view) for name, (at, view) in engine.month_rows.items()
                        if at == month))
    kpis = tuple(k.cache_key(settings) for k in table_kpis.TABLE_KPIS)
    row = engine.cached_row(("figures", present, month, first, repr(settings), panel, rows,
                             kpis),
                            lambda: _figures(present, month, first, settings, panel, rows))
    if chosen and not row["base_arr"]:  # else the ratios are null: undefined
        raise ParameterError(f"No account had ARR above 0 in {month_text(month - lookback)}, "
                             "so retention is undefined there. Choose a later as-of month.")
    row = {k: _clean(v) for k, v in row.items()}
    figures = {k: row[k] for k in ("nrr", "grr", "logo_churn", "gross_revenue_churn",
                                   "net_revenue_churn")}
    kpis = {name: value for kpi in table_kpis.TABLE_KPIS if kpi.table in engine.present
            for name, value in kpi.values(row).items()}
    return MetricsSummary(
        as_of=month_text(month), lookback_months=lookback,
        base_month=month_text(month - lookback), arr=row["arr"],
        paying_accounts=row["paying_accounts"], retention_base_accounts=row["base_accounts"],
        retention_base_arr=row["base_arr"],
        **{f"{movement}_arr": float(row[movement]) for movement in MOVEMENTS}, **figures,
        table_kpis=kpis,
        missing_tables=tuple(name for name in TABLES if name not in engine.available))


def _month_range(present: tuple[str, ...]):
    from . import definitions as d

    return d.month_range(d.input_tables(set(present))["arr_monthly"])


def _figures(present: tuple[str, ...], month: int, first: int, settings: MetricSettings,
             panel: str | None = None, rows: tuple[tuple[str, str], ...] = ()):
    """Every figure of the month as one one-row expression (one query, one round trip):
    the ARR figures and each table KPI (:data:`csmodels.table_kpis.TABLE_KPIS`) whose
    table is present, each part one row, cross-joined. The ARR figures read the stored
    account panel named ``panel``, if given, and each (table, view) of ``rows`` is read
    from the view of its rows of the month."""
    import ibis

    from . import definitions as d

    t = d.input_tables(set(present))
    t.update({name: ibis.table(d.INPUT_SCHEMAS[name], name=view) for name, view in rows})
    lookback = settings.lookback_months
    p = (d.panel_table(lookback, panel) if panel
         else d.account_panel(t["arr_monthly"], month, lookback))
    parts = [d.arr_figures(t["arr_monthly"], month, lookback, first, panel=p)]
    tables = {**t, "panel": p}  # a KPI that reads ARR reads the same panel
    parts += [kpi.query(tables, month, settings) for kpi in table_kpis.TABLE_KPIS
              if kpi.table in t]
    combined = parts[0]
    for part in parts[1:]:  # each part is one row
        combined = combined.cross_join(part)
    return combined


def checked_panel_sql(rows: str, month: int, lookback: int, tests: tuple[int, ...],
                      lo: int, hi: int) -> str:
    """DuckDB SQL of the account panel of ``month`` and ``lookback`` over the typed
    rows of ``arr_monthly`` in the table or view ``rows``, with, per account, the
    aggregates its checks need in the same pass: ``_n`` rows, ``_c{i}`` rows
    breaking rule ``i`` (a 0/1 column ``_t{i}`` of ``rows``, for each ``i`` in
    ``tests``) and ``_d`` distinct months (bits set over the months ``lo`` to ``hi``).
    """
    return _cached_sql("duckdb", ("checked_panel", rows, month, lookback, tests, lo, hi),
                       lambda: _checked_panel(rows, month, lookback, tests, lo, hi))


def _checked_panel(rows: str, month: int, lookback: int, tests: tuple[int, ...], lo: int,
                   hi: int):
    import ibis
    import ibis.expr.datatypes as dt

    from . import definitions as d
    from .sources import MONTH_WORD, month_words

    @ibis.udf.scalar.builtin(signature=((dt.uint64,), dt.int8))
    def bit_count(x):  # DuckDB's, by name: a TINYINT
        ...

    t = ibis.table({**d.INPUT_SCHEMAS["arr_monthly"], **{f"_t{i}": "int64" for i in tests}},
                   name=rows)
    # the account's distinct months: the bits set in its month words, as
    # csmodels.engine.sources._month_bits writes them for the other monthly tables
    offset = t.month - lo
    bit = ibis.literal(1).cast("uint64") << (offset % MONTH_WORD).cast("uint64")
    many = hi - lo >= MONTH_WORD
    distinct = functools.reduce(operator.add, (
        bit_count(bit.bit_or(where=((offset >= start) & (offset < start + MONTH_WORD))
                             if many else None)).cast("int64").fill_null(0)
        for start in month_words(lo, hi)))
    checks = {"_n": t.count(), **{f"_c{i}": t[f"_t{i}"].sum() for i in tests}, "_d": distinct}
    return d.account_panel(t, month, lookback, **checks)


def _clean(value):
    """Plain Python numbers; JSON has no NaN, so undefined floats become null."""
    if value is None or isinstance(value, (str, list, bool)):
        return value
    if isinstance(value, int):
        return int(value)
    value = float(value)
    return value if math.isfinite(value) else None


def metrics_on(connection, tables: Mapping[str, str] | None = None, as_of: str | None = None,
               settings: MetricSettings | None = None) -> MetricsSummary:
    """The figures of ``csmodels metrics`` on tables a connection already holds.

    The checks of ``csmodels metrics`` do not run here: the tables must hold what
    they would ensure (ARR of 0 or more, one row per account and month).

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
    MetricsSummary
        Its ``to_dict()`` is what ``csmodels metrics --json`` prints; the sections
        (the health score at renewal and the chapter's detail) are ``None``: they are
        computed from a company loaded in memory, on exports only.

    Examples
    --------
    >>> import duckdb
    >>> con = duckdb.connect()
    >>> _ = con.execute("CREATE TABLE arr AS SELECT * FROM (VALUES "
    ...     "('a', '2023-01', 100.0), ('b', '2023-01', 100.0), ('a', '2024-01', 120.0))"
    ...     " v(account_id, month, arr)")
    >>> round(metrics_on(con, {"arr_monthly": "arr"}).nrr, 2)
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
