"""Metrics on small cases computed by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import arr_frame

import csmodels as cs


@pytest.fixture
def panel() -> cs.ArrPanel:
    # a: 100 -> 120 (expansion); b: 200 -> 150 (contraction); c: 100 -> 0 (churn);
    # d: new in 2024-01; e: 50, churns mid-year, back at 80 (reactivation in the base).
    rows = [("a", "2023-01", 100), ("b", "2023-01", 200), ("c", "2023-01", 100),
            ("e", "2023-01", 50), ("e", "2023-02", 50), ("e", "2023-06", 80),
            ("a", "2024-01", 120), ("b", "2024-01", 150), ("d", "2024-01", 70),
            ("e", "2024-01", 80)]
    return cs.ArrPanel.from_frame(arr_frame(rows))


def test_panel_fills_missing_months_with_zero(panel):
    assert list(map(str, panel.months[[0, -1]])) == ["2023-01", "2024-01"]
    assert panel.values.shape == (5, 13)
    assert panel.values[panel.accounts.get_loc("e")].tolist()[:6] == [50, 50, 0, 0, 0, 80]


def test_retention_by_hand(panel):
    r = cs.retention(panel)
    # base: a, b, c, e = 450; now: 120 + 150 + 0 + 80 = 350; capped: 100 + 150 + 0 + 50 = 300
    assert r.nrr == pytest.approx(350 / 450)
    assert r.grr == pytest.approx(300 / 450)
    assert r.logo_churn == pytest.approx(1 / 4)
    assert r.gross_revenue_churn == pytest.approx(1 - 300 / 450)
    assert r.net_revenue_churn == pytest.approx(1 - 350 / 450)
    assert (r.base_accounts, r.base_arr, r.as_of) == (4, 450, "2024-01")


def test_retention_needs_a_year_of_history(panel):
    with pytest.raises(cs.ParameterError, match="needs 12 months of history"):
        cs.retention(panel, "2023-06")
    with pytest.raises(cs.ParameterError, match="outside the data"):
        cs.retention(panel, "2025-01")


def test_retention_with_empty_base_is_an_error():
    panel = cs.ArrPanel.from_frame(arr_frame([("a", "2023-01", 0), ("a", "2024-01", 10)]))
    with pytest.raises(cs.ParameterError, match="No account had ARR above 0"):
        cs.retention(panel)


def test_movements_classify_every_change():
    rows = [("x", m, v) for m, v in zip(
        ["2024-01", "2024-02", "2024-03", "2024-04", "2024-05", "2024-06", "2024-07"],
        [0, 100, 120, 0, 50, 40, 40], strict=True)]
    moves = cs.arr_movements(cs.ArrPanel.from_frame(arr_frame(rows)))
    assert moves["movement"].astype(str).tolist() == [
        "new", "expansion", "churn", "reactivation", "contraction"]
    assert moves["change"].tolist() == [100, 20, -120, 50, -10]


def test_bridge_adds_up(panel):
    b = cs.arr_bridge(panel)
    rebuilt = b.opening + b.new + b.reactivation + b.expansion - b.contraction - b.churn
    np.testing.assert_allclose(rebuilt, b.closing)
    # months without a row are 0: a, b and c stop in 2023-02 and come back in 2024-01
    assert b.loc[pd.Period("2023-02", "M"), "churn"] == 400
    assert b.loc[pd.Period("2023-06", "M"), "reactivation"] == 80
    assert b.loc[pd.Period("2023-07", "M"), "churn"] == 80
    jan = b.loc[pd.Period("2024-01", "M")]
    assert (jan.new, jan.reactivation, jan.expansion, jan.contraction) == (70, 350, 0, 0)


def test_cohort_retention_by_hand():
    rows = [("old", "2024-01", 10), ("old", "2024-02", 10), ("old", "2024-03", 10),
            ("p", "2024-02", 100), ("p", "2024-03", 150),
            ("q", "2024-03", 100)]
    panel = cs.ArrPanel.from_frame(arr_frame(rows))
    revenue = cs.cohort_retention(panel, freq="Q", measure="revenue")
    # 'old' starts in the data's first month: left out. Cohort 2024Q1 = p (start Feb) and
    # q (start Mar). Age 0: 200/200. Age 1: only p is observed at age 1, q is not, so the
    # cell is not fully observed and is blank.
    assert revenue.index.tolist() == ["2024Q1"]
    assert revenue.loc["2024Q1", 0] == pytest.approx(1.0)
    assert 1 not in revenue.columns or np.isnan(revenue.loc["2024Q1", 1])
    with_first = cs.cohort_retention(panel, freq="Q", measure="logos", include_first_month=True)
    assert with_first.loc["2024Q1", 0] == 1.0


def test_compounded_monthly_retention_differs_from_annual():
    rows = [("a", f"2023-{m:02d}", 100) for m in range(1, 13)] + [("a", "2024-01", 100)]
    rows = [r if r[1] != "2023-06" else ("a", "2023-06", 50) for r in rows]
    panel = cs.ArrPanel.from_frame(arr_frame(rows))
    assert cs.retention(panel).grr == 1.0
    compounded = cs.compounded_monthly_retention(panel)
    assert compounded.grr == pytest.approx(0.5)  # the dip costs GRR once, monthly
    assert compounded.nrr == pytest.approx(1.0)


def test_reactivated_arr(panel):
    # a, b and e paid in 2023-01, stopped in between and pay again: 120 + 150 + 80
    assert cs.reactivated_arr(panel) == 350


def responses(dates, scores, accounts=None):
    frame = pd.DataFrame({"date": pd.to_datetime(dates), "score": scores})
    if accounts is not None:
        frame["account_id"] = accounts
    return frame


def test_nps_by_hand_and_window():
    r = responses(["2023-12-31", "2024-06-01", "2024-06-02", "2024-06-03", "2024-06-04"],
                  [0, 10, 9, 8, 2])
    result = cs.nps(r, "2024-06", window_months=6)
    # inside: 10, 9, 8, 2 -> 2 promoters, 1 passive, 1 detractor
    assert result.score == pytest.approx(25.0)
    assert result.responses == 4 and result.passives == pytest.approx(0.25)
    assert cs.nps(r, "2024-06", window_months=12).score == pytest.approx(0.0)
    with pytest.raises(cs.ParameterError, match="outside the data"):
        cs.nps(r, "2022-01")  # before any answer: refused, as retention refuses it
    # after the last answer, while the window still reaches it: a score, not an error
    assert cs.nps(r, "2024-11", window_months=6).responses == 4
    with pytest.raises(cs.ParameterError, match="outside the data"):
        cs.nps(r, "2024-12", window_months=6)


def test_arr_weighted_nps():
    r = responses(["2024-01-10"] * 3, [10, 0, 0], ["big", "small", "small"])
    weights = pd.Series({"big": 900.0, "small": 50.0})
    assert cs.nps(r, "2024-01").score == pytest.approx(100 * (1 / 3 - 2 / 3))
    assert cs.nps(r, "2024-01", weights=weights).score == pytest.approx(100 * (900 - 100) / 1000)


def test_adoption_and_seats():
    usage = pd.DataFrame({"account_id": ["a", "b", "c"],
                          "month": pd.PeriodIndex(["2024-01"] * 3, freq="M"),
                          "active_users": pd.array([5, 30, 1], dtype="Int64"),
                          "licensed_seats": pd.array([10, 20, pd.NA], dtype="Int64")})
    seats = pd.Series({"c": 4})
    util = cs.seat_utilisation(usage, "2024-01", seats)
    assert util.to_dict() == {"a": 0.5, "b": 1.0, "c": 0.25}  # b capped at 1
    assert cs.adoption_rate(usage, "2024-01", seats) == 0.5
    with pytest.raises(cs.ParameterError, match="outside the data"):
        cs.adoption_rate(usage, "2023-01", seats)  # before the usage data: refused
    gap = usage.assign(month=pd.PeriodIndex(["2024-01", "2024-03", "2024-03"], freq="M"))
    assert cs.adoption_rate(gap, "2024-02", seats) is None  # inside, but nobody measured


def test_time_to_value():
    onboarding = pd.DataFrame({
        "account_id": ["a", "b", "c", "d"],
        "contract_date": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-06-20", "2022-01-01"]),
        "first_value_date": pd.to_datetime(["2024-01-31", "2024-05-01", None, "2022-02-01"])})
    ttv = cs.time_to_value(onboarding, "2024-06", window_months=12, target_days=60)
    assert (ttv.contracts, ttv.not_yet) == (3, 1)
    assert ttv.median_days == pytest.approx((30 + 90) / 2)
    # a on time, b late; c signed 10 days before the end of June: not yet decided
    assert ttv.within_target == pytest.approx(0.5)


def test_qbr_coverage(panel):
    qbrs = pd.DataFrame({"account_id": ["a", "b", "d"],
                         "date": pd.to_datetime(["2023-12-15", "2023-09-01", "2024-01-10"])})
    # paying in 2024-01: a, b, d, e; QBR in Nov-Jan: a and d
    assert cs.qbr_coverage(qbrs, panel, "2024-01", window_months=3) == pytest.approx(0.5)
    assert cs.qbr_coverage(qbrs, panel, "2024-01", window_months=3, min_arr=100) == 0.5
    assert cs.qbr_coverage(qbrs, panel, "2024-01", window_months=6, min_arr=100) == 1.0


def test_expansion_pipeline_influenced():
    opps = pd.DataFrame({
        "type": ["expansion", "expansion", "expansion", "new"],
        "amount": [100.0, 300.0, 600.0, 1000.0],
        "created_date": pd.to_datetime(["2024-01-05", "2024-02-01", "2021-01-01", "2024-01-01"]),
        "cs_sourced": pd.array([True, False, True, True], dtype="boolean"),
        "cs_influenced": pd.array([False, pd.NA, True, True], dtype="boolean")})
    assert cs.expansion_pipeline_influenced(opps, "2024-06") == pytest.approx(100 / 400)


@pytest.mark.parametrize("weights", [{"adoptoin": 1}, {"nps": -1}, {"nps": 0}, {"nps": np.inf}])
def test_health_weights_are_checked(weights):
    with pytest.raises(cs.ParameterError):
        cs.HealthModel(weights=weights)


def _tables():
    """One small table per table metric, each with rows in 2024-01 and 2024-02."""
    dates = pd.to_datetime(["2024-01-10", "2024-02-10"])
    months = pd.PeriodIndex(["2024-01", "2024-02"], freq="M")
    return {
        "nps": (cs.nps, pd.DataFrame({"date": dates, "score": [9, 3]})),
        "adoption": (cs.adoption_rate, pd.DataFrame({
            "account_id": ["a", "a"], "month": months, "active_users": [3, 4],
            "licensed_seats": [5, 5]})),
        "utilisation": (cs.seat_utilisation, pd.DataFrame({
            "account_id": ["a", "a"], "month": months, "active_users": [3, 4],
            "licensed_seats": [5, 5]})),
        "ttv": (cs.time_to_value, pd.DataFrame({
            "account_id": ["a", "b"], "contract_date": dates,
            "first_value_date": dates + pd.Timedelta(days=20)})),
        "pipeline": (cs.expansion_pipeline_influenced, pd.DataFrame({
            "type": ["expansion", "expansion"], "amount": [100.0, 300.0],
            "created_date": dates, "cs_sourced": pd.array([True, False], dtype="boolean"),
            "cs_influenced": pd.array([False, False], dtype="boolean")})),
    }


@pytest.mark.parametrize("name", list(_tables()))
@pytest.mark.parametrize("month", ["2024-13", "1990-01", "not a month"])
def test_table_metrics_refuse_a_month_as_retention_does(panel, name, month):
    """A month that is not YYYY-MM, or lies outside the data, is the same ParameterError
    for every table metric as for retention (issue 18: it was pandas' DateParseError, or
    a quiet None)."""
    metric, table = _tables()[name]
    with pytest.raises(cs.ParameterError) as by_retention:
        cs.retention(panel, month)
    with pytest.raises(cs.ParameterError) as by_table:
        metric(table, month)
    first_words = " ".join(str(by_retention.value).split()[:4])
    assert str(by_table.value).startswith(first_words)
    if month == "1990-01":
        assert "outside the data, which runs from 2024-01 to 2024-02" in str(by_table.value)


def test_qbr_coverage_refuses_a_month_outside_the_panel(panel):
    qbrs = pd.DataFrame({"account_id": ["a"], "date": pd.to_datetime(["2023-06-01"])})
    for month in ("2024-13", "1990-01"):
        with pytest.raises(cs.ParameterError):
            cs.qbr_coverage(qbrs, panel, month)


def test_the_month_is_a_period_once_resolved(panel):
    month = cs.resolve_as_of(panel, "2023-09")
    assert isinstance(month, pd.Period) and month.freqstr == "M"
    assert cs.resolve_as_of(panel, month) == month and cs.resolve_as_of(panel, None) == month + 4


def test_average_contract_value(panel):
    # 2024-01: a 120, b 150, d 70, e 80 pay: 420 / 4
    assert cs.average_contract_value(panel) == pytest.approx(105.0)
    assert cs.average_contract_value(panel, "2023-01") == pytest.approx(450 / 4)
    assert cs.average_contract_value(panel, stated=40_000) == 40_000.0
    nobody = cs.ArrPanel.from_frame(arr_frame([("a", "2024-01", 0.0), ("a", "2024-02", 1.0)]))
    assert cs.average_contract_value(nobody, "2024-01") is None
