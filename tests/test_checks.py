"""One check of a scalar setting (``csmodels._checks``): the same types pass and fail
everywhere it is used, and the message names the setting."""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Mapping
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

from csmodels import benchmark_for_acv, load_company, load_profile, pressure, reporting
from csmodels import collaboration as co
from csmodels._checks import Checked, check_number, is_number, number, number_rule
from csmodels.exceptions import DataError, ParameterError
from csmodels.functions import functions_summary
from csmodels.health import HealthModel, renewal_test, renewals
from csmodels.inputs import Company
from csmodels.inputs.mapping import load_mapping
from csmodels.kpis import MetricSettings
from csmodels.lifetime import (
    ShiftedBetaGeometric,
    bootstrap_sbg,
    capped_ltv,
    simple_ltv,
    simulate_survivors,
    survivor_cohorts,
)
from csmodels.maturity import CompanyFacts
from csmodels.metrics import (
    ArrPanel,
    average_contract_value,
    compounded_monthly_retention,
    expansion_pipeline_influenced,
    nps,
    qbr_coverage,
    reactivated_arr,
    retention,
    retention_series,
    time_to_value,
)
from csmodels.parameters import check_value
from csmodels.profile import Facts, Profile
from csmodels.revenue import RevenueBase, bookings_equivalent, nrr_matching_growth


@pytest.mark.parametrize("value", [0, 1, 2.5, np.float64(0.3), np.int64(7), np.float32(1.5),
                                   Fraction(1, 3), 10**15])
def test_real_finite_numbers_pass(value):
    assert is_number(value)
    assert check_number("x", value) == float(value)


@pytest.mark.parametrize("value", [True, False, np.bool_(True), "1", b"1", None, [1],
                                   float("nan"), float("inf"), -float("inf"), np.nan,
                                   10**400, complex(1, 0)])
def test_everything_else_is_refused_with_the_name(value):
    assert not is_number(value)
    with pytest.raises(ParameterError, match=r"^rate must be a finite number, not "):
        check_number("rate", value)


@pytest.mark.parametrize(("value", "bounds", "ok"), [
    (0, {"low": 0}, True), (-0.1, {"low": 0}, False),
    (1, {"high": 1}, True), (1.01, {"high": 1}, False),
    (0, {"above": 0}, False), (1e-9, {"above": 0}, True),
    (1, {"below": 1}, False), (0.99, {"below": 1}, True),
    (3.0, {"whole": True}, True), (2.5, {"whole": True}, False),
    (np.int64(50), {"low": 1, "high": 50, "whole": True}, True),
    (51, {"low": 1, "high": 50, "whole": True}, False),
])
def test_bounds_are_inclusive_or_strict_as_named(value, bounds, ok):
    assert is_number(value, **bounds) is ok


def test_the_message_says_the_rule_and_the_hint():
    with pytest.raises(ParameterError) as info:
        check_number("years", 0, low=1, high=50, whole=True, hint="Give a horizon")
    assert str(info.value) == ("years must be a whole number from 1 to 50, not 0. "
                               "Give a horizon.")
    assert number_rule(above=0, high=1) == "a finite number above 0 and at most 1"
    assert check_number("years", np.int64(5), low=1, whole=True) == 5
    assert type(check_number("years", 5.0, whole=True)) is int
    assert check_number("acv", None, none_ok=True) is None
    with pytest.raises(ParameterError, match="acv must be a finite number, not None"):
        check_number("acv", None)


def test_a_long_value_is_shortened_in_the_message():
    with pytest.raises(ParameterError) as info:
        check_number("name", "x" * 10_000)
    assert len(str(info.value)) < 120


def test_checked_checks_the_declared_fields_only_in_their_order():
    @dataclasses.dataclass(frozen=True)
    class Settings(Checked):
        nrr: float = number(1.05, low=0)
        grr: float = number(0.9, low=0, high=1)
        label: str = "text"

    assert Settings(label=float("nan")).label != Settings().label  # not declared: not checked
    with pytest.raises(ParameterError, match=r"^nrr must be a finite number >= 0, not nan"):
        Settings(nrr=float("nan"), grr=2)
    assert Settings(nrr=np.int64(2)).nrr == 2.0 and type(Settings(nrr=2).nrr) is int


# ------------------------------------------------------------------ where it is used

def profile(tmp_path, text: str):
    path = tmp_path / "profile.yml"
    path.write_text(text)
    return load_profile(path)


def test_the_profile_refuses_an_integer_too_large_for_a_float(tmp_path):
    # before the shared check, math.isfinite(10**400) raised OverflowError: a traceback
    with pytest.raises(DataError, match=r"'arr' is 1000000.*Give a number from 0 to 1e\+15"):
        profile(tmp_path, "arr: 1" + "0" * 400 + "\n")


@pytest.mark.parametrize(("text", "says"), [
    ("arr: true\n", "'arr' is True."),
    ("acv: .nan\n", "'acv' is nan."),
    ("segments:\n  - {name: A, acv: 10, accounts: 2.5}\n", "has 'accounts' 2.5."),
    ("segments:\n  - {name: A, acv: 10, share: 0}\n", "has 'share' 0."),
    ("segments:\n  - {name: A, acv: -1, share: 1}\n", "has 'acv' -1."),
])
def test_the_profile_refuses_what_the_check_refuses(tmp_path, text, says):
    with pytest.raises(DataError, match=says.replace(".", r"\.")):
        profile(tmp_path, text)


def test_the_profile_takes_a_whole_float_as_a_number_of_accounts(tmp_path):
    segs = profile(tmp_path, "segments:\n  - {name: A, acv: 10, accounts: 3.0}\n").segments
    assert segs[0]["accounts"] == 3.0


@pytest.mark.parametrize(("sheet", "ok"), [(0, True), (3, True), ("Data", True),
                                           (True, False), (-1, False), (10_000, False),
                                           (1.5, False)])
def test_the_mapping_sheet_is_a_name_or_a_position(tmp_path, sheet, ok):
    (tmp_path / "mapping.yml").write_text(
        f"tables:\n  arr_monthly:\n    file: a.xlsx\n    sheet: {sheet}\n")
    if ok:
        assert load_mapping(tmp_path).for_table("arr_monthly").sheet == sheet
    else:
        with pytest.raises(DataError, match=r"tables\.arr_monthly\.sheet. is"):
            load_mapping(tmp_path)


def test_a_parameter_integer_beyond_the_bound_or_a_nan_is_refused():
    assert check_value("years", 10**15, "int") == 10**15
    with pytest.raises(ParameterError, match="an integer beyond"):
        check_value("years", 10**15 + 1, "int")
    with pytest.raises(ParameterError, match="nan, which is not a finite number"):
        check_value("nrr", float("nan"), "float")


@pytest.mark.parametrize("acv", [True, -1, float("inf"), "30000"])
def test_the_benchmark_band_needs_a_real_acv(acv):
    with pytest.raises(ParameterError, match=r"^acv must be a finite number >= 0"):
        benchmark_for_acv(acv)
    assert benchmark_for_acv(np.float64(30_000))["acv_band"] == "$25k to $50k"


# ------------------------------------------------------------- every model's numbers
# Each numeric setting of a model (a frozen dataclass declared with _checks.number) and
# each numeric argument of a model's functions: True, NaN, inf and text are refused with
# a ParameterError naming the setting and showing the value; numpy's numbers are taken
# and give what the same Python number gives.

REFUSED = [True, float("nan"), float("inf"), "1"]
MODELS = (co.SlaTerms, co.CompPlan, RevenueBase, Facts, Profile, CompanyFacts, HealthModel,
          MetricSettings, pressure.IncentivePressure)
STAND_IN = {(cls, name): value for cls in (Facts, Profile, CompanyFacts)  # default None
            for name, value in (("arr", 2e6), ("acv", 30_000.0))}


def _subclasses(cls) -> set[type]:
    return {c for sub in cls.__subclasses__() for c in (sub, *_subclasses(sub))}


def _declared():
    for cls in MODELS:
        for spec in dataclasses.fields(cls):
            if "rule" in spec.metadata:
                ok = STAND_IN.get((cls, spec.name), spec.default)
                yield pytest.param(cls, spec.name, ok, spec.metadata["rule"].whole,
                                   id=f"{cls.__module__.rsplit('.', 1)[-1]}.{cls.__name__}."
                                      f"{spec.name}")


def _names(message: str, name: str) -> bool:
    """Whether ``message`` names the setting (``acv_line`` may read "ACV LINE")."""
    return re.search(re.escape(name).replace("_", "[ _]"), message, re.IGNORECASE) is not None


def test_every_checked_model_is_in_the_table():
    # the package's models (a test may declare its own to try the mixin)
    assert {c for c in _subclasses(Checked) if c.__module__.startswith("csmodels.")} == set(MODELS)
    # the facts (arr, acv) are declared once, in Facts, and so checked in a Profile too
    assert len(list(_declared())) == 48  # 3 + 10 + 6 + 2 + 2 + 3 + 5 + 12 + 5


@pytest.mark.parametrize(("cls", "name", "ok", "whole"), _declared())
@pytest.mark.parametrize("bad", REFUSED, ids=["bool", "nan", "inf", "text"])
def test_a_models_setting_refuses_bool_nan_inf_and_text(cls, name, ok, whole, bad):
    with pytest.raises(ParameterError) as info:
        cls(**{name: bad})
    message = str(info.value)
    assert _names(message, name) and repr(bad) in message, message


@pytest.mark.parametrize(("cls", "name", "ok", "whole"), _declared())
def test_a_models_setting_takes_numpys_numbers_as_plain_ones(cls, name, ok, whole):
    plain = cls(**{name: ok})
    kinds = (np.int64, np.int32, np.float64) if whole else (np.float64, np.float32)
    for kind in kinds:
        made = cls(**{name: kind(ok)})
        value = getattr(made, name)
        assert type(value) is (int if whole else float), (kind, type(value))
        assert value == pytest.approx(getattr(plain, name), rel=1e-7)
    assert cls(**{name: np.float64(ok)}) == plain
    if whole:  # a whole float is a whole number, stored as an int
        assert type(getattr(cls(**{name: float(ok)}), name)) is int


def test_a_models_declared_bounds_are_kept():
    for cls, kwargs, says in [
            (co.SlaTerms, {"first_days": 0}, "first_days must be a whole number of days >= 1"),
            (co.CompPlan, {"split": 1.5}, "split must be a fraction from 0 to 1 (0.10 = 10%)"),
            (co.CompPlan, {"nrr_goal": 0}, "nrr_goal must be a fraction above 0 and at most 3"),
            (RevenueBase, {"years": 51}, "years must be a whole number from 1 to 50, not 51."),
            (RevenueBase, {"bookings_growth": -1}, "bookings_growth must be a finite number "
                                                   "above -1"),
            (CompanyFacts, {"acv_line": None}, "The ACV LINE must be a number >= 0"),
            (HealthModel, {"missing": 1.5}, "missing must be a finite number from 0 to 1"),
            (MetricSettings, {"qbr_min_arr": -1}, "qbr_min_arr must be a finite number >= 0"),
            (pressure.IncentivePressure, {"memory": 1}, "memory is 1. Give the share of trust "
                                                        "damage left a year later")]:
        with pytest.raises(ParameterError) as info:
            cls(**kwargs)
        assert str(info.value).startswith(says), str(info.value)
    assert CompanyFacts(arr=None).arr is None and CompanyFacts(acv=0).acv == 0


# The functions: (id, the name the message gives, the call, a value it takes).
ARR = pd.DataFrame({"account_id": ["a"] * 13 + ["b"] * 13,
                    "month": pd.PeriodIndex(list(pd.period_range("2023-01", "2024-01",
                                                                 freq="M")) * 2),
                    "arr": [100.0] * 13 + [100.0] * 10 + [60.0] * 3})
PANEL = ArrPanel.from_frame(ARR)
COMPANY = Company(folder=None, arr_monthly=ARR)
DAYS = pd.to_datetime(["2023-10-05", "2023-11-20", "2024-01-10"])
ANSWERS = pd.DataFrame({"date": DAYS, "score": [10, 6, 9]})
ONBOARDING = pd.DataFrame({"account_id": ["a", "b", "c"], "contract_date": DAYS,
                           "first_value_date": DAYS + pd.Timedelta(days=30)})
QBRS = pd.DataFrame({"date": DAYS, "account_id": ["a", "b", "a"]})
PIPELINE = pd.DataFrame({"created_date": DAYS, "type": "expansion", "amount": [10.0, 20.0, 5.0],
                         "cs_sourced": [True, False, False],
                         "cs_influenced": [False, True, False]})
DEALS = pd.DataFrame({"opportunity_id": ["r1", "r2", "e1"],
                      "type": ["renewal", "renewal", "expansion"], "amount": [900.0, 100.0, 50.0],
                      "status": ["won", "lost", "won"]})
SBG = ShiftedBetaGeometric().fit([1000, 869, 743, 653, 593, 551, 517, 491])

CALLS = [
    ("simple_ltv.value", "value per year", lambda v: simple_ltv(v, 0.1), 100.0),
    ("simple_ltv.churn", "churn", lambda v: simple_ltv(100.0, v), 0.1),
    ("simple_ltv.discount", "discount rate", lambda v: simple_ltv(100.0, 0.1, v), 0.1),
    ("capped_ltv.years", "years", lambda v: capped_ltv(100.0, 0.1, v), 3),
    ("sbg.derl.discount", "discount rate", lambda v: SBG.derl(v), 0.1),
    ("sbg.derl.renewals", "renewals", lambda v: SBG.derl(0.1, renewals=v), 2),
    ("sbg.lifetime_value", "value per year", lambda v: SBG.lifetime_value(v, 0.1), 100.0),
    ("bootstrap_sbg.draws", "draws", lambda v: bootstrap_sbg(SBG, draws=v, seed=1).draws, 10),
    ("interval.level", "level", lambda v: bootstrap_sbg(SBG, draws=10, seed=1).interval(
        [1.0, 2.0, 3.0], v), 0.9),
    ("survivor_cohorts.period_months", "period_months",
     lambda v: survivor_cohorts(PANEL, v).left_out, 6),
    ("simulate_survivors.alpha", "alpha", lambda v: simulate_survivors(v, 2.0, 50, 3, 1), 1.0),
    ("simulate_survivors.beta", "beta", lambda v: simulate_survivors(1.0, v, 50, 3, 1), 2.0),
    ("simulate_survivors.size", "size", lambda v: simulate_survivors(1.0, 2.0, v, 3, 1), 50),
    ("simulate_survivors.periods", "periods", lambda v: simulate_survivors(1.0, 2.0, 50, v, 1),
     3),
    ("retention.lookback", "lookback", lambda v: retention(PANEL, lookback=v), 12),
    ("retention_series.lookback", "lookback", lambda v: retention_series(PANEL, v), 6),
    ("compounded.months", "months", lambda v: compounded_monthly_retention(PANEL, months=v), 3),
    ("reactivated_arr.lookback", "lookback", lambda v: reactivated_arr(PANEL, lookback=v), 6),
    ("average_contract_value.stated", "stated",
     lambda v: average_contract_value(PANEL, stated=v), 90.0),
    ("nps.window_months", "window_months", lambda v: nps(ANSWERS, "2024-01", v), 6),
    ("time_to_value.window_months", "window_months",
     lambda v: time_to_value(ONBOARDING, "2024-01", v), 6),
    ("time_to_value.target_days", "target_days",
     lambda v: time_to_value(ONBOARDING, "2024-01", target_days=v), 45),
    ("qbr_coverage.window_months", "window_months",
     lambda v: qbr_coverage(QBRS, PANEL, "2024-01", v), 3),
    ("qbr_coverage.min_arr", "min_arr",
     lambda v: qbr_coverage(QBRS, PANEL, "2024-01", min_arr=v), 70.0),
    ("expansion_pipeline.window_months", "window_months",
     lambda v: expansion_pipeline_influenced(PIPELINE, "2024-01", v), 6),
    ("renewals.term_months", "term_months", lambda v: renewals(COMPANY, term_months=v), 12),
    ("renewal_test.lead_months", "lead_months",
     lambda v: renewal_test(COMPANY, lead_months=v).renewals, 3),
    ("renewal_test.bands", "bands", lambda v: renewal_test(COMPANY, bands=v).renewals, 5),
    ("HealthModel.weight", "weight of 'nps'",
     lambda v: HealthModel(weights={"nps": v, "adoption": 1.0}), 0.5),
    ("ownership_outcomes.pay_response", "pay_response",
     lambda v: co.ownership_outcomes(DEALS, pay_response=v), 0.05),
    ("self_assessment.score", "documented-handoff",
     lambda v: co.self_assessment({"documented-handoff": v})["score"].sum(), 2),
    ("check_weights", "incentive_purity",
     lambda v: reporting.check_weights({"incentive_purity": v}), 3.0),
    ("with_changes", "ceo/feedback_loop",
     lambda v: reporting.with_changes(reporting.scores(), {"ceo/feedback_loop": v}), 4.5),
    ("monte_carlo.n", "n", lambda v: reporting.monte_carlo(n=v), 200),
    ("monte_carlo.concentration", "concentration",
     lambda v: reporting.monte_carlo(n=200, concentration=v), 20.0),
    ("monte_carlo.seed", "seed", lambda v: reporting.monte_carlo(n=200, seed=v), 7),
    ("pressure.calibrated.nrr", "nrr",
     lambda v: pressure.IncentivePressure.calibrated(v, 0.9), 1.05),
    ("pressure.calibrated_within.grr", "grr",
     lambda v: pressure.IncentivePressure.calibrated_within(1.05, v), 0.9),
    ("pressure.calibrated.current_pressure", "current_pressure",
     lambda v: pressure.IncentivePressure.calibrated(1.05, 0.9, v), 0.5),
    ("pressure.for_company.current_pressure", "current_pressure",
     lambda v: pressure.IncentivePressure.for_company(1.05, 0.9, v), 0.5),
    ("pressure.peak.horizon_years", "horizon_years",
     lambda v: pressure.IncentivePressure().peak(v), 5),
    ("bookings_equivalent.nrr_change", "nrr_change",
     lambda v: bookings_equivalent(RevenueBase(), v), 0.05),
    ("nrr_matching_growth.growth", "growth",
     lambda v: nrr_matching_growth(RevenueBase(), v), 0.1),
]


@pytest.mark.parametrize(("name", "call", "ok"), [pytest.param(*c[1:], id=c[0]) for c in CALLS])
@pytest.mark.parametrize("bad", REFUSED, ids=["bool", "nan", "inf", "text"])
def test_a_models_argument_refuses_bool_nan_inf_and_text(name, call, ok, bad):
    with pytest.raises(ParameterError) as info:
        call(bad)
    message = str(info.value)
    assert _names(message, name) and repr(bad) in message, message


def _same(a, b) -> None:
    if isinstance(a, pd.DataFrame | pd.Series):
        pd.testing.assert_frame_equal(pd.DataFrame(a), pd.DataFrame(b), rtol=1e-6)
    elif dataclasses.is_dataclass(a):
        names = [f.name for f in dataclasses.fields(a)]
        _same(tuple(getattr(a, n) for n in names), tuple(getattr(b, n) for n in names))
    elif isinstance(a, Mapping):
        assert list(a) == list(b)
        _same(tuple(a.values()), tuple(b.values()))
    elif isinstance(a, tuple):
        for x, y in zip(a, b, strict=True):
            _same(x, y)
    elif isinstance(a, list | np.ndarray):
        np.testing.assert_allclose(np.asarray(a, float), np.asarray(b, float), rtol=1e-6)
    elif isinstance(a, float):
        assert a == pytest.approx(b, rel=1e-6)
    else:
        assert a == b


@pytest.mark.parametrize(("name", "call", "ok"), [pytest.param(*c[1:], id=c[0]) for c in CALLS])
def test_a_models_argument_takes_numpys_numbers(name, call, ok):
    expected = call(ok)
    kinds = (np.int64, np.int32, np.float64) if isinstance(ok, int) else (np.float64,
                                                                            np.float32)
    for kind in kinds:
        _same(call(kind(ok)), expected)


@pytest.mark.parametrize(("name", "ok"), [("gross_margin", 0.75), ("interval_level", 0.9),
                                          ("bootstrap_draws", 50), ("seed", 3),
                                          ("ltv_cap_years", 5), ("projection_periods", 10),
                                          ("period_months", 12)])
@pytest.mark.parametrize("bad", REFUSED, ids=["bool", "nan", "inf", "text"])
def test_the_functions_chapter_refuses_bool_nan_inf_and_text(sample_dir, name, ok, bad):
    with pytest.raises(ParameterError) as info:
        functions_summary(_sample(sample_dir), Profile(), **{name: bad})
    assert str(info.value).startswith(f"{name} must be ") and repr(bad) in str(info.value)


@pytest.mark.slow
def test_the_functions_chapter_takes_numpys_numbers(sample_dir):
    plain = functions_summary(_sample(sample_dir), Profile(), bootstrap_draws=20, seed=3,
                              gross_margin=0.75, period_months=12)
    given = functions_summary(_sample(sample_dir), Profile(), bootstrap_draws=np.int64(20),
                              seed=np.int32(3), gross_margin=np.float64(0.75),
                              period_months=np.int64(12))
    assert given.to_dict() == plain.to_dict()


@functools.cache
def _sample(folder):
    return load_company(folder)


@pytest.mark.parametrize("text", ["nan", "inf", "-inf", "True", "-1"])
def test_an_amount_on_the_command_line_is_a_finite_number(text, capsys):
    from csmodels.cli import main

    with pytest.raises(SystemExit) as stopped:
        main(["recommend", f"--acv={text}"])
    err = capsys.readouterr().err
    assert stopped.value.code == 2 and "Traceback" not in err
    assert f"'{text}' must be a number >= 0" in err or f"'{text}' is not a number" in err, err


def test_retention_gives_its_figures_by_to_dict():
    figures = retention(PANEL, lookback=12)
    assert figures.to_dict()["nrr"] == pytest.approx(160 / 200)
    assert not hasattr(figures, "as_dict")
    assert list(retention_series(PANEL, 12).columns) == list(figures.to_dict())


@pytest.mark.parametrize(("name", "bad"), [("months", 0), ("months", "24"),
                                           ("n_initial_accounts", float("nan")),
                                           ("new_accounts_per_month", True)])
def test_the_generators_shape_is_checked_by_name(name, bad):
    from csmodels.synth import CompanyShape, generate_company

    with pytest.raises(ParameterError, match=rf"^CompanyShape\.{name} must be .*, not "
                                             rf"{re.escape(repr(bad))}\."):
        generate_company(dataclasses.replace(CompanyShape(), **{name: bad}))
