"""MetricsSummary (csmodels/kpis.py) on a company computed by hand."""

from __future__ import annotations

import pytest
from conftest import arr_frame

import csmodels as cs


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
