"""-p values: read as data, checked against the chapter's declared types, written as data.

The cell that sets the values is one ``json.loads`` of one string literal: whatever the
values hold (checked by Hypothesis over arbitrary text and nested values), the cell
parses to the same statement and running it binds exactly those values.
"""

from __future__ import annotations

import ast
import math
import subprocess
import sys

import nbformat
import pytest
from hypothesis import given
from hypothesis import strategies as st

from csmodels.cli import main
from csmodels.exceptions import ParameterError
from csmodels.parameters import (
    MAX_DEPTH,
    MAX_INT,
    MAX_ITEMS,
    MAX_TEXT,
    book_parameters,
    check_parameters,
    check_value,
    inject_parameters,
    parameters_source,
    parse_value,
)
from csmodels.rerun import book_root, list_chapters

ROOT = book_root()
NOTEBOOKS = {name: ROOT / "chapters" / f"{name}.ipynb" for name in list_chapters(ROOT)}
# The exploit of issue 14: papermill wrote this tuple as "('" + ... + "',)" unescaped.
EXPLOIT = ("('\"[:0]+\"2025-1\"+str(__import__(\"os\").system(\"touch {mark}\")) #',)")

scalars = (st.none() | st.booleans() | st.integers(-MAX_INT, MAX_INT)
           | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=50))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.text(max_size=10), inner, max_size=4), max_leaves=20)


def template_dump(source: str) -> str:
    """The statement with its one string constant blanked: the shape of the code."""
    tree = ast.parse(source)
    constants = [n for n in ast.walk(tree) if isinstance(n, ast.Constant)]
    assert sorted(type(n.value).__name__ for n in constants) == ["str", "str"]
    text = [n for n in constants if n.value != "json"]
    assert len(text) == 1  # "json" and the JSON text, nothing else
    text[0].value = ""
    return ast.dump(tree)


SHAPE = template_dump(parameters_source({}))


def run_cell(source: str) -> dict:
    namespace: dict = {}
    exec(compile(source, "<injected>", "exec"), namespace)  # the cell, as the kernel runs it
    namespace.pop("__builtins__")
    return namespace


def same(a, b) -> bool:
    """Equal, with types (True is not 1) and the sign of zero."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    return a == b


@given(st.text(), values, values)
def test_any_values_round_trip_exactly_and_never_run(text, nested, other):
    sent = {"text": text, "nested": nested, "other": other}
    for name, value in sent.items():
        assert check_value(name, value) is value
    source = parameters_source(sent)
    assert template_dump(source) == SHAPE  # the same one statement whatever the values
    received = run_cell(source)
    assert list(received) == list(sent) and all(same(received[k], sent[k]) for k in sent)


@given(st.text(max_size=200))
def test_any_typed_text_is_a_value_or_refused_never_run(text):
    value = parse_value(text)
    try:
        checked = check_value("x", value)
    except ParameterError as err:
        assert str(err).startswith("-p x: ")
        return
    assert same(run_cell(parameters_source({"x": checked}))["x"], checked)


@pytest.mark.parametrize("text, says", [
    ("[" * 5000 + "]" * 5000, "text ('[[["),  # too deep for Python's parser: text
    ("[" * 50 + "]" * 50, "nested more than 4 deep"),
    ("9" * 5000, "text ('999"),  # beyond Python's digit limit: text
    ("9" * 20, "an integer beyond"),
    ("1e999", "inf, which is not a finite number"),
    ("{'a': " * 30 + "1" + "}" * 30, "nested more than 4 deep"),
    ("x" * (MAX_TEXT + 1), "text longer than 10,000 characters"),
])
def test_huge_or_deep_typed_values_are_refused(text, says):
    with pytest.raises(ParameterError) as err:
        check_value("weights", parse_value(text), "dict", "None")
    assert says in str(err.value) and len(str(err.value)) < 400


def test_the_issues_exploit_is_refused(tmp_path):
    value = parse_value(EXPLOIT.format(mark=tmp_path / "PWNED"))
    assert isinstance(value, tuple)
    with pytest.raises(ParameterError, match=r"-p as_of: a tuple is not a value"):
        check_value("as_of", value, "str", "None")


@pytest.mark.parametrize("value, says", [
    (("x",), "a tuple"),
    ({1, 2}, "a set"),
    (frozenset({1}), "a set"),
    (b"x", "bytes"),
    (1j, "a complex number"),
    (Ellipsis, "Ellipsis"),
    (float("nan"), "nan, which is not a finite number"),
    (float("inf"), "inf, which is not a finite number"),
    (float("-inf"), "-inf, which is not a finite number"),
    (MAX_INT + 1, "an integer beyond"),
    (-(10**400), "an integer beyond"),
    ("x" * (MAX_TEXT + 1), "text longer than"),
    ([[[[[1]]]]], f"nested more than {MAX_DEPTH} deep"),
    ({"a": {"b": {"c": {"d": {}}}}}, f"nested more than {MAX_DEPTH} deep"),
    (list(range(MAX_ITEMS + 1)), "more than 1,000 items"),
    ({1: 0.5}, "key 1 is an integer, not text"),
    ({("a",): 1}, "key ('a',) is a tuple, not text"),
    ([("a", 1)], "a tuple"),
    ({"a": {1, 2}}, "a set"),
    (object(), "a object"),
])
def test_what_no_parameter_can_take_is_refused(value, says):
    with pytest.raises(ParameterError) as err:
        check_value("weights", value, "dict", "None")
    message = str(err.value)
    assert message.startswith("-p weights: ") and says in message
    assert "weights takes a dict of text keys to values" in message


@pytest.mark.parametrize("declared, default, value, says", [
    ("int", "5", True, "True/False (True) is not allowed here. years takes an integer."),
    ("int", "5", 2.5, "a number (2.5) is not allowed here. years takes an integer."),
    ("int", "5", "five", "text ('five') is not allowed here. years takes an integer."),
    ("int", "5", None, "None is not allowed here. years takes an integer."),
    ("float", "None", False, "years takes a number (or None)."),
    ("float", "None", [1.0], "a list ([1.0]) is not allowed"),
    ("str", "None", 2025, "years takes text (or None). To give the text 2025, quote it"),
    ("str", "None", {"a": 1}, "a dict ({'a': 1}) is not allowed here. years takes text"),
    ("bool", "False", 1, "an integer (1) is not allowed here. years takes True or False."),
    ("bool", "False", "true", "years takes True or False."),
    ("dict", "None", [1], "a list ([1]) is not allowed here. years takes a dict"),
    ("list", "None", {"a": 1}, "years takes a list"),
])
def test_each_value_is_checked_against_the_declared_type(declared, default, value, says):
    with pytest.raises(ParameterError, match=None) as err:
        check_value("years", value, declared, default)
    assert says in str(err.value)


def test_values_the_declared_type_takes():
    assert check_value("nrr", 1, "float", "None") == 1.0
    assert isinstance(check_value("nrr", 1, "float", "None"), float)
    assert check_value("nrr", None, "float", "None") is None
    assert check_value("w", {"adoption": 1, "nps": [0.5, None]}, "dict", "None") == {
        "adoption": 1, "nps": [0.5, None]}
    assert check_value("as_of", "2025-06", "str", "None") == "2025-06"
    assert check_value("flag", True, "bool", "False") is True


def test_the_chapters_declared_types_are_used():
    metrics = NOTEBOOKS["metrics"]
    assert check_parameters(metrics, {"lookback_months": 6, "qbr_min_arr": 10}) == {
        "lookback_months": 6, "qbr_min_arr": 10.0}
    with pytest.raises(ParameterError, match="lookback_months takes an integer"):
        check_parameters(metrics, {"lookback_months": 6.5})
    with pytest.raises(ParameterError, match="set by --data/--profile"):
        check_parameters(metrics, {"profile_path": "x"})
    with pytest.raises(ParameterError, match=r"no parameter 'as_off'.*as_of \(str\)"):
        check_parameters(metrics, {"as_off": "2025-01"})
    with pytest.raises(ParameterError) as err:  # a terminal escape is shown, not sent
        check_parameters(metrics, {"a\x1b[31m\n": 1})
    assert "'a\\x1b[31m\\n'" in str(err.value) and "\x1b" not in str(err.value)


def test_the_cell_sits_after_the_parameters_cell_and_hides_nothing():
    nb = nbformat.read(NOTEBOOKS["metrics"], as_version=4)
    at = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
    inject_parameters(nb, {"as_of": "2025-06"})
    cell = nb.cells[at + 1]
    assert cell.metadata.tags == ["injected-parameters"]
    assert run_cell(cell.source) == {"as_of": "2025-06"}


def test_book_parameters_by_name_and_by_chapter():
    per = book_parameters(NOTEBOOKS, {"as_of": "2025-06", "metrics.lookback_months": 6})
    having = [c for c in NOTEBOOKS if "as_of" in per[c]]
    assert having == ["functions", "metrics"]  # every chapter that has as_of, no other
    assert per["metrics"] == {"as_of": "2025-06", "lookback_months": 6}
    assert per["reporting"] == {} and per["functions"] == {"as_of": "2025-06"}


@pytest.mark.parametrize("key, value, says", [
    ("as_off", "2025-06", "-p as_off: No chapter has a parameter 'as_off'"),
    ("as_of\x1b[2J", "2025-06", "-p as_of\\x1b[2J: No chapter has a parameter 'as_of\\x1b[2J'"),
    ("metrics.years", 5, "-p metrics.years: The chapter metrics has no parameter 'years'"),
    ("metricz.as_of", "2025-06", "there is no chapter 'metricz'"),
    (".as_of", "2025-06", "there is no chapter ''"),
    ("data_dir", "x", "set by --data/--profile"),
    ("metrics.profile_path", "x", "set by --data/--profile"),
    ("years", "five", "-p years: text ('five') is not allowed here. years takes an integer."),
])
def test_book_parameters_refused(key, value, says):
    with pytest.raises(ParameterError) as err:
        book_parameters(NOTEBOOKS, {key: value})
    assert says in str(err.value)
    if "parameter '" in says or "no chapter" in says:
        assert "Valid names: " in str(err.value) and "as_of" in str(err.value)
        assert "CHAPTER.NAME" in str(err.value)


# ------------------------------------------------------------------ the command line


@pytest.mark.parametrize("value, says", [
    ("('x',)", "a tuple is not a value"),
    ("{1, 2}", "a set is not a value"),
    ("b'x'", "bytes is not a value"),
    ("1e999", "inf, which is not a finite number"),
    ("[[[[[1]]]]]", "nested more than 4 deep"),
    ("123", "To give the text 123, quote it"),
])
@pytest.mark.parametrize("command", ["rerun", "book"])
def test_the_command_line_refuses_with_exit_2(tmp_path, capsys, value, says, command):
    data = ROOT / "data" / "messy_export"
    chapter = ["metrics"] if command == "rerun" else []
    code = main([command, *chapter, "--data", str(data), "--out", str(tmp_path / "o"),
                 "-p", "as_of", value])
    err = capsys.readouterr().err
    assert code == 2 and f"csmodels {command}: -p as_of: " in err and says in err
    assert "Traceback" not in err and not (tmp_path / "o").exists()


def test_book_refuses_a_name_no_chapter_has(tmp_path, capsys):
    code = main(["book", "--data", str(ROOT / "data" / "messy_export"),
                 "--out", str(tmp_path / "o"), "-p", "lookbak_months", "6"])
    err = capsys.readouterr().err
    assert code == 2 and "No chapter has a parameter 'lookbak_months'" in err
    assert "lookback_months" in err and not (tmp_path / "o").exists()


def test_the_issues_exploit_exits_2_and_runs_nothing(tmp_path):
    mark = tmp_path / "PWNED"
    done = subprocess.run([sys.executable, "-m", "csmodels", "rerun", "metrics", "--data",
                           str(ROOT / "data" / "sample"), "--out", str(tmp_path / "o"),
                           "-p", "as_of", EXPLOIT.format(mark=mark)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "a tuple is not a value" in done.stderr
    assert "Traceback" not in done.stderr
    assert not mark.exists() and not (tmp_path / "o").exists()
