"""The package's errors read as sentences on the terminal, whatever they were raised with."""

from __future__ import annotations

import subprocess
import sys

import pytest

from csmodels.exceptions import CsModelsError, DataError, ParameterError, Problem
from csmodels.pressure import IncentivePressure


@pytest.mark.parametrize(("args", "text"), [
    (("NRR 1.1 and GRR 0.96 imply a negative base rate.", "Lower the gains."),
     "NRR 1.1 and GRR 0.96 imply a negative base rate. Lower the gains."),
    (("ownership_model is 'x'.", "Use one of a, b"), "ownership_model is 'x'. Use one of a, b."),
    (("One sentence only.",), "One sentence only."),
    (("What is wrong", "", "What to do?"), "What is wrong. What to do?"),
])
def test_an_error_with_several_parts_is_sentences_not_a_tuple(args, text):
    for cls in (CsModelsError, ParameterError):
        assert str(cls(*args)) == text
        assert "('" not in str(cls(*args))


def test_a_data_error_keeps_its_lines():
    err = DataError([Problem("a.csv", "Bad.", "Fix it.", column="arr", rows=(3,))])
    assert str(err).endswith("\n- a.csv, column 'arr', row 3: Bad. Fix it.")


def test_a_model_error_reaches_the_terminal_as_a_sentence(tmp_path):
    # a negative base rate: the calibration's own two-part error, raised in-process
    with pytest.raises(ParameterError) as caught:
        IncentivePressure.calibrated(1.5, 0.999, current_pressure=0.9, trust_cost=0.9)
    assert not str(caught.value).startswith("(")
    # and through the command line: a chapter's parameter error is one readable line
    done = subprocess.run([sys.executable, "-m", "csmodels", "rerun", "collaboration",
                           "--data", "data/sample", "--out", str(tmp_path / "out"),
                           "-p", "ownership_model", "nobody"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert "ownership model 'nobody'. Use one of" in done.stderr
    assert "Traceback" not in done.stderr and "('" not in done.stderr
