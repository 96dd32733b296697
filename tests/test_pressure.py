"""The quota-pressure model (csmodels.pressure): the lag, a peak that comes from the
dynamics and moves as stated, calibration on every company shape, the chapter's
summary, and every exercise solution equal to a rerun with the change it asks for."""

from __future__ import annotations

import ast
import dataclasses
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from csmodels.exceptions import ParameterError
from csmodels.pressure import (
    EXERCISES,
    IncentivePressure,
    PressureSummary,
    pressure_summary,
    summarise,
)
from tests import inprocess
from tests.executed import glued_in

ROOT = Path(__file__).resolve().parents[1]

models = st.builds(IncentivePressure, upsell=st.floats(0.05, 1.5),
                   ready_share=st.floats(0.05, 0.9), base_loss=st.floats(0, 0.3),
                   trust_cost=st.floats(0.01, 0.6), memory=st.floats(0, 0.9))
horizons = st.integers(2, 12)


# --- the lag -------------------------------------------------------------------------------


def test_pressure_in_a_year_raises_churn_at_the_next_renewal_not_in_that_year():
    m = IncentivePressure(memory=0.0)
    calm, pushed = m.path([0.0, 0.0, 0.0]), m.path([1.0, 0.0, 0.0])
    assert pushed.loc[0, "loss"] == calm.loc[0, "loss"] == pytest.approx(0.02)
    assert pushed.loc[0, "expansion"] > calm.loc[0, "expansion"]  # expansion now
    # next renewal: 0.02 + 0.20 x (1 - 0.3^2) / 2 = 0.111
    assert pushed.loc[1, "loss"] == pytest.approx(0.111)
    assert pushed.loc[2, "loss"] == pytest.approx(calm.loc[2, "loss"])  # no memory: gone
    lasting = IncentivePressure(memory=0.5).path([1.0, 0.0, 0.0])
    assert lasting.loc[2, "loss"] == pytest.approx(0.02 + 0.20 * 0.455 * 0.5)


def test_damage_lowers_the_next_years_buying():
    m = IncentivePressure()
    calm, pushed = m.path([0.0, 0.3]), m.path([1.0, 0.3])
    assert pushed.loc[1, "expansion"] < calm.loc[1, "expansion"]
    assert pushed.loc[1, "expansion"] == pytest.approx(calm.loc[1, "expansion"] * (1 - 0.455))


def test_the_hand_checked_year():
    m = IncentivePressure()  # pitched 0.3 + 0.7 p; at p = 0.5: 0.65 of the accounts
    assert m.expansion(0.5) == pytest.approx(0.40 * (0.65 - 0.65 ** 2 / 2))
    assert m.new_damage(0.5) == pytest.approx((0.65 ** 2 - 0.09) / 2)
    d = m.steady_damage(0.5)
    assert float(m.carried(d, 0.5)) == pytest.approx(d)  # a fixed point


# --- the peak comes from the dynamics ------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(models)
def test_judged_on_one_year_more_pressure_always_pays(m):
    nrr = m.curve(1)["first_year"].to_numpy()
    assert np.all(np.diff(nrr) >= -1e-12)
    assert m.peak(1) == pytest.approx(1.0)


@settings(max_examples=30, deadline=None)
@given(models, horizons)
def test_the_peak_is_the_best_policy_found_by_brute_force(m, horizon):
    peak = m.peak(horizon)
    grid = np.linspace(0, 1, 1001)
    brute = [m.path([p] * horizon)["arr"].iloc[-1] for p in grid]
    assert m.arr_after(peak, horizon) >= max(brute) - 1e-12
    assert peak <= m.peak(1) + 1e-12


def test_the_default_peak_is_interior():
    m = IncentivePressure()
    assert 0.2 < m.peak(5) < 0.3 and m.peak(1) == 1.0


def test_the_ordering_bends_gain_and_damage_and_is_1_by_default():
    m = IncentivePressure()
    p = np.linspace(0, 1, 11)
    s = m.pitched(p)
    # readiest first (the default): the rules as the module states them
    assert m.ordering == 1.0
    assert np.allclose(m.expansion(p), m.upsell * (s - s ** 2 / 2))
    assert np.allclose(m.new_damage(p), (s ** 2 - m.ready_share ** 2) / 2)
    # each step of pressure wins less and hurts more than the last: concave, convex
    assert (np.diff(m.expansion(p), 2) < -1e-12).all()
    assert (np.diff(m.new_damage(p), 2) > 1e-12).all()
    # pitches no better than the average account: both in proportion to the pressure
    flat = dataclasses.replace(m, ordering=0.0)
    assert np.allclose(np.diff(flat.expansion(p), 2), 0) and np.allclose(
        np.diff(flat.new_damage(p), 2), 0)
    assert np.allclose(flat.expansion(p), m.upsell * s / 2)
    with pytest.raises(ParameterError, match="ordering"):
        IncentivePressure(ordering=1.5)


def test_the_peak_comes_from_the_ordering_and_the_trust_cost():
    s = summarise(1.0436, 0.9211)
    # each figure is the peak of the model recalibrated with that change
    for field, change in (("peak_unordered", {"ordering": 0.0}),
                          ("peak_no_trust_cost", {"trust_cost": 0.0}),
                          ("peak_neither", {"ordering": 0.0, "trust_cost": 0.0})):
        m = IncentivePressure.calibrated(1.0436, 0.9211, 0.5, **change)
        assert getattr(s, field) == pytest.approx(m.peak(5, m.steady_damage(0.5)), abs=1e-6)
    # on these figures: each rule alone pulls the peak inside the range; with neither the
    # best pressure over five years is full pressure, a corner
    assert 0 < s.peak_pressure < s.peak_no_trust_cost < 1 and 0 < s.peak_unordered < 1
    assert s.peak_neither == pytest.approx(1.0)
    assert s.peak_sources.endswith("and full pressure (a corner) with neither.")
    assert f"is {s.peak_unordered:.2f} with pitches no better than average" in s.peak_sources


@settings(max_examples=40, deadline=None)
@given(models, horizons)
def test_the_peak_moves_the_way_the_chapter_says(m, horizon):
    """A higher trust cost, a longer memory, a longer horizon or a larger ready share
    lowers the peak; a larger upsell raises it where a unit of damage costs 5% of ARR
    or more at renewal, and below that lowers it by less than 0.01 (a company with no
    past damage)."""
    peak = m.peak(horizon)

    def moved(**change):
        return dataclasses.replace(m, **change).peak(horizon)

    assert moved(trust_cost=m.trust_cost * 1.5) <= peak + 1e-6
    assert moved(memory=min(m.memory + 0.05, 0.95)) <= peak + 1e-6
    assert m.peak(horizon + 1) <= peak + 1e-6
    assert moved(ready_share=min(m.ready_share + 0.05, 1.0)) <= peak + 1e-6
    bigger = moved(upsell=m.upsell * 1.5)
    assert bigger >= peak - (1e-6 if m.trust_cost >= 0.05 else 0.01)


def test_with_almost_no_trust_cost_a_larger_upsell_can_lower_the_peak():
    """The exception the chapter names, found by the property test above: damage that
    costs almost nothing at renewal still costs the upsells a damaged base does not buy."""
    m = IncentivePressure(upsell=1.0, ready_share=0.25, base_loss=0.0, trust_cost=0.015625,
                          memory=0.0)
    lower = dataclasses.replace(m, upsell=1.5).peak(2)
    assert m.peak(2) - 0.01 < lower < m.peak(2) - 1e-4
    costly = dataclasses.replace(m, trust_cost=0.2)
    assert dataclasses.replace(costly, upsell=1.5).peak(2) > costly.peak(2)


def test_the_moves_are_strict_somewhere():
    m = IncentivePressure()
    assert IncentivePressure(trust_cost=0.4).peak(5) < m.peak(5) - 0.05
    assert IncentivePressure(memory=0.8).peak(5) < m.peak(5) - 0.05
    assert m.peak(10) < m.peak(5) - 0.05


def test_the_calibrated_peak_moves_with_trust_cost_and_horizon():
    """On the sample's figures, where the calibration does not bind."""
    peaks = [summarise(1.0436, 0.9211, trust_cost=c, exercises=False,
                       sensitivity=False).peak_pressure for c in (0.05, 0.10, 0.15, 0.20)]
    assert peaks == sorted(peaks, reverse=True) and peaks[0] > peaks[-1] + 0.05
    by_horizon = [summarise(1.0436, 0.9211, horizon_years=h, exercises=False,
                            sensitivity=False).peak_pressure for h in (1, 2, 5, 10)]
    assert by_horizon == sorted(by_horizon, reverse=True) and by_horizon[0] == 1.0


# --- calibration on every company shape -------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(st.floats(0.3, 1.0), st.floats(0, 0.6), st.floats(0, 1))
def test_calibration_gives_the_companys_figures_at_todays_pressure(grr, spread, p0):
    nrr = grr + spread
    s = summarise(nrr, grr, current_pressure=p0, exercises=False, sensitivity=False)
    assert s.nrr_today == pytest.approx(nrr) and s.grr_today == pytest.approx(grr)
    assert 0 <= s.peak_pressure <= 1 and s.base_loss >= 0


@pytest.mark.parametrize(("nrr", "grr", "lowered"), [
    (1.117, 0.964, True),   # scaling-high-touch: GRR cannot carry the default trust cost
    (1.2, 1.0, True),       # no churn at all: no trust cost can be carried
    (0.75, 0.70, False),    # NRR below 80%
    (1.0436, 0.9211, False),  # the sample
    (3.0, 0.5, False),      # a tiny company's wild figures
])
def test_extreme_companies_calibrate_and_say_what_was_lowered(nrr, grr, lowered):
    s = summarise(nrr, grr, current_pressure=0.5, exercises=False, sensitivity=False)
    assert s.nrr_today == pytest.approx(nrr) and s.grr_today == pytest.approx(grr)
    assert ("the trust cost is lowered from 20.0% to" in s.calibration) is lowered
    if lowered:
        most = (1 - grr) / s.model.steady_damage(0.5)
        assert s.trust_cost == pytest.approx(most) and s.base_loss == pytest.approx(0)
        assert f"to {most:.1%} of ARR per unit of damage" in s.calibration
    else:
        assert s.trust_cost == 0.20


def test_no_churn_means_no_trust_cost_but_damage_still_costs_buying():
    s = summarise(1.2, 1.0, current_pressure=0.5, exercises=False, sensitivity=False)
    assert s.trust_cost == 0 and s.grr_full_last == pytest.approx(1.0)
    assert s.peak_pressure < 0.6  # damaged trust still buys less


def test_no_expansion_means_no_pressure():
    s = summarise(1.0, 1.0, current_pressure=0.5, exercises=False, sensitivity=False)
    assert s.upsell == 0 and s.peak_pressure == 0 and s.one_year_peak == 0
    assert "with NRR equal to GRR there is no expansion, so pressure has nothing" in \
        s.calibration


@pytest.mark.parametrize(("nrr", "grr", "ending"), [
    (None, None, "on its default rates, as the data give no NRR and GRR (the chapter's nrr "
                 "and grr parameters can)"),
    (None, 0.9, "on its default rates, as the data give no NRR and GRR (the chapter's nrr "
                "and grr parameters can)"),
    (0.5, 0.0, "on its default rates, as this company's NRR of 50.0% and GRR of 0.0% "
               "cannot set them"),
])
def test_the_model_steps_aside_in_one_sentence(nrr, grr, ending):
    s = summarise(nrr, grr, exercises=False, sensitivity=False)
    assert s.calibration == ending and s.model == IncentivePressure()


def test_calibration_refuses_what_it_cannot_do():
    with pytest.raises(ParameterError, match="negative base rate"):
        IncentivePressure.calibrated(1.1, 0.96, current_pressure=0.9, trust_cost=0.9)
    with pytest.raises(ParameterError, match="current_pressure"):
        IncentivePressure.calibrated(1.0, 0.9, current_pressure=1.5)
    assert IncentivePressure.calibrated(1.0, 0.9, current_pressure=0.0).base_loss == \
        pytest.approx(0.1)  # no pressure today: no damage, all churn is the base rate


@pytest.mark.parametrize("kwargs", [{"memory": 1.0}, {"ready_share": 0.0},
                                    {"trust_cost": -0.1}, {"base_loss": 1.5},
                                    {"upsell": float("nan")}, {"memory": True}])
def test_impossible_model_parameters_are_refused(kwargs):
    with pytest.raises(ParameterError):
        IncentivePressure(**kwargs)


@pytest.mark.parametrize("settings", [
    {"horizon_years": 50}, {"horizon_years": 1}, {"memory": 0.9}, {"memory": 0.0},
    {"ready_share": 1.0}, {"trust_cost": 0.0}, {"current_pressure": 0.0},
    {"current_pressure": 1.0},
])
def test_every_setting_at_its_bounds_gives_a_whole_summary(settings):
    s = summarise(1.0436, 0.9211, **settings)
    assert all(v is not None for k, v in s.to_dict().items() if not k.startswith("ex_"))
    table = s.sensitivity
    assert table["moved_to"].between(0, 50).all() and table["peak"].between(0, 1).all()
    assert table.loc[table["parameter"] == "horizon_years", "moved_to"].max() <= 50
    assert " from 0.0% to 0.0%" not in s.moves and " from 100% to 100%" not in s.moves


@pytest.mark.parametrize("pressure", [-0.1, 1.5, float("nan")])
def test_a_pressure_outside_0_to_1_is_refused_not_replaced_by_defaults(pressure):
    with pytest.raises(ParameterError, match="pressure"):
        IncentivePressure().path([0.5, pressure])
    with pytest.raises(ParameterError, match="current_pressure"):
        IncentivePressure.for_company(1.05, 0.9, current_pressure=pressure)


@pytest.mark.parametrize("horizon", [0, 51, 2.5, True])
def test_impossible_horizons_are_refused(horizon):
    with pytest.raises(ParameterError, match="horizon_years"):
        summarise(1.05, 0.9, horizon_years=horizon)


# --- the summary and the chart ---------------------------------------------------------------


def test_the_summary_is_frozen_and_glues_under_a_prefix():
    s = summarise(1.0436, 0.9211)
    assert isinstance(s, PressureSummary) and s.to_dict()["ex_one_year"]["horizon_years"] == 1
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.peak_pressure = 0.5
    glued = {}
    s.glue(lambda k, v, display: glued.__setitem__(k, v), prefix="pressure_")
    assert glued["pressure_nrr_today"] == "104.4%"
    assert glued["pressure_peak_pressure"] == f"{s.peak_pressure:.2f}"
    assert glued["pressure_ex_memory_memory"] == "80%"
    table = s.sensitivity_table()
    assert list(table["Parameter"].unique()) == ["The trust cost", "The memory of damage",
                                                 "The horizon", "The share of ready accounts"]
    assert s.moves.startswith("Raising the trust cost from 20.0% to 40.0%")


def test_the_summary_reads_the_company(sample_dir, tmp_path):
    s = pressure_summary(sample_dir)
    assert s.calibration.startswith("calibrated so that") and s.nrr_today == \
        pytest.approx(1.0435907229503996)
    empty = tmp_path / "no-data"
    empty.mkdir()
    assert pressure_summary(empty).calibration.startswith(
        "on its default rates, as the data give no NRR and GRR")
    # the chapter's nrr and grr parameters replace the data's, and the page says so
    both = pressure_summary(empty, nrr=1.1, grr=0.95)
    assert both.nrr_today == pytest.approx(1.1) and both.grr_today == pytest.approx(0.95)
    assert both.calibration.startswith("calibrated so that, held at today's pressure, it "
                                       "gives the NRR (110.0%) and GRR (95.0%) set by the "
                                       "chapter's parameters")
    one = pressure_summary(sample_dir, grr=0.95)
    assert one.nrr_today == pytest.approx(1.0435907229503996)
    assert one.grr_today == pytest.approx(0.95)
    assert "the company's own NRR (104.4%) and the GRR set by the chapter's grr parameter " \
        "(95.0%)" in one.calibration
    assert one.ex_memory.calibration.startswith(one.calibration[:150])  # exercises too
    with pytest.raises(ParameterError, match="nrr"):
        pressure_summary(empty, nrr="1.1")


def test_the_chart_marks_the_peak_and_today():
    from csmodels import charts

    s = summarise(1.0436, 0.9211)
    spec = charts.pressure_chart(s).to_dict()
    marks = next(layer for layer in spec["layer"] if "mark" in layer
                 and layer["mark"].get("type") == "point")
    data = spec["datasets"][marks["data"]["name"]]
    assert [round(d["pressure"], 6) for d in data] == [round(s.peak_pressure, 6), 0.5]
    assert data[0]["rate"] == pytest.approx(s.nrr_peak_yearly)


# --- every exercise's solution is a rerun with its change ----------------------------------


def _exercise_text(label: str) -> str:
    """The text of the exercise ``label`` in the chapter."""
    source = "\n".join(c.source for c in nbformat.read(
        ROOT / "chapters" / "reporting.ipynb", as_version=4).cells)
    return re.search(rf"```{{exercise}}\n:label: {label}\n(.*?)```", source, re.S).group(1)


def _rank_shown(nb, placement: str) -> str:
    """The rank the page's ranking table shows for ``placement``."""
    row = re.compile(rf'<td class="text">{re.escape(placement)}</td><td class="num">[^<]*</td>'
                     r'<td class="num">(\d+)</td>')
    for cell in nb.cells:
        if cell.cell_type == "code" and "ranked.reset_index" in cell.source:
            return row.search(cell.outputs[0]["object"].data).group(1)
    raise AssertionError("the ranking table is not on the page")


def _glued(data_dir, **parameters):
    return inprocess.glued(inprocess.execute("reporting", data_dir=str(data_dir), **parameters))


@pytest.mark.parametrize(("folder", "parameters"), [
    ("data/sample", {}),
    ("data/cases/scaling-high-touch", {}),  # the calibration lowers the trust cost
    ("data/sample", {"weights": {"feedback_loop": 10}, "memory": 0.6, "trust_cost": 0.1}),
])
def test_each_exercise_solution_is_what_the_rerun_gives(folder, parameters):
    data = ROOT / folder
    page = _glued(data, **parameters)
    # exercise 1: the command the exercise prints
    command = re.search(r'-p weights "([^"]+)"', _exercise_text("reporting-ex1")).group(1)
    weights = ast.literal_eval(command)
    assert weights == {"incentive_purity": 5}
    nb = inprocess.execute("reporting", data_dir=str(data), **{**parameters, "weights": weights})
    rerun = inprocess.glued(nb)
    assert page["ex_purist_leader"] == rerun["leader"]
    assert page["ex_purist_cro_rank"] == _rank_shown(nb, "Sales / CRO")
    # exercises 3 and 4: each parameter change, rerun through the chapter
    for section, change in EXERCISES.items():
        rerun = _glued(data, **{**parameters, **change})
        solution = {k[len(f"pressure_{section}_"):]: v for k, v in page.items()
                    if k.startswith(f"pressure_{section}_")}
        shown = {k[len("pressure_"):]: v for k, v in rerun.items()
                 if k.startswith("pressure_") and not k.startswith("pressure_ex_")}
        # all but the sensitivity sentence and where the peak comes from (the main run's)
        assert set(shown) - set(solution) == {"moves", "peak_unordered", "peak_no_trust_cost",
                                              "peak_neither", "peak_sources"}
        assert solution == {k: shown[k] for k in solution}, section
    assert page["pressure_ex_memory_memory"] == "80%"
    assert page["pressure_ex_one_year_horizon_years"] == "1"


# --- through the command line a reader uses ----------------------------------------------


def _rerun(out: Path, *parameters: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "csmodels", "rerun", "reporting", "--data",
                           str(ROOT / "data" / "sample"), "--out", str(out), *parameters],
                          capture_output=True, text=True, timeout=900)


@pytest.mark.slow
def test_a_rerun_with_the_models_parameters_shows_the_summarys_figures(tmp_path):
    done = _rerun(tmp_path / "out", "-p", "memory", "0.8", "-p", "horizon_years", "3",
                  "-p", "current_pressure", "0.2")
    assert done.returncode == 0, done.stderr
    glued = glued_in(tmp_path / "out" / "reporting.ipynb")
    expected = pressure_summary(ROOT / "data" / "sample", memory=0.8, horizon_years=3,
                                current_pressure=0.2)
    shown = {k: str(expected.text(k)) for k, _, v in expected.rows() if v != "n/a"}
    assert {k: glued[f"pressure_{k}"] for k in shown} == shown
    assert glued["pressure_horizon_years"] == "3" and glued["pressure_memory"] == "80%"


@pytest.mark.slow
@pytest.mark.parametrize(("name", "value", "says"), [
    ("memory", "1.0", "memory is 1.0. Give the share of trust damage left a year later"),
    ("horizon_years", "0", "horizon_years is 0. Give a whole number of years from 1 to 50"),
    ("trust_cost", "-0.1", "trust_cost is -0.1."),
])
def test_an_impossible_parameter_is_one_sentence_and_exit_2(tmp_path, name, value, says):
    done = _rerun(tmp_path / "out", "-p", name, value)
    assert done.returncode == 2 and says in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "out").exists()
