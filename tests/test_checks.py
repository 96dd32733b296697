"""One check of a scalar setting (``csmodels._checks``): the same types pass and fail
everywhere it is used, and the message names the setting."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from csmodels import benchmark_for_acv, load_profile
from csmodels._checks import check_fields, check_number, is_number, number_rule
from csmodels.exceptions import DataError, ParameterError
from csmodels.inputs.mapping import load_mapping
from csmodels.parameters import check_value


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


def test_check_fields_checks_each_named_field():
    class Settings:
        nrr, grr, label = 1.05, float("nan"), "text"

    check_fields(Settings(), ("nrr",), low=0)
    with pytest.raises(ParameterError, match=r"^grr must be a finite number >= 0, not nan"):
        check_fields(Settings(), ("nrr", "grr"), low=0)


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
