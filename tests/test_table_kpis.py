"""A KPI read from an optional table is declared once (csmodels.table_kpis): a toy KPI
registered here, and nowhere else, is computed in memory and by the engine, printed
and written by ``csmodels metrics``, glued by the chapter's call, and explained with
its table's name when that table is missing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

import csmodels as cs
from csmodels import table_kpis
from csmodels.cli import main
from csmodels.engine import open_data, summary
from csmodels.summary import figure
from csmodels.table_kpis import TABLE_KPIS, TableKpi

DATA = Path(__file__).resolve().parent.parent / "data"
TOY = "qbrs_per_paying_account"


@pytest.fixture(autouse=True)
def _sql_cache(tmp_path, monkeypatch):
    """Each test compiles into a cache of its own (not the user's)."""
    monkeypatch.setenv("CSMODELS_CACHE", str(tmp_path / "sql-cache"))


def _qbrs_per_paying_account(t, month, qbr_window_months):
    """QBRs held in the window over the accounts paying in the month (the toy's Ibis)."""
    from csmodels.engine.definitions import month_index

    qbrs, panel = t["qbrs"], t["panel"]
    held = month_index(qbrs.date)
    inside = qbrs.filter((held > month - qbr_window_months) & (held <= month))
    count = inside.aggregate(held=inside.count())
    paying = panel.aggregate(paying=(panel.v0 > 0).sum())
    both = count.cross_join(paying)
    return both.select(**{TOY: both.held.cast("float64")
                          / both.paying.cast("float64").nullif(0.0)})


@pytest.fixture
def toy():
    """The toy KPI, registered for one test: the one place it is declared."""
    kpi = table_kpis.register(TableKpi(
        {TOY: figure("QBRs per paying account", "number")}, table="qbrs",
        what="QBRs per paying account", define=_qbrs_per_paying_account,
        settings=("qbr_window_months",), also=("arr_monthly",)))
    try:
        yield kpi
    finally:
        table_kpis.unregister(kpi)
    assert TOY not in {f.name for f in cs.MetricsSummary.fields()}


def _brute_force(folder: Path, window: int = 3) -> float:
    """The toy's figure from the CSV files, with plain loops."""
    arr = pd.read_csv(folder / "arr_monthly.csv", dtype={"account_id": str})
    last = max(arr["month"])
    m = int(last[:4]) * 12 + int(last[5:7]) - 1
    paying = sum(1 for month, value in zip(arr["month"], arr["arr"], strict=True)
                 if month == last and value > 0)
    held = 0
    for date in pd.read_csv(folder / "qbrs.csv")["date"]:
        index = int(date[:4]) * 12 + int(date[5:7]) - 1
        held += m - window < index <= m
    assert held > 0 and paying > 0  # the sample can tell a wrong window or table apart
    return held / paying


def _parquet(source: Path, target: Path) -> Path:
    for f in sorted(source.glob("*.csv")):
        (target / f.stem).mkdir(parents=True)
        duckdb.execute(f"COPY (SELECT * FROM read_csv('{f}')) "
                       f"TO '{target / f.stem / 'part-0.parquet'}'")
    return target


def _cli_json(capsys, folder: Path) -> dict:
    assert main(["metrics", "--data", str(folder), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_a_registered_kpi_reaches_every_output(toy, tmp_path, capsys):
    folder = DATA / "sample"
    want = _brute_force(folder)
    got = cs.metrics_summary(cs.load_company(folder))
    assert getattr(got, TOY) == pytest.approx(want, rel=1e-12)
    assert got.frames.skipped[TOY] == "ok"
    # the engine, on a Parquet folder, in its one query
    parquet = _parquet(folder, tmp_path / "parquet")
    engine, _ = open_data(parquet)
    assert getattr(summary(engine), TOY) == pytest.approx(want, rel=1e-12)
    # csmodels metrics --json, on exports and on Parquet: after the other table KPIs
    for data in (folder, parquet):
        out = _cli_json(capsys, data)
        assert out[TOY] == round(want, 6)
        keys = list(out)
        assert keys.index("expansion_pipeline_influenced") + 1 == keys.index(TOY)
    # the table of csmodels metrics, with its label
    assert main(["metrics", "--data", str(folder)]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if "QBRs per paying" in x)
    assert line.split()[-1] == f"{want:,.2f}"
    # the chapter's glue
    glued = {}
    names = got.glue(lambda name, value, display: glued.update({name: value}))
    assert TOY in names and str(glued[TOY]) == str(got.text(TOY))


def test_a_registered_kpi_without_its_table_is_explained(toy, tmp_path, capsys):
    folder = tmp_path / "no-qbrs"
    shutil.copytree(DATA / "sample", folder)
    (folder / "qbrs.csv").unlink()
    got = cs.metrics_summary(cs.load_company(folder))
    assert getattr(got, TOY) is None and "qbrs" in got.missing_tables
    sentence = got.frames.skipped[TOY]
    assert sentence.startswith("QBRs per paying account is skipped: the data folder has no "
                               "qbrs table. Add qbrs.csv")
    assert TOY not in got.glue(lambda *a, **k: None)
    assert _cli_json(capsys, folder)[TOY] is None
    engine, _ = open_data(_parquet(folder, tmp_path / "parquet"))
    assert getattr(summary(engine), TOY) is None


def test_a_registered_kpi_without_rows_in_its_window_is_explained(toy, tmp_path):
    folder = tmp_path / "old-qbrs"
    shutil.copytree(DATA / "sample", folder)
    qbrs = pd.read_csv(folder / "qbrs.csv")
    qbrs.assign(date="2023-01-15").to_csv(folder / "qbrs.csv", index=False)
    got = cs.metrics_summary(cs.load_company(folder))
    assert getattr(got, TOY) == 0.0  # none held in the window: a figure, not a gap
    assert got.frames.skipped[TOY] == "ok"
    assert got.qbr_coverage == 0.0


def _share_above(t, month, qbr_min_arr):
    """The share of paying accounts with ARR of at least ``qbr_min_arr`` (a toy of the
    ARR alone, an aggregate of the account panel)."""
    panel = t["panel"]
    paying = panel.v0 > 0
    agg = panel.aggregate(paying=paying.sum(), above=(paying & (panel.v0 >= qbr_min_arr)).sum())
    return agg.select(share_above=agg.above.cast("float64") / agg.paying.cast("float64"))


def test_a_kpi_of_the_arr_alone_is_declared_the_same_way(tmp_path, capsys):
    """A figure that is its own one-row aggregate of the account panel needs no table
    besides arr_monthly, which every company has."""
    kpi = table_kpis.register(TableKpi(
        {"share_above": figure("Share of paying accounts above the QBR floor", "ratio")},
        table="arr_monthly", what="x", define=_share_above, settings=("qbr_min_arr",)))
    try:
        folder = DATA / "sample"
        arr = pd.read_csv(folder / "arr_monthly.csv")
        now = arr.loc[arr["month"] == max(arr["month"]), "arr"].tolist()
        want = sum(v >= 50_000 for v in now) / sum(v > 0 for v in now)
        assert 0 < want < 1
        settings = cs.MetricSettings(qbr_min_arr=50_000)
        got = cs.metrics_summary(cs.load_company(folder), settings=settings)
        assert got.share_above == pytest.approx(want, rel=1e-12)
        assert got.frames.skipped["share_above"] == "ok"
        engine, _ = open_data(_parquet(folder, tmp_path / "parquet"))
        assert summary(engine, settings=settings).share_above == pytest.approx(want, rel=1e-12)
        assert _cli_json(capsys, folder)["share_above"] == round(
            sum(v >= 0 for v in now if v > 0) / sum(v > 0 for v in now), 6)  # floor 0: all
    finally:
        table_kpis.unregister(kpi)


def test_the_registered_figures_are_the_summarys_in_order():
    names = [f.name for f in cs.MetricsSummary.fields()]
    start = names.index("churn_arr") + 1
    declared = [name for kpi in TABLE_KPIS for name in kpi.figures]
    assert names[start:start + len(declared)] == declared
    assert names[start + len(declared)] == "health"


def test_cs_kpis_lists_every_registered_kpi():
    """The KPI table the chapter shows (csmodels/data/cs_kpis.csv) has a row for each."""
    rows = set(cs.cs_kpis()["kpi"])
    for kpi in TABLE_KPIS:
        assert kpi.listed_as in rows, f"cs_kpis.csv has no row {kpi.listed_as!r} ({kpi.key})"


def test_a_kpi_is_refused_where_it_would_shadow_a_figure():
    with pytest.raises(ValueError, match="already has the figures"):
        table_kpis.register(TableKpi({"nps": figure("NPS again", "nps")}, table="qbrs",
                                     what="x", define=_qbrs_per_paying_account))
    with pytest.raises(ValueError, match="already has the figures"):
        table_kpis.register(TableKpi({"arr": figure("ARR again", "money")}, table="qbrs",
                                     what="x", define=_qbrs_per_paying_account))
    with pytest.raises(ValueError, match=r"\['qbr'\] are not input tables"):
        TableKpi({"toy": figure("Toy", "number")}, table="qbr", what="x",
                 define=_qbrs_per_paying_account)
    with pytest.raises(TypeError, match="not figures of"):
        cs.MetricsSummary(as_of="x", lookback_months=12, base_month="y", arr=0.0,
                          paying_accounts=0, table_kpis={"npss": 1.0})


def test_a_definition_gets_only_the_settings_it_declares(toy):
    """Its compiled SQL is cached by the values of its declared settings: one it does
    not declare never reaches it."""
    sneaky = TableKpi({"sneaky": figure("Sneaky", "number")}, table="qbrs", what="x",
                      define=lambda t, month, qbr_window_months, lookback_months: None,
                      settings=("qbr_window_months",))
    with pytest.raises(TypeError, match="lookback_months"):
        sneaky.query({}, 0, cs.MetricSettings())
    assert (toy.cache_key(cs.MetricSettings(qbr_window_months=6))
            != toy.cache_key(cs.MetricSettings()))
    assert (toy.cache_key(cs.MetricSettings(lookback_months=6))
            == toy.cache_key(cs.MetricSettings()))
