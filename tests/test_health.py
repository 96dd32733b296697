"""The health score tested at each account's renewal, out of sample (issue 17)."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from conftest import arr_frame

import csmodels as cs
from csmodels import needs
from csmodels.health import renewal_test, renewals
from csmodels.synth import CompanyShape


def months(start: str, n: int) -> list[str]:
    return [str(p) for p in pd.period_range(start, periods=n, freq="M")]


def company_of(rows, starts: dict[str, str] | None = None) -> cs.Company:
    frame = arr_frame(rows)
    accounts = None
    if starts is not None:
        accounts = pd.DataFrame({"account_id": list(starts),
                                 "contract_start": pd.to_datetime(list(starts.values()))})
    return cs.Company(folder=None, arr_monthly=frame[frame.arr > 0], accounts=accounts)


def test_renewals_fall_on_each_contract_anniversary():
    rows = (
        # a: signed 2023-03 inside the data, renews 2024-03, churns at 2025-03
        [("a", m, 10) for m in months("2023-03", 24)]
        # b: paying from the first month, contract_start 2022-07: renews 2023-07, 2024-07
        + [("b", m, 10) for m in months("2023-01", 27)]
        # c: paying from the first month, no known start: no renewal can be placed
        + [("c", m, 10) for m in months("2023-01", 27)]
        # d: leaves mid-term in 2023-06 (not a renewal), wins back 2024-01: renews 2025-01
        + [("d", m, 10) for m in months("2023-02", 4) + months("2024-01", 15)])
    company = company_of(rows, {"a": "2023-03-15", "b": "2022-07-01", "d": "2023-02-01"})
    got = renewals(company).astype({"renewal": str})
    assert got.to_dict("records") == [
        {"account_id": "b", "renewal": "2023-07", "churned": False},
        {"account_id": "a", "renewal": "2024-03", "churned": False},
        {"account_id": "b", "renewal": "2024-07", "churned": False},
        {"account_id": "d", "renewal": "2025-01", "churned": False},
        {"account_id": "a", "renewal": "2025-03", "churned": True}]


def test_a_contract_start_after_the_first_payment_is_no_renewal_at_its_start():
    company = company_of([("a", m, 10) for m in months("2023-01", 14)], {"a": "2023-02-01"})
    got = renewals(company).astype({"renewal": str})
    assert got.to_dict("records") == [{"account_id": "a", "renewal": "2024-02",
                                       "churned": False}]


def test_renewals_of_the_sample_are_where_its_churn_is():
    """The sample's churn falls at contract anniversaries (data/README.md): nearly every
    month where an account stops paying is one of the renewals found."""
    company = cs.load_company("data/sample")
    panel = cs.ArrPanel.from_frame(company.arr_monthly)
    events = renewals(company, panel)
    stops = cs.arr_movements(panel).query("movement == 'churn'")
    found = events[events.churned].set_index(["account_id", "renewal"]).index
    share = stops.set_index(["account_id", "month"]).index.isin(found).mean()
    assert share > 0.9 and 1000 < len(events) < 2000


def two_groups(n: int = 6):
    """Accounts renewing in 2025-01: half shrink three months before and then churn, half
    stay flat and renew."""
    rows = []
    for i in range(n):
        falling = i < n // 2
        for m in months("2024-01", 13):
            arr = 100.0 if not falling or m < "2024-10" else 60.0
            rows.append((f"a{i}", m, 0.0 if falling and m == "2025-01" else arr))
    return company_of(rows, {f"a{i}": "2024-01-01" for i in range(n)})


def test_the_score_is_taken_a_lead_before_renewal_and_separates():
    company = two_groups()
    model = cs.HealthModel(weights={"arr_trend": 1})
    test = renewal_test(company, model, "2025-01", "2025-01", lead_months=2)
    assert (test.renewals, test.churned, test.auc) == (6, 3, 1.0)
    assert set(test.scores["scored_at"].astype(str)) == {"2024-11"}
    # scored before the fall: nothing to see, a coin toss
    early = renewal_test(company, model, "2025-01", "2025-01", lead_months=4)
    assert early.auc == 0.5 and early.auc_low < 0.5 < early.auc_high


def test_the_score_never_sees_the_months_after_it_is_taken():
    company = two_groups()
    model = cs.HealthModel(weights={"arr_trend": 1})
    before = renewal_test(company, model, "2025-01", "2025-01", lead_months=4).scores
    frame = company.arr_monthly.copy()
    frame.loc[frame.month >= pd.Period("2024-10", "M"), "arr"] *= 3  # the future moves
    later = cs.Company(folder=None, arr_monthly=frame, accounts=company.accounts)
    after = renewal_test(later, model, "2025-01", "2025-01", lead_months=4).scores
    assert before["score"].tolist() == after["score"].tolist()


def test_auc_interval_by_hand():
    """Renewed 4, 3, 2, 0.5 against churned 3.5, 1, 0.2, 0.1: 12 of 16 pairs in order,
    A = 0.75, with the standard error of Hanley and McNeil (1982)."""
    from csmodels.health import _auc

    score = pd.Series([4.0, 3.0, 2.0, 0.5, 3.5, 1.0, 0.2, 0.1])
    churned = pd.Series([False] * 4 + [True] * 4)
    a, low, high = _auc(score, churned)
    q1, q2 = 0.75 / 1.25, 2 * 0.75 ** 2 / 1.75
    se = ((0.75 * 0.25 + 3 * (q1 - 0.5625) + 3 * (q2 - 0.5625)) / 16) ** 0.5
    assert a == 0.75
    assert (low, high) == pytest.approx((0.75 - 1.96 * se, 1.0))  # capped at 1


def test_few_renewals_skip_the_test_with_a_sentence():
    test = renewal_test(two_groups(), None, "2025-01", "2025-01", lead_months=2)
    sentence = needs.health(test, min_renewals=20)
    assert sentence.startswith("The health score's test is skipped")
    assert "number 6, fewer than the 20" in sentence and "health_min_renewals" in sentence
    assert needs.health(test, min_renewals=6) == needs.OK
    nobody_left = renewal_test(two_groups(), None, "2024-01", "2024-12", lead_months=2)
    assert nobody_left.renewals == 0 and nobody_left.auc is None
    assert "fewer than" in needs.health(nobody_left, 1)


def test_the_summary_tests_on_later_renewals_with_weights_fixed_in_advance(sample_dir):
    company = cs.load_company(sample_dir)
    summary = cs.metrics_summary(company)
    health = summary.health
    assert (health.first, health.last, health.lead_months) == ("2025-01", "2025-12", 3)
    assert (health.earlier_first, health.earlier_last) == ("2024-01", "2024-12")
    test = summary.frames.health
    assert (test.renewals, test.churned) == (health.renewals, health.churned)
    assert set(test.scores["renewal"].astype(str)) <= {str(m) for m in pd.period_range(
        "2025-01", "2025-12", freq="M")}
    assert (test.scores["renewal"] - test.scores["scored_at"]).map(lambda d: d.n).eq(3).all()
    assert 0.6 < health.auc_low < health.auc < health.auc_high < 0.9
    assert health.low_band_churn > 3 * health.high_band_churn
    # the sample's generator builds the effect in, and the summary says how strong
    assert health.generator_churn_effect == CompanyShape().churn_health_effect


def test_the_generator_effect_is_named_on_the_sample_only(tmp_path, sample_dir,
                                                           second_company):
    copy = tmp_path / "copy"
    shutil.copytree(sample_dir, copy)
    assert cs.metrics_summary(cs.load_company(copy)).health.generator_churn_effect == 1.4
    (copy / "qbrs.csv").write_text((copy / "qbrs.csv").read_text()[:-200].rsplit("\n", 1)[0]
                                   + "\n")
    assert cs.metrics_summary(cs.load_company(copy)).health.generator_churn_effect is None
    other = cs.metrics_summary(cs.load_company(second_company))
    assert other.health is None or other.health.generator_churn_effect is None


def test_a_score_depends_on_its_own_account_only(sample_dir):
    company = cs.load_company(sample_dir)
    full = cs.health_scores(company, as_of="2025-06")
    some = cs.health_scores(company, as_of="2025-06", accounts=full.index[:5])
    assert some["score"].tolist() == full["score"].iloc[:5].tolist()


def test_usage_that_starts_later_than_arr_is_no_error():
    """Scoring months before the usage table starts: adoption is unknown there (scored
    ``missing``), not a refused month."""
    company = two_groups()
    usage = pd.DataFrame({"account_id": ["a0", "a3"],
                          "month": pd.PeriodIndex(["2025-01", "2025-01"], freq="M"),
                          "active_users": [1, 5], "licensed_seats": [5, 5]})
    accounts = company.accounts.assign(licensed_seats=5)
    with_usage = cs.Company(folder=None, arr_monthly=company.arr_monthly, accounts=accounts,
                            usage_monthly=usage)
    scores = cs.health_scores(with_usage, as_of="2024-11")
    assert scores["adoption"].isna().all()
    test = renewal_test(with_usage, cs.HealthModel(weights={"arr_trend": 1, "adoption": 1}),
                        "2025-01", "2025-01", lead_months=2)
    assert test.auc == 1.0  # adoption is the same (missing) for all: the trend decides
