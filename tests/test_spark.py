"""The same metric definitions on Spark (local mode) as on the embedded DuckDB,
to the cent. One Spark session for the module: starting Java costs most of it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from csmodels.engine import metrics_on, open_data, summary
from csmodels.exceptions import DataError
from tests.same_figures import assert_same_figures

pyspark = pytest.importorskip("pyspark", reason="pyspark is in requirements.txt")
# PySpark 4.3 warns that it does not fully support pandas 3; the engine hands Spark SQL
# text and reads rows back, so no pandas conversion is involved.
pytestmark = pytest.mark.filterwarnings(
    "ignore:PySpark does not yet fully support pandas:FutureWarning")
CASE = Path(__file__).resolve().parent.parent / "data" / "cases" / "startup-high-touch"


@pytest.fixture(autouse=True)
def _sql_cache(tmp_path, monkeypatch):
    """Compiled SQL goes to a cache of the test's own (not the user's)."""
    monkeypatch.setenv("CSMODELS_CACHE", str(tmp_path / "sql-cache"))


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", "python")
    session = (SparkSession.builder.master("local[1]").appName("csmodels-tests")
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.shuffle.partitions", "2")
               .config("spark.driver.memory", "512m").getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def test_spark_gives_the_duckdb_figures(spark):
    tables = {}
    for f in sorted(CASE.glob("*.csv")):
        spark.read.csv(str(f), header=True).createOrReplaceTempView(f"case_{f.stem}")
        tables[f.stem] = f"case_{f.stem}"
    want = summary(open_data(CASE)[0])
    got = metrics_on(spark, tables)
    assert got.arr > 0 and got.nrr is not None
    assert_same_figures(got, want)


def test_a_missing_column_on_spark_is_named(spark):
    spark.createDataFrame([("a", "2024-01")], ["account_id", "mnth"]).createOrReplaceTempView(
        "short_arr")
    with pytest.raises(DataError, match="column 'month': A required column is missing"):
        metrics_on(spark, {"arr_monthly": "short_arr"})


def test_the_chapters_series_are_the_same_definitions_on_spark(spark):
    """The monthly series the metrics chapter draws (retention, the ARR bridge, the
    cohorts) are single Ibis expressions: on Spark they give what the chapter's
    functions give on the embedded DuckDB."""
    import pandas as pd

    import csmodels as cs
    from csmodels import metrics
    from csmodels.engine.run import Engine
    from csmodels.engine.sources import typed_views

    path = CASE / "arr_monthly.csv"
    spark.read.csv(str(path), header=True).createOrReplaceTempView("series_arr")
    views = typed_views({"arr_monthly": "`series_arr`"},
                        {"arr_monthly": dict.fromkeys(("account_id", "month", "arr"), "string")},
                        spark=True)
    engine = Engine(spark, views)
    panel = cs.ArrPanel.from_frame(cs.load_company(CASE).arr_monthly)
    first, last = metrics._bounds(panel)
    on_spark = metrics._frame(engine, "retention_series", ("arr_monthly",), 12, first, last)
    here = cs.retention_series(panel, 12)
    assert len(on_spark) == len(here) > 0
    assert on_spark.sort_values("month")["nrr"].tolist() == pytest.approx(here["nrr"].tolist(),
                                                                           rel=1e-12)
    bridge = metrics._frame(engine, "arr_bridge", ("arr_monthly",), first, last)
    here = cs.arr_bridge(panel)
    for column in ("opening", *metrics.MOVEMENTS, "closing"):
        assert bridge.sort_values("month")[column].tolist() == pytest.approx(
            here[column].tolist(), abs=0.005), column
    cells = metrics._frame(engine, "cohort_retention", ("arr_monthly",), "Q", "revenue", False,
                           first, last)
    table = cs.cohort_retention(panel, "Q", "revenue")
    for row in cells.itertuples():
        assert table.loc[row.cohort, int(row.age)] == pytest.approx(row.retention, rel=1e-12)
    assert len(cells) == int(pd.notna(table).sum().sum())


def test_tables_named_as_the_input_tables_are_read_and_kept(spark):
    """The most natural names (a view ``arr_monthly``): the engine's own views have names of
    their own, so it neither reads itself nor replaces the reader's views."""
    for f in sorted(CASE.glob("*.csv")):
        spark.read.csv(str(f), header=True).createOrReplaceTempView(f.stem)
    got = metrics_on(spark, {f.stem: f.stem for f in CASE.glob("*.csv")})
    assert_same_figures(got, summary(open_data(CASE)[0]))
    assert spark.table("arr_monthly").columns == ["account_id", "month", "arr"]
