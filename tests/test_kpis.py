"""MetricsSummary (csmodels/kpis.py) on a company computed by hand."""

from __future__ import annotations

import json
import re

import pytest
from conftest import SAMPLE, arr_frame

import csmodels as cs
from csmodels import kpis


@pytest.fixture
def company() -> cs.Company:
    # a: 100 -> 120, b: 200 -> 150, c: 100 -> 0, d new at 70, e: 50, churns in 2023-03,
    # back at 80 in 2023-06, churns again in 2023-07, back at 80 in 2024-01. Months
    # without a row are 0, so a and b churn in 2023-02 and come back in 2024-01.
    rows = [("a", "2023-01", 100), ("b", "2023-01", 200), ("c", "2023-01", 100),
            ("e", "2023-01", 50), ("e", "2023-02", 50), ("e", "2023-06", 80),
            ("a", "2024-01", 120), ("b", "2024-01", 150), ("d", "2024-01", 70),
            ("e", "2024-01", 80)]
    return cs.Company(folder=None, arr_monthly=arr_frame(rows))


def test_the_summary_by_hand(company):
    s = cs.metrics_summary(company)
    assert (s.as_of, s.base_month, s.lookback_months) == ("2024-01", "2023-01", 12)
    assert (s.arr, s.paying_accounts) == (420.0, 4)
    assert s.nrr == pytest.approx(350 / 450) and s.grr == pytest.approx(300 / 450)
    assert (s.retention_base_accounts, s.retention_base_arr) == (4, 450.0)
    # the 12 months to 2024-01: churn a 100, b 200, c 100, e 50 and 80; reactivation
    # a 120, b 150, e 80 twice; new d 70
    assert (s.new_arr, s.reactivation_arr, s.churn_arr) == (70.0, 430.0, 530.0)
    assert (s.expansion_arr, s.contraction_arr) == (0.0, 0.0)
    # tables the company lacks: figures None, sections None, never an error
    assert s.nps is None and s.nps_responses == 0 and s.adoption is None
    assert s.nps_detail is None and s.ttv_detail is None and s.health is None
    assert "renewals due from 2023-02 to 2024-01 number 0" in s.frames.skipped["health"]


def test_average_contract_value_feeds_the_benchmark(company):
    own = cs.metrics_summary(company).benchmark
    assert own.acv == pytest.approx(105.0) and own.band == "Less than $12k"
    stated = cs.metrics_summary(company, acv=40_000).benchmark
    assert stated.acv == 40_000 and stated.band == "$25k to $50k"
    assert stated.nrr_gap == pytest.approx(350 / 450 - stated.median_nrr)


def test_settings_are_checked():
    for bad in ({"lookback_months": 0}, {"health_lead_months": True}, {"contract_term_months": -12},
                {"health_min_renewals": 2.5}):
        with pytest.raises(cs.ParameterError, match="whole number of at least 1"):
            cs.MetricSettings(**bad)


def test_each_figure_has_one_key_and_a_label():
    s = cs.metrics_summary(cs.load_company("data/sample"))
    keys = [key for key, _, _ in s.rows()]
    assert len(keys) == len(set(keys))
    labels = [label for _, label, _ in s.rows()]
    assert all(labels) and len(labels) == len(set(labels))
    assert set(s.to_dict()) == {f.name for f in cs.MetricsSummary.fields()} | {
        "missing_tables"}


# ------------------------------------------------------------- the chapter's one call


@pytest.fixture(scope="module")
def sample_summary():
    return kpis.summarise(SAMPLE)


@pytest.fixture
def short_history(tmp_path):
    folder = tmp_path / "short"
    folder.mkdir()
    (folder / "arr_monthly.csv").write_text(
        "account_id,month,arr\na,2024-01,10\na,2024-02,12\nb,2024-02,5\n")
    return folder


def test_summarise_places_the_benchmark_by_the_profiles_acv(tmp_path, sample_dir,
                                                           short_history):
    text = (sample_dir / "profile.yml").read_text(encoding="utf-8")
    stated = tmp_path / "stated.yml"
    stated.write_text(re.sub(r"(?m)^acv: \d+", "acv: 120000", text), encoding="utf-8")
    s = kpis.summarise(sample_dir, stated)
    assert s.benchmark.acv == 120_000 and s.benchmark.band == "$100k to $250k"
    assert s.arr / s.paying_accounts == pytest.approx(40_760, abs=1)  # not the data's
    assert s.benchmark.nrr_gap == pytest.approx(s.nrr - s.benchmark.median_nrr)
    # without one (no profile), ARR per paying account in the month: 17 over 2 accounts
    own = kpis.summarise(short_history).benchmark
    assert own.acv == pytest.approx(8.5) and own.band == "Less than $12k"
    assert kpis.summarise(short_history, stated).benchmark.band == "$100k to $250k"


def test_summarise_states_the_settings_it_ran_with(sample_dir, sample_summary):
    s = kpis.summarise(sample_dir, qbr_min_arr=50_000, nps_window_months=6,
                       health_weights={"adoption": 0.5, "arr_trend": 0.5})
    assert s.settings.company_name == "Northwind Analytics" and s.settings.currency == "USD"
    assert (s.text("nps_window"), s.text("contract_term"), s.text("ttv_target")) == (
        "6", "12", "60")
    assert s.text("qbr_scope") == "paying accounts with ARR of at least USD 50.0k"
    assert sample_summary.text("qbr_scope") == "paying accounts"
    assert s.text("health_weights") == "adoption 50%, nps 0%, engagement 0%, arr trend 50%"
    assert (s.text("health_trend_span"), s.text("health_missing")) == ("20%", "0.50")
    # the settings are glued under the names the prose uses, beside every other figure,
    # and no two figures share a key or a label
    keys = [key for key, _, _ in s.rows()]
    assert {"nps_window", "qbr_scope", "health_weights", "ex_month"} <= set(keys)
    assert len(keys) == len(set(keys))
    labels = [label for _, label, _ in s.rows()]
    assert len(labels) == len(set(labels))


def test_the_exercises_answer_from_the_data(sample_summary):
    s = sample_summary
    company = cs.load_company(SAMPLE)
    # exercise 1: the summary of the month twelve months before the as-of month
    then = cs.metrics_summary(company, "2024-12")
    assert (s.ex.back, s.ex.month) == (12, "2024-12")
    assert (s.ex.nrr_then, s.ex.grr_then) == (then.nrr, then.grr)
    assert s.ex.nrr_then != s.nrr
    # exercise 2: the ARR trend alone, kept only if it did better on the earlier renewals
    trend = cs.metrics_summary(company, health=cs.HealthModel(weights={"arr_trend": 1.0}))
    assert (s.ex.trend_earlier_auc, s.ex.trend_auc) == (trend.health.earlier_auc,
                                                        trend.health.auc)
    assert trend.health.earlier_auc < s.health.earlier_auc  # on the sample: the book's kept
    assert (s.ex.kept, s.ex.kept_auc) == ("the book's weights", s.health.auc)


def test_summarise_on_a_short_history_answers_no_exercise(short_history):
    s = kpis.summarise(short_history)
    assert s.ex is None and s.health is None and s.arr == 17
    assert s.settings.company_name == "short" and s.settings.currency == "USD"
    glued = {}
    s.glue(lambda key, value, display: glued.__setitem__(key, value))
    assert "nps_window" in glued and not any(key.startswith("ex_") for key in glued)


def test_summarise_refuses_an_unknown_parameter_before_reading(tmp_path):
    with pytest.raises(cs.ParameterError, match="no parameter 'lookbak_months'"):
        kpis.summarise(tmp_path / "no such folder", lookbak_months=6)
    with pytest.raises(cs.ParameterError, match="adoptoin"):
        kpis.summarise(tmp_path / "no such folder", health_weights={"adoptoin": 1.0})
    with pytest.raises(cs.ParameterError, match="whole number of at least 1"):
        kpis.summarise(tmp_path / "no such folder", lookback_months=0)


def test_the_chapter_makes_one_call_and_glues_only_the_summary(sample_summary):
    """The metrics chapter's prose asks only for the summary's figures, every one of which
    the sample gives, and its code loads, summarises and glues once (issue 18)."""
    nb = json.loads((SAMPLE.parents[1] / "chapters" / "metrics.ipynb").read_text(
        encoding="utf-8"))
    prose = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    asked = set(re.findall(r"\{glue:text\}`([^`]+)`", prose))
    assert {"company_name", "qbr_scope", "health_weights", "ex_kept_auc"} <= asked
    glued = set(sample_summary.glue(lambda *args, **kwargs: None))
    assert asked <= glued, asked - glued
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    assert code.count("glue(") == 1 and "summary.glue(glue" in code
    assert code.count("cs.kpis.summarise(") == 1
    for computed in ("load_company", "load_profile", "metrics_summary", "HealthModel",
                     "MetricSettings"):
        assert computed not in code, computed
