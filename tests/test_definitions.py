"""Each metric is defined once, as an Ibis expression in csmodels/engine/definitions.py:
the pandas-facing functions of csmodels.metrics run it (on embedded DuckDB), and their
figures, tables and chart series equal a brute-force computation of the book's
definitions written with plain loops (tests/conftest.py)."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pandas as pd
import pytest
from conftest import arr_frame, brute_force_kpis
from hypothesis import given, settings
from hypothesis import strategies as st

import csmodels as cs
from csmodels import metrics
from csmodels.engine import run

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
FOLDERS = [DATA / "sample", *sorted(p for p in (DATA / "cases").iterdir() if p.is_dir())]
MONEY = {f.name for f in cs.MetricsSummary.fields() if f.metadata.get("unit") == "money"}


@pytest.fixture(scope="module")
def sample():
    company = cs.load_company(DATA / "sample")
    return company, cs.ArrPanel.from_frame(company.arr_monthly)


def assert_figures(got, want: dict) -> None:
    """Money to the cent, other figures to 1e-9 relative."""
    for name, value in want.items():
        mine = getattr(got, name) if not isinstance(got, dict) else got[name]
        if name in MONEY:
            assert round(mine, 2) == round(value, 2), name
        else:
            assert mine == pytest.approx(value, rel=1e-9, abs=1e-12), name


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.name)
def test_the_summary_is_the_brute_force_figures(folder):
    company = cs.load_company(folder)
    want = brute_force_kpis(company)
    assert len(want) >= 13  # retention, ARR, the movements, and the tables the case has
    assert_figures(cs.metrics_summary(company), want)


def test_an_earlier_month_and_lookback_too(sample):
    company, _ = sample
    settings = cs.MetricSettings(lookback_months=6)
    got = cs.metrics_summary(company, "2025-03", settings)
    want = brute_force_kpis(company, "2025-03", lookback=6)
    # the table KPIs' windows do not depend on the lookback
    assert_figures(got, want)


def test_the_retention_chart_series_is_retention_each_month(sample):
    company, panel = sample
    series = cs.retention_series(panel, 12).set_index("as_of")
    assert list(series.index) == [str(m) for m in panel.months[12:]]
    for month in ("2024-01", "2024-07", "2025-12"):
        want = brute_force_kpis(company, month)
        assert series.loc[month, "nrr"] == pytest.approx(want["nrr"], rel=1e-12)
        assert series.loc[month, "grr"] == pytest.approx(want["grr"], rel=1e-12)
        assert series.loc[month, "base_accounts"] == want["retention_base_accounts"]


def test_the_bridge_is_each_months_movements(sample):
    company, panel = sample
    bridge = cs.arr_bridge(panel)
    assert list(bridge.index) == list(panel.months[1:])
    for month in ("2023-02", "2024-06", "2025-12"):
        want = brute_force_kpis(company, month, lookback=1)
        row = bridge.loc[pd.Period(month, "M")]
        assert row["closing"] == pytest.approx(want["arr"], abs=0.005)
        for name in metrics.MOVEMENTS:
            assert row[name] == pytest.approx(want[f"{name}_arr"], abs=0.005), (month, name)
    previous = brute_force_kpis(company, "2024-05")["arr"]
    assert bridge.loc[pd.Period("2024-06", "M"), "opening"] == pytest.approx(previous, abs=0.005)


@pytest.mark.parametrize("measure", ["revenue", "logos"])
def test_cohort_retention_by_brute_force(sample, measure):
    company, panel = sample
    values: dict = {}
    for a, m, v in zip(company.arr_monthly["account_id"], company.arr_monthly["month"],
                       company.arr_monthly["arr"], strict=True):
        values.setdefault(a, {})[m.ordinal] = float(v)
    first, last = panel.months[0].ordinal, panel.months[-1].ordinal
    cohorts: dict = {}
    for a, by_month in values.items():
        paid = [m for m, v in by_month.items() if v > 0]
        if paid and min(paid) > first:
            cohorts.setdefault(str(pd.Period(ordinal=min(paid), freq="M").asfreq("Q")),
                               []).append((a, min(paid)))
    table = cs.cohort_retention(panel, "Q", measure)
    assert list(table.index) == sorted(cohorts)
    for name, members in cohorts.items():
        for age in (0, 3, 12):
            cell = table.loc[name, age] if age in table.columns else float("nan")
            if max(start for _, start in members) + age > last:
                assert pd.isna(cell)
                continue
            if measure == "revenue":
                want = (sum(values[a].get(s + age, 0.0) for a, s in members)
                        / sum(values[a][s] for a, s in members))
            else:
                want = sum(values[a].get(s + age, 0.0) > 0 for a, s in members) / len(members)
            assert cell == pytest.approx(want, rel=1e-12), (name, age)


# ------------------------------------------------------------ defined in one place
def _small():
    """Small tables for every metric function."""
    panel = cs.ArrPanel.from_frame(arr_frame(
        [("a", "2023-01", 100), ("b", "2023-01", 50), ("a", "2023-06", 0), ("b", "2023-12", 50),
         ("a", "2024-01", 80),
         ("c", "2024-01", 20)]))
    dates = pd.to_datetime(["2024-01-10", "2023-12-01"])
    usage = pd.DataFrame({"account_id": ["a", "c"], "month": pd.PeriodIndex(["2024-01"] * 2,
                                                                            freq="M"),
                          "active_users": [3, 4], "licensed_seats": [5, 5]})
    return {
        "average_contract_value": lambda: cs.average_contract_value(panel),
        "arr_at": lambda: metrics.arr_at(panel),
        "retention": lambda: cs.retention(panel),
        "retention_series": lambda: cs.retention_series(panel),
        "compounded_monthly_retention": lambda: cs.compounded_monthly_retention(panel,
                                                                                months=1),
        "reactivated_arr": lambda: cs.reactivated_arr(panel),
        "arr_movements": lambda: cs.arr_movements(panel),
        "movements": lambda: metrics.movements(panel),
        "arr_bridge": lambda: cs.arr_bridge(panel),
        "cohort_retention": lambda: cs.cohort_retention(panel),
        "cohort_retention_at": lambda: metrics.cohort_retention_at(panel, 1),
        "nps": lambda: cs.nps(pd.DataFrame({"date": dates, "score": [9, 3]}), "2024-01"),
        "nps_distribution": lambda: metrics.nps_distribution(
            pd.DataFrame({"date": dates, "score": [9, 3]}), "2024-01"),
        "seat_utilisation": lambda: cs.seat_utilisation(usage, "2024-01"),
        "adoption_rate": lambda: cs.adoption_rate(usage, "2024-01"),
        "time_to_value": lambda: cs.time_to_value(pd.DataFrame({
            "account_id": ["a", "b"], "contract_date": dates, "first_value_date": dates}),
            "2024-01"),
        "qbr_coverage": lambda: cs.qbr_coverage(pd.DataFrame({"account_id": ["a"],
                                                              "date": dates[:1]}),
                                                panel, "2024-01"),
        "expansion_pipeline_influenced": lambda: cs.expansion_pipeline_influenced(pd.DataFrame({
            "type": ["expansion"] * 2, "amount": [1.0, 2.0], "created_date": dates,
            "cs_sourced": [True, False], "cs_influenced": [False, False]}), "2024-01"),
        "ArrPanel.total": panel.total,
    }


# functions of csmodels.metrics that compute no metric: they check a reader's month or
# let a caller reuse the engines made for its tables
NOT_METRICS = {"resolve_as_of", "covers", "reusing_engines"}


def test_every_metric_function_runs_a_definition(monkeypatch):
    """Each public function of csmodels.metrics either checks a month or runs an
    expression of csmodels.engine.definitions on the engine: with the engine's way
    to run one switched off, every metric fails. A new function must be added here."""
    public = {name for name, f in inspect.getmembers(metrics, inspect.isfunction)
              if f.__module__ == metrics.__name__ and not name.startswith("_")}
    calls = _small()
    assert public - NOT_METRICS == {n for n in calls if "." not in n}, (
        "a public function of csmodels.metrics is not listed here: make it run a definition "
        "of csmodels/engine/definitions.py and add it to _small()")
    for call in calls.values():  # each works as it is
        call()

    class Ran(Exception):
        pass

    def refuse(self, key, build):
        expr = build()
        assert type(expr).__module__.startswith("ibis."), key
        raise Ran(key[1])

    monkeypatch.setattr(run.Engine, "cached_row", refuse)
    monkeypatch.setattr(run.Engine, "cached_frame", refuse)
    for name, call in calls.items():
        with pytest.raises(Ran):
            call()
            pytest.fail(f"{name} gave a figure without running a definition")


# attribute calls that would compute a figure in pandas or numpy (min and max are left
# out: the panel and the month checks read the data's first and last month with them)
REDUCTIONS = {"sum", "mean", "median", "quantile", "groupby", "pivot_table", "value_counts",
              "cumsum", "cumprod", "prod", "count", "nunique", "agg", "aggregate", "select",
              "minimum", "maximum", "accumulate", "clip", "isin", "where", "mask"}


@pytest.mark.parametrize("module", ["csmodels/metrics.py", "csmodels/kpis.py"])
def test_no_metric_is_computed_outside_the_definitions(module):
    """csmodels.metrics and the metrics chapter's summary call no reduction of pandas or
    numpy (a metric computed there would be a second definition); ``math.prod`` compounds
    the engine's monthly retention, and the health section is the health model's."""
    tree = ast.parse((ROOT / module).read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in REDUCTIONS
                and not (isinstance(node.func.value, ast.Name) and node.func.value.id == "math")):
            found.append(f"{module}:{node.lineno} .{node.func.attr}()")
    assert found == []


# --------------------------------------------------- random companies, by brute force
@st.composite
def small_panels(draw) -> cs.ArrPanel:
    """Up to 6 accounts over 15 months, with gaps, zero rows and returns."""
    n = draw(st.integers(1, 6))
    rows = []
    months = pd.period_range("2023-01", periods=15, freq="M")
    for i in range(n):
        for t in range(15):
            value = draw(st.sampled_from([None, 0.0, 10.0, 25.5, 100.0]))
            if value is not None or (t in (0, 14) and i == 0):
                rows.append((f"acc{i}", str(months[t]), value or 0.0))
    return cs.ArrPanel.from_frame(arr_frame(rows))


@settings(max_examples=40, deadline=None)
@given(small_panels())
def test_movements_and_bridge_by_brute_force(panel):
    values, n_months = panel.values, len(panel.months)
    want = []
    for i, account in enumerate(panel.accounts):
        paid = [t for t in range(n_months) if values[i, t] > 0]
        for t in range(1, n_months):
            prev, cur = values[i, t - 1], values[i, t]
            kind = (("new" if paid[0] == t else "reactivation") if prev == 0 and cur > 0
                    else "churn" if prev > 0 and cur == 0
                    else "expansion" if cur > prev else "contraction" if cur < prev else None)
            if kind:
                want.append((account, str(panel.months[t]), kind, cur - prev))
    moves = cs.arr_movements(panel)
    got = list(zip(moves["account_id"], moves["month"].astype(str),
                   moves["movement"].astype(str), moves["change"], strict=True))
    assert got == want
    bridge = cs.arr_bridge(panel)
    for t in range(1, n_months):
        row = bridge.iloc[t - 1]
        assert row["opening"] == values[:, t - 1].sum() and row["closing"] == values[:, t].sum()
        for name in metrics.MOVEMENTS:
            amount = sum(abs(c) for _, m, k, c in want if k == name
                         and m == str(panel.months[t]))
            assert row[name] == pytest.approx(amount, abs=1e-9), name


@settings(max_examples=40, deadline=None)
@given(small_panels(), st.integers(1, 4))
def test_retention_series_by_brute_force(panel, lookback):
    values = panel.values
    for t in range(lookback, len(panel.months)):
        base = values[:, t - lookback] > 0
        if not base.any():
            with pytest.raises(cs.ParameterError, match="No account had ARR above 0"):
                cs.retention_series(panel, lookback)
            return
    series = cs.retention_series(panel, lookback)
    assert len(series) == max(len(panel.months) - lookback, 0)
    for k, row in enumerate(series.itertuples()):
        t = k + lookback
        base = values[:, t - lookback] > 0
        then, now = values[base, t - lookback], values[base, t]
        assert row.nrr == pytest.approx(now.sum() / then.sum(), rel=1e-12)
        assert row.grr == pytest.approx(sum(map(min, now, then)) / then.sum(), rel=1e-12)
        assert row.logo_churn == pytest.approx((now == 0).mean(), rel=1e-12)
