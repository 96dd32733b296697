"""Lifetime value: the simple formula, and the shifted-beta-geometric estimator checked
against the published estimates of Fader and Hardie (2007), against an independent
series for DERL, and on simulated cohorts with known parameters."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from conftest import arr_frame
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import beta as beta_fn

import csmodels as cs

REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241]
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491]


# ------------------------------------------------------------------ published estimates


@pytest.mark.parametrize(("survivors", "alpha", "beta"), [
    (REGULAR, 0.704, 1.182), (HIGH_END, 0.668, 3.806)])
def test_reproduces_the_published_estimates_within_1_percent(survivors, alpha, beta):
    model = cs.ShiftedBetaGeometric().fit(survivors)
    assert model.alpha_ == pytest.approx(alpha, rel=0.01)
    assert model.beta_ == pytest.approx(beta, rel=0.01)
    # the paper rounds to three decimals; the estimates agree to that precision
    assert (round(model.alpha_, 3), round(model.beta_, 3)) == (alpha, beta)


def test_the_data_file_holds_the_papers_cohorts_and_estimates():
    examples = cs.published_sbg_examples().set_index("dataset")
    assert examples.loc["regular", "survivors"] == REGULAR
    assert examples.loc["high_end", "survivors"] == HIGH_END
    assert set(examples["source"]) == {"fader2007"}
    for row in examples.itertuples():
        fitted = cs.ShiftedBetaGeometric().fit(row.survivors)
        assert fitted.alpha_ == pytest.approx(row.alpha, rel=0.01)
        assert fitted.beta_ == pytest.approx(row.beta, rel=0.01)


def test_the_maximum_is_a_maximum():
    model = cs.ShiftedBetaGeometric().fit(REGULAR)
    from csmodels.lifetime import _check_cohorts, _log_likelihood

    cohorts = _check_cohorts(REGULAR)
    best = _log_likelihood(model.alpha_, model.beta_, cohorts)
    assert best == pytest.approx(model.log_likelihood_)
    for da, db in [(0.01, 0), (-0.01, 0), (0, 0.01), (0, -0.01)]:
        assert _log_likelihood(model.alpha_ + da, model.beta_ + db, cohorts) < best


def test_log_likelihood_by_hand():
    # alpha = beta = 1: P(T=1) = 1/2, P(T=2) = 1/6, S(2) = 1/3
    from csmodels.lifetime import _check_cohorts, _log_likelihood

    value = _log_likelihood(1.0, 1.0, _check_cohorts([10, 6, 3]))
    assert value == pytest.approx(4 * math.log(1 / 2) + 3 * math.log(1 / 6) + 3 * math.log(1 / 3))


# ------------------------------------------------------------------ curves and DERL


def test_survival_and_retention_by_hand():
    model = cs.ShiftedBetaGeometric().fit(HIGH_END)
    a, b = model.alpha_, model.beta_
    t = np.arange(0, 6)
    assert np.allclose(model.survival(t), [beta_fn(a, b + k) / beta_fn(a, b) for k in t])
    r = model.retention_rate(t[1:])
    assert np.allclose(r, model.survival(t[1:]) / model.survival(t[:-1]))
    assert np.all(np.diff(r) > 0)  # retention rises with tenure: the sorting effect


@pytest.mark.parametrize("survivors", [REGULAR, HIGH_END])
@pytest.mark.parametrize("renewals", [0, 1, 4, 10])
@pytest.mark.parametrize("discount", [0.05, 0.10, 0.25])
def test_derl_matches_the_series_it_sums(survivors, renewals, discount):
    """DERL = sum over k >= 0 of S(n + 1 + k) / S(n) / (1 + d)^k, summed term by term."""
    model = cs.ShiftedBetaGeometric().fit(survivors)
    k = np.arange(0, 3_000)  # terms fall like (1 + d)^-k: 1.05^-3000 is below 1e-60
    terms = model.survival(renewals + 1 + k) / model.survival(renewals) / (1 + discount) ** k
    assert model.derl(discount, renewals) == pytest.approx(terms.sum(), rel=1e-9)


def test_lifetime_value_counts_the_first_payment_and_discounts_the_rest():
    model = cs.ShiftedBetaGeometric().fit(HIGH_END)
    t = np.arange(0, 3_000)
    series = (model.survival(t) / 1.1 ** t).sum()
    assert model.lifetime_value(100.0, 0.1) == pytest.approx(100 * series, rel=1e-9)


def test_undiscounted_derl_is_finite_only_when_alpha_exceeds_one():
    heavy = cs.ShiftedBetaGeometric().fit(REGULAR)  # alpha < 1
    assert heavy.derl(0.0) == math.inf
    light = cs.ShiftedBetaGeometric().fit(cs.simulate_survivors(3.0, 6.0, 20_000, 8, seed=3))
    assert light.alpha_ > 1
    assert light.derl(0.0, 2) == pytest.approx((light.beta_ + 2) / (light.alpha_ - 1))
    assert light.derl(1e-7, 2) == pytest.approx(light.derl(0.0, 2), rel=1e-4)


def test_sbg_values_a_customer_above_a_constant_churn_model():
    """Fader and Hardie (2010): ignoring heterogeneity undervalues customers."""
    model = cs.ShiftedBetaGeometric().fit(REGULAR)
    constant = cs.simple_ltv(1.0, 1 - float(model.retention_rate(1)), 0.1)
    assert model.lifetime_value(1.0, 0.1) > constant


# ------------------------------------------------------------------ recovery


@pytest.mark.parametrize(("alpha", "beta", "seed"), [(0.7, 1.2, 11), (2.0, 8.0, 12),
                                                      (0.5, 3.0, 13)])
def test_recovers_known_parameters_from_a_simulated_cohort(alpha, beta, seed):
    survivors = cs.simulate_survivors(alpha, beta, 50_000, 12, seed=seed)
    model = cs.ShiftedBetaGeometric().fit(survivors)
    assert model.alpha_ == pytest.approx(alpha, rel=0.10)
    assert model.beta_ == pytest.approx(beta, rel=0.10)
    assert model.alpha_ / (model.alpha_ + model.beta_) == pytest.approx(
        alpha / (alpha + beta), rel=0.03)


def test_recovers_parameters_from_several_cohorts_of_different_ages():
    cohorts = [cs.simulate_survivors(0.8, 2.0, 20_000, periods, seed=20 + periods)
               for periods in (8, 5, 3, 1)]
    model = cs.ShiftedBetaGeometric().fit(cohorts)
    assert model.alpha_ == pytest.approx(0.8, rel=0.12)
    assert model.beta_ == pytest.approx(2.0, rel=0.12)
    assert model.n_periods_ == 8 and len(model.cohorts_) == 4


def test_simulation_is_reproducible_with_a_seed():
    assert cs.simulate_survivors(1.0, 2.0, 500, 5, seed=1) == cs.simulate_survivors(
        1.0, 2.0, 500, 5, seed=1)


def test_a_dataframe_of_cohorts_fits_like_the_lists():
    frame = pd.DataFrame([REGULAR, HIGH_END[:4] + [np.nan] * 4])
    from_frame = cs.ShiftedBetaGeometric().fit(frame)
    from_lists = cs.ShiftedBetaGeometric().fit([REGULAR, HIGH_END[:4]])
    assert from_frame.alpha_ == pytest.approx(from_lists.alpha_)
    assert from_frame.beta_ == pytest.approx(from_lists.beta_)


# ------------------------------------------------------------------ bad cohorts


@pytest.mark.parametrize(("survivors", "message"), [
    ([1000, 631, 700, 500], "cannot increase.*700 after period 2 is more than 631"),
    ([1000, 631], "at least two periods"),
    ([1000], "at least one later count"),
    ([], "at least one later count"),
    ([1000, -5, -6], "cannot be negative"),
    ([1000, 631.5, 468], "whole numbers.*631.5 at position 1"),
    ([1000, float("nan"), 468], "whole numbers"),
    ([0, 0, 0], "above 0"),
    ([1000, 1000, 1000], "No customer was lost"),
    ([1000, 0, 0], "Every customer was lost in the first period"),
    (["a", "b", "c"], "must be numbers"),
    ([True, False, False], "not true/false"),
    ("1000, 631", "a list of counts"),
    (1000, "a list of counts"),
    ([[1000, 631], [500, 400]], "at least two periods"),
    ([[1000, 631, 468], [500, 600, 400]], r"cannot increase \(cohort 2\)"),
])
def test_bad_cohorts_raise_a_clear_parameter_error(survivors, message):
    with pytest.raises(cs.ParameterError, match=message):
        cs.ShiftedBetaGeometric().fit(survivors)


def test_using_the_model_before_fitting_says_so():
    with pytest.raises(cs.ParameterError, match="not fitted yet"):
        cs.ShiftedBetaGeometric().survival([1, 2])


@pytest.mark.parametrize(("call", "message"), [
    (lambda m: m.derl(-0.1), "discount rate"),
    (lambda m: m.derl(0.1, renewals=-1), "renewals"),
    (lambda m: m.derl(0.1, renewals=1.5), "renewals"),
    (lambda m: m.retention_rate(0), ">= 1"),
    (lambda m: m.survival(-1), ">= 0"),
])
def test_bad_arguments_raise_parameter_errors(call, message):
    with pytest.raises(cs.ParameterError, match=message):
        call(cs.ShiftedBetaGeometric().fit(REGULAR))


# ------------------------------------------------------------------ the simple formula


def test_simple_ltv_by_hand():
    assert cs.simple_ltv(30_000.0, 0.10) == pytest.approx(300_000.0)
    assert cs.simple_ltv(100.0, 0.2, discount=0.1) == pytest.approx(100 * 1.1 / 0.3)
    assert cs.simple_ltv(100.0, 0.0) == math.inf
    assert cs.simple_ltv(100.0, -0.05) == math.inf
    assert cs.simple_ltv(100.0, -0.05, discount=0.1) == pytest.approx(100 * 1.1 / 0.05)
    assert cs.simple_ltv(100.0, -0.1, discount=0.1) == math.inf


def test_capped_ltv_by_hand_and_its_limit():
    assert cs.capped_ltv(100.0, 0.5, 3) == pytest.approx(175.0)
    assert cs.capped_ltv(100.0, 0.0, 4) == pytest.approx(400.0)
    assert cs.capped_ltv(100.0, -0.1, 2) == pytest.approx(210.0)
    assert cs.capped_ltv(100.0, 0.1, 2_000) == pytest.approx(cs.simple_ltv(100.0, 0.1))
    assert cs.capped_ltv(100.0, 0.1, 3, discount=0.1) == pytest.approx(
        100 * (1 + 0.9 / 1.1 + (0.9 / 1.1) ** 2))


@settings(max_examples=60, deadline=None)
@given(value=st.floats(0, 1e6), churn=st.floats(-0.5, 0.99), years=st.integers(1, 40),
       discount=st.floats(0, 0.5))
def test_capped_ltv_properties(value, churn, years, discount):
    capped = cs.capped_ltv(value, churn, years, discount)
    assert math.isfinite(capped) and capped >= 0
    assert cs.capped_ltv(value, churn, years + 1, discount) >= capped - 1e-9 * max(capped, 1)
    assert capped <= cs.simple_ltv(value, churn, discount) * (1 + 1e-9) + 1e-9


def test_ltv_table_and_horizon():
    table = cs.ltv_table(100.0, {"gross": 0.1, "net": -0.05}, years=5, discount=0.1)
    assert table["formula"].tolist() == [pytest.approx(1000.0), math.inf]
    horizon = cs.ltv_by_horizon(100.0, {"gross": 0.1, "net": -0.05}, max_years=10)
    assert len(horizon) == 20 and horizon.groupby("measure")["ltv"].is_monotonic_increasing.all()


@pytest.mark.parametrize(("call", "message"), [
    (lambda: cs.simple_ltv(-1.0, 0.1), "value per year"),
    (lambda: cs.simple_ltv(1.0, 1.0), "below 1"),
    (lambda: cs.simple_ltv(1.0, float("nan")), "below 1"),
    (lambda: cs.capped_ltv(1.0, 0.1, 0), "whole number >= 1"),
    (lambda: cs.capped_ltv(1.0, 0.1, 2.5), "whole number >= 1"),
    (lambda: cs.simple_ltv(1.0, 0.1, discount=-0.2), "discount rate"),
])
def test_simple_formula_rejects_bad_inputs(call, message):
    with pytest.raises(cs.ParameterError, match=message):
        call()


# ------------------------------------------------------------------ cohorts from data


def _spans(spans: dict[str, tuple[str, int]], gaps: dict[str, list[str]] | None = None):
    gaps = gaps or {}
    rows = [(k, str(m), 100.0) for k, (start, n) in spans.items()
            for m in pd.period_range(start, periods=n, freq="M") if str(m) not in gaps.get(k, [])]
    return cs.ArrPanel.from_frame(arr_frame(rows))


def test_survivor_cohorts_by_hand():
    panel = _spans({
        "old": ("2023-01", 36),  # paying in the first month: left out
        "a": ("2023-03", 34),  # 2023, survives both anniversaries
        "b": ("2023-05", 12),  # 2023, lost at its first anniversary
        "c": ("2023-07", 18),  # 2023, renews once, lost at the second
        "d": ("2024-02", 23),  # 2024, renews once
        "e": ("2025-04", 9),  # 2025, no anniversary yet
    }, gaps={"a": ["2024-08"]})  # a gap between anniversaries does not count as lost
    cohorts = cs.survivor_cohorts(panel)
    assert cohorts.left_out == 1
    assert cohorts.counts.index.tolist() == ["2023", "2024", "2025"]
    assert cohorts.counts.loc["2023"].tolist() == [3, 2, 1]
    assert cohorts.counts.loc["2024"].tolist()[:2] == [1, 1]
    assert cohorts.windows.loc["2023", "first_month"] == "2023-02"  # the first month is out
    assert cohorts.windows["periods"].tolist() == [2, 1, 0]
    assert cohorts.fittable().index.tolist() == ["2023", "2024"]
    assert cohorts.can_fit
    shares = cohorts.survival_shares()
    assert shares.loc[shares.cohort == "2023", "share"].tolist() == pytest.approx([1, 2 / 3, 1 / 3])


def test_an_account_that_misses_an_anniversary_is_lost_for_good():
    panel = _spans({"z": ("2023-01", 36), "a": ("2023-02", 35)},
                   gaps={"a": ["2024-02"]})  # misses its first anniversary, then pays again
    assert cs.survivor_cohorts(panel).counts.loc["2023"].tolist() == [1, 0, 0]


def test_cohort_windows_count_back_from_the_as_of_month():
    panel = _spans({"z": ("2022-07", 24), "a": ("2022-09", 22), "b": ("2023-08", 11)})
    cohorts = cs.survivor_cohorts(panel)
    assert cohorts.counts.index.tolist() == ["2022-07 to 2023-06", "2023-07 to 2024-06"]
    assert not cohorts.can_fit and "at least two periods" in cohorts.why_not
    halves = cs.survivor_cohorts(panel, period_months=6)
    assert halves.windows["periods"].max() == 3
    earlier = cs.survivor_cohorts(panel, as_of="2023-12")
    assert earlier.counts.index.tolist() == ["2022-07 to 2022-12", "2023"]


def test_survivor_cohorts_on_the_sample(sample_dir):
    panel = cs.ArrPanel.from_frame(cs.load_company(sample_dir).arr_monthly)
    cohorts = cs.survivor_cohorts(panel)
    paying = panel.values > 0
    starts = paying.argmax(axis=1)
    assert cohorts.left_out == int((paying[:, 0]).sum())
    assert int(cohorts.windows["accounts"].sum()) == int((paying.any(axis=1) & (starts > 0)).sum())
    counts = cohorts.counts.to_numpy(dtype="float64", na_value=np.nan)
    assert np.all(np.nan_to_num(np.diff(counts, axis=1), nan=0) <= 0)
    model = cs.ShiftedBetaGeometric().fit(cohorts.fittable())
    assert 0 < model.alpha_ and 0 < model.beta_


def test_period_months_must_be_sensible(sample_dir):
    panel = cs.ArrPanel.from_frame(cs.load_company(sample_dir).arr_monthly)
    for bad in (0, 25, 2.5, True):
        with pytest.raises(cs.ParameterError, match="period_months"):
            cs.survivor_cohorts(panel, bad)
