"""The functions chapter's summary (csmodels.functions): one frozen FunctionsSummary whose
figures the page glues; new customers projected with the cohort model; the fit's
bootstrap intervals; the exercises' answers applied through the student's own calls;
and the company shapes the cohort model finds hard (one cohort, no renewal yet, no
churn, everyone lost, a fit at the bounds)."""

from __future__ import annotations

import json
import re
from dataclasses import FrozenInstanceError, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import arr_frame

import csmodels as cs
from csmodels.book import fmt
from csmodels.lifetime import _check_cohorts, _log_likelihood, _mle, _mle_many
from csmodels.profile import Profile
from csmodels.summary import Summary

ROOT = Path(__file__).resolve().parents[1]
DRAWS = 200  # enough for the tests' intervals, quicker than the chapter's default


@pytest.fixture(scope="module")
def sample(sample_dir):
    company = cs.load_company(sample_dir)
    return company, cs.functions_summary(company, Profile(), sample_dir,
                                         bootstrap_draws=DRAWS)


# ----------------------------------------------------------------- the summary itself


def test_the_summary_is_frozen_and_nests_its_sections(sample):
    _, s = sample
    assert isinstance(s, Summary)
    with pytest.raises(FrozenInstanceError):
        s.as_of = "2020-01"
    d = s.to_dict()
    assert set(d) >= {"base", "bookings", "ltv", "cohorts", "sbg", "ex"}
    assert d["sbg"]["draws"] == DRAWS and d["cohorts"]["n_fit_cohorts"] == 2
    json.dumps(d)  # JSON-ready: the frames and models the charts use are not in it


def test_every_figure_of_the_prose_is_a_summary_figure(sample):
    """The chapter glues the summary and nothing else, and its prose asks only for the
    summary's figures."""
    _, s = sample
    nb = json.loads((ROOT / "chapters" / "functions.ipynb").read_text(encoding="utf-8"))
    prose = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    asked = set(re.findall(r"\{glue:text\}`([^`]+)`", prose))
    figures = {key for key, _, _ in s.rows()}
    assert asked <= figures, asked - figures
    # the book is built on the sample unpruned: every figure its prose asks for is glued
    glued = set(s.glue(lambda *args, **kwargs: None))
    assert asked <= glued, asked - glued
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    assert code.count("glue(") == 1 and "summary.glue(glue" in code
    assert code.count("cs.functions.summarise(") == 1  # the one call csmodels functions makes


def test_the_figures_are_the_models_run_by_hand(sample):
    company, s = sample
    panel = cs.ArrPanel.from_frame(company.arr_monthly)
    acv = cs.average_contract_value(panel)
    assert acv == pytest.approx(panel.values[panel.values[:, -1] > 0, -1].mean())
    assert s.ltv.arpa == acv and s.ltv.value_per_year == pytest.approx(acv * 0.75)
    model = cs.ShiftedBetaGeometric().fit(cs.survivor_cohorts(panel).fittable())
    assert (s.sbg.alpha, s.sbg.beta) == (model.alpha_, model.beta_)
    assert s.base.new_r1 == pytest.approx(float(model.retention_rate(1)))
    assert s.text("sbg_r1") == "84.9%"  # the first-year renewal the issue quotes
    # the renewal decisions the fit rests on: 124 + 102 for 2023, 161 for 2024
    assert s.cohorts.n_renewals == 124 + 102 + 161
    assert s.ltv.net_capped == pytest.approx(cs.capped_ltv(acv * 0.75, 1 - s.base.nrr, 5))
    # Fader and Hardie (2010): each renewal survived raises what the rest is worth
    assert s.sbg.residual_oldest > s.sbg.residual_new


def test_new_cohorts_follow_the_cohort_model_not_nrr(sample):
    company, s = sample
    params = cs.revenue_base_from_data(company)
    survival = s.sbg.model.survival(np.arange(6))
    assert s.base.model.new_survival == pytest.approx(tuple(survival))
    by_hand = params.starting_arr * params.nrr ** 5 + params.new_bookings * survival[:5].sum()
    assert s.base.arr_n == pytest.approx(by_hand)
    assert s.base.arr_n_nrr == pytest.approx(cs.arr_in_year(params, 5))  # the old way
    assert s.base.arr_n_gap == pytest.approx(s.base.arr_n_nrr - s.base.arr_n)
    assert s.base.arr_n_gap > 0
    assert s.base.arr_n_low < s.base.arr_n < s.base.arr_n_high


def test_the_intervals_hold_the_estimates_and_are_seeded(sample_dir, sample):
    _, s = sample
    sbg = s.sbg
    for name in ("r1", "r_h", "s_h", "clv"):
        assert getattr(sbg, f"{name}_low") <= getattr(sbg, name) <= getattr(sbg, f"{name}_high")
    # two renewals pin the first renewal far better than the tenth
    assert sbg.r1_high - sbg.r1_low < sbg.r_h_high - sbg.r_h_low
    assert sbg.beta_range.endswith("no upper limit the data can set")
    again = cs.functions_summary(cs.load_company(sample_dir), Profile(), sample_dir,
                                 bootstrap_draws=DRAWS)
    assert again.sbg.to_dict() == sbg.to_dict()
    other = cs.functions_summary(cs.load_company(sample_dir), Profile(), sample_dir,
                                 bootstrap_draws=DRAWS, seed=7)
    assert other.sbg.clv_low != sbg.clv_low and other.sbg.clv == sbg.clv


# ----------------------------------------------------------------- the bootstrap


def test_vectorised_refits_reach_the_same_optimum_as_one_by_one():
    model = cs.ShiftedBetaGeometric().fit([[124, 102, 87], [161, 140]])
    rng = np.random.default_rng(5)
    samples = []
    for counts in model.cohorts_:
        theta = rng.beta(model.alpha_, model.beta_, (30, counts[0]))
        life = rng.geometric(theta)
        samples.append(np.stack([(life > t).sum(axis=1) for t in range(len(counts))], axis=1))
    for sample in samples:  # draw 0 with no churn at all: it ends at a bound
        sample[0] = sample[0, 0]
    many = _mle_many(samples, (model.alpha_, model.beta_), model.bounds)
    for i in range(30):
        cohorts = [sample[i] for sample in samples]
        one = _mle(cohorts, (model.alpha_, model.beta_), model.bounds)[0]
        assert _log_likelihood(*many[i], cohorts) >= _log_likelihood(*one, cohorts) - 1e-6
    alpha, beta = many[0]  # no churn: churn probabilities pushed to zero, at a bound
    assert alpha / (alpha + beta) < 1e-3 and (alpha <= 1.01e-3 or beta >= 0.99e4)


def test_intervals_narrow_as_cohorts_grow():
    """The bootstrap measures sampling error: bigger cohorts, narrower intervals."""
    widths = []
    for size in (200, 20_000):
        survivors = cs.simulate_survivors(0.8, 2.5, size, 4, seed=2)
        boot = cs.bootstrap_sbg(cs.ShiftedBetaGeometric().fit(survivors), draws=100, seed=0)
        low, high = boot.interval(cs.lifetime.sbg_retention(boot.alpha, boot.beta, 4), 0.9)
        widths.append(high - low)
    assert widths[1] < widths[0] / 4


def test_bootstrap_arguments_are_checked():
    model = cs.ShiftedBetaGeometric().fit([1000, 631, 468])
    with pytest.raises(cs.ParameterError, match="draws"):
        cs.bootstrap_sbg(model, draws=3)
    boot = cs.bootstrap_sbg(model, draws=20, seed=1)
    with pytest.raises(cs.ParameterError, match="level"):
        boot.interval(boot.alpha, 1.5)


# ----------------------------------------------------------------- the exercises


def test_exercise_1_through_the_students_calls(sample):
    """Flat bookings at the solution's NRR give the ARR of growing bookings at today's."""
    _, s = sample
    flat = replace(s.base.model, bookings_growth=0.0)
    needed = s.ex.nrr_needed
    reached = cs.arr_in_year(replace(flat, nrr=needed, grr=min(flat.grr, needed)), flat.years)
    target = cs.arr_in_year(replace(flat, bookings_growth=s.ex.growth), flat.years)
    assert reached == pytest.approx(target, rel=1e-9)
    assert s.text("ex_nrr_points") == fmt(needed - flat.nrr, "pp")


def test_exercise_3_through_the_students_calls(sample):
    """The loop the exercise describes, written out, gives the solution's ranges."""
    _, s = sample
    found = {"full": [], "short": []}
    for seed in range(s.ex.runs):
        simulated = cs.simulate_survivors(0.704, 1.182, s.ex.size, 7, seed=seed)
        found["full"].append(float(cs.ShiftedBetaGeometric().fit(simulated).retention_rate(7)))
        found["short"].append(
            float(cs.ShiftedBetaGeometric().fit(simulated[:3]).retention_rate(7)))
    for key, rates in found.items():
        low, high = np.percentile(rates, [5, 95])
        assert getattr(s.ex, key) == f"{fmt(low)} to {fmt(high)}"
    assert s.ex.true_r7 == pytest.approx((1.182 + 6) / (0.704 + 1.182 + 6))


def test_exercise_4_through_the_students_calls(sample_dir, sample):
    _, s = sample
    panel = cs.ArrPanel.from_frame(cs.load_company(sample_dir).arr_monthly)
    cohorts = cs.survivor_cohorts(panel)
    model = cs.ShiftedBetaGeometric().fit(cohorts.fittable().iloc[:1])
    boot = cs.bootstrap_sbg(model, draws=DRAWS, seed=0)
    low, high = boot.interval(cs.lifetime.sbg_retention(boot.alpha, boot.beta, 1), 0.9)
    assert s.ex.oldest == "2023"
    assert (s.ex.oldest_r1, s.ex.oldest_r1_low, s.ex.oldest_r1_high) == pytest.approx(
        (float(model.retention_rate(1)), low, high))
    assert s.ex.oldest_r1_high - s.ex.oldest_r1_low > s.sbg.r1_high - s.sbg.r1_low


# ----------------------------------------------------------------- company shapes


def company(starts: dict[str, tuple[str, int]]) -> cs.Company:
    """An anchor account paying from 2022-12 to 2025-12, and accounts that start in a
    month and pay for a number of whole years (capped at the data's end)."""
    end = pd.Period("2025-12", "M")
    rows = [("Z", str(m), 50_000.0) for m in pd.period_range("2022-12", end, freq="M")]
    for account, (start, years) in starts.items():
        for m in pd.period_range(start, periods=12 * years, freq="M"):
            if m <= end:
                rows.append((account, str(m), 12_000.0))
    return cs.Company(folder=Path("."), arr_monthly=arr_frame(rows))


def accounts(start: str, lifetimes: list[int], prefix: str) -> dict[str, tuple[str, int]]:
    return {f"{prefix}{i}": (start, years) for i, years in enumerate(lifetimes)}


def summarise(c: cs.Company) -> cs.FunctionsSummary:
    return cs.functions_summary(c, Profile(), None, bootstrap_draws=50)


def test_one_cohort_is_fitted_and_exercise_4_left_out():
    s = summarise(company(accounts("2023-03", [1] * 4 + [2] * 3 + [5] * 13, "A")))
    assert s.cohorts.n_fit_cohorts == 1 and s.sbg is not None
    assert s.ex.oldest is None  # nothing to compare the oldest cohort with
    assert s.sbg.r1 == pytest.approx(16 / 20, abs=0.02)


def test_no_renewal_yet_keeps_nrr_for_new_customers_and_says_why():
    s = summarise(company(accounts("2025-03", [1] * 10, "A")))
    assert s.sbg is None and "two periods" in s.sbg_note
    assert s.base.new_r1 is None and s.base.nrr_new_cohorts == s.base.nrr
    assert "flatters them" in s.base.new_cohort_note
    assert s.base.model.new_survival is None  # new customers at NRR, as the note says


@pytest.mark.parametrize(("lifetimes", "why"), [
    ([5] * 12, "No customer was lost"),  # no churn: nothing to estimate
    ([1] * 12, "Every customer was lost in the first period"),  # all churned at once
])
def test_cohorts_the_model_cannot_fit_are_skipped_with_the_reason(lifetimes, why):
    s = summarise(company(accounts("2023-03", lifetimes, "A")
                          | accounts("2024-03", lifetimes, "B")))
    assert s.sbg is None and why.lower() in s.sbg_note.lower()
    assert s.base is not None and s.ex.oldest is None


def test_a_fit_at_the_bounds_is_flagged():
    """Halving every year in both cohorts: no sign that customers differ, so alpha and
    beta run to the search's upper bound (a plain geometric model)."""
    c = company(accounts("2023-03", [1] * 40 + [2] * 20 + [5] * 20, "A")
                | accounts("2024-03", [1] * 40 + [5] * 40, "B"))
    s = summarise(c)
    assert s.sbg.model.at_bound_ and "bounds of the search" in s.sbg.bound_note
    assert s.sbg.r1 == pytest.approx(0.5, abs=0.01)
    assert s.sbg.r1_low <= s.sbg.r1 <= s.sbg.r1_high
    assert np.isfinite(s.sbg.clv_high)


def test_check_cohorts_still_refuses_what_cannot_be_fitted():
    with pytest.raises(cs.ParameterError, match="No customer was lost"):
        _check_cohorts([[10, 10, 10]])


def test_the_nrr_of_exercise_1_is_found_however_high():
    huge = cs.RevenueBase(starting_arr=1e3, new_bookings=5e6, nrr=2.9, grr=0.9, years=5)
    needed = cs.nrr_matching_growth(huge, 2.0)
    assert needed > 3  # above the bound of a company's NRR, and still found
    reached = 1e3 * needed ** 5 + sum(5e6 * needed ** (5 - k) for k in range(1, 6))
    assert reached == pytest.approx(cs.arr_in_year(replace(huge, bookings_growth=2.0), 5),
                                    rel=1e-9)
    fitted = (1.0, 0.8, 0.7, 0.6, 0.5, 0.4)  # new customers on a cohort model, not on NRR
    with pytest.raises(cs.ParameterError, match="no ARR today"):
        cs.nrr_matching_growth(replace(huge, starting_arr=0.0, new_survival=fitted), 0.2)


HARD_SHAPES = {
    "one-cohort": accounts("2023-03", [1] * 4 + [2] * 3 + [5] * 13, "A"),
    "no-renewal-yet": accounts("2025-03", [1] * 10, "A"),
    "no-churn": accounts("2023-03", [5] * 12, "A") | accounts("2024-03", [5] * 12, "B"),
    "all-lost": accounts("2023-03", [1] * 12, "A") | accounts("2024-03", [1] * 12, "B"),
    "at-the-bounds": accounts("2023-03", [1] * 40 + [2] * 20 + [5] * 20, "A")
    | accounts("2024-03", [1] * 40 + [5] * 40, "B"),
}


@pytest.mark.slow
@pytest.mark.parametrize("shape", list(HARD_SHAPES))
def test_the_chapter_reads_cleanly_on_the_hard_shapes(tmp_path, shape):
    """The page, pruned as a rerun prunes it: no unglued key, no n/a, no NaN, no empty
    chart; the sentences that replace a skipped fit are on it."""
    from tests import inprocess

    frame = company(HARD_SHAPES[shape]).arr_monthly.astype({"month": str})
    frame.to_csv(tmp_path / "arr_monthly.csv", index=False)
    nb = inprocess.execute("functions", data_dir=str(tmp_path), bootstrap_draws=50)
    assert inprocess.page_problems(nb) == []
    shown = json.dumps([str(out.get("object", "")) + str(getattr(out.get("object"), "data", ""))
                        for cell in nb.cells if cell.cell_type == "code"
                        for out in cell.get("outputs", [])])
    glued = inprocess.glued(nb)
    if shape in ("no-renewal-yet", "no-churn", "all-lost"):
        assert "sbg_r1" not in glued and "flatters them" in shown
    else:
        assert "sbg_r1" in glued and "base_new_r1" in glued
    assert ("bounds of the search" in shown) == (shape == "at-the-bounds")


def test_a_fit_at_the_floor_is_told_apart_from_one_at_the_ceiling():
    """Lost at once, then no one leaves (the scaling-high-touch case): alpha at the floor,
    two kinds of customer; halving every period: both at the ceiling, one kind."""
    from csmodels.functions import _bound_note, _range

    floor = cs.ShiftedBetaGeometric().fit([[32, 29, 29], [27, 25]])
    assert floor.alpha_ == pytest.approx(floor.bounds[0], rel=0.02)
    assert "two kinds of customer" in _bound_note(floor)
    ceiling = cs.ShiftedBetaGeometric().fit([[800, 400, 200], [800, 400]])
    assert "one churn rate for everyone" in _bound_note(ceiling)
    inside = cs.ShiftedBetaGeometric().fit([1000, 631, 468, 382])
    assert _bound_note(inside) is None
    assert _range((0.001, 0.5), floor.bounds) == "0.001 (the search's floor) to 0.500"
    assert _range((2.5, 1e4), floor.bounds) == "2.50 to no upper limit the data can set"


@pytest.mark.slow
def test_the_intervals_cover_the_truth_about_as_often_as_they_say():
    """Cohorts the size of the sample's (124 accounts seen for two renewals, 161 for
    one), drawn from known parameters: the 90% intervals hold the true first-renewal
    rate and five-year survival in roughly 90% of the draws (seeded, so exact figures:
    0.93 and 0.85 of 60 when written). Intervals that ignored the censoring or the
    cohort sizes would miss far more often."""
    from csmodels.lifetime import sbg_retention, sbg_survival

    alpha, beta, runs = 5.8, 32.7, 60
    truth = {"r1": beta / (alpha + beta), "s5": float(sbg_survival(alpha, beta, 5))}
    hits = {"r1": 0, "s5": 0}
    for rep in range(runs):
        model = cs.ShiftedBetaGeometric().fit([
            cs.simulate_survivors(alpha, beta, 124, 2, seed=1000 + rep),
            cs.simulate_survivors(alpha, beta, 161, 1, seed=5000 + rep)])
        boot = cs.bootstrap_sbg(model, draws=200, seed=rep)
        for key, values in (("r1", sbg_retention(boot.alpha, boot.beta, 1)),
                            ("s5", sbg_survival(boot.alpha, boot.beta, 5))):
            low, high = boot.interval(values, 0.9)
            hits[key] += low <= truth[key] <= high
    assert 0.8 <= hits["r1"] / runs <= 0.99 and 0.7 <= hits["s5"] / runs <= 0.99, hits


@pytest.mark.parametrize(("name", "value"), [("bootstrap_draws", 5), ("bootstrap_draws", 2.5),
                                             ("seed", -1), ("seed", True),
                                             ("interval_level", 1.0), ("gross_margin", 1.5)])
def test_bad_parameters_are_named(sample_dir, name, value):
    with pytest.raises(cs.ParameterError, match=name):
        cs.functions_summary(cs.load_company(sample_dir), Profile(), **{name: value})
