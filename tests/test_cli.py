"""The ``csmodels metrics`` command against the library and the contract."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

import csmodels as cs


def run(*args):
    return subprocess.run([sys.executable, "-m", "csmodels", *args], capture_output=True,
                          text=True, timeout=120)


def test_json_matches_the_library(sample_dir):
    result = run("metrics", "--data", str(sample_dir), "--json")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    # the keys are the summary's fields, declared once in csmodels/kpis.py
    assert set(out) == {f.name for f in cs.MetricsSummary.fields()} | {"missing_tables"}
    expected = cs.kpis.summarise(sample_dir)  # the chapter's call
    assert out == json.loads(json.dumps(expected.to_dict()))  # rounded as --help says
    bare = cs.metrics_summary(cs.load_company(sample_dir)).to_dict()
    assert {k: v for k, v in out.items() if k not in ("settings", "ex")} == json.loads(
        json.dumps({k: v for k, v in bare.items() if k not in ("settings", "ex")}))
    assert out["as_of"] == str(cs.load_company(sample_dir).arr_monthly["month"].max())
    for key in ("nrr", "grr", "logo_churn"):
        assert isinstance(out[key], float) and 0 < out[key] < 2  # fractions, not percent


def test_as_of_moves_the_figures(sample_dir):
    last = json.loads(run("metrics", "--data", str(sample_dir), "--json").stdout)
    earlier = json.loads(run("metrics", "--data", str(sample_dir), "--json",
                             "--as-of", "2025-06").stdout)
    assert earlier["as_of"] == "2025-06" and earlier["nrr"] != last["nrr"]
    panel = cs.ArrPanel.from_frame(cs.load_company(sample_dir).arr_monthly)
    assert earlier["nrr"] == pytest.approx(cs.retention(panel, "2025-06").nrr)


def test_readable_table(sample_dir):
    result = run("metrics", "--data", str(sample_dir))
    assert result.returncode == 0
    summary = cs.metrics_summary(cs.load_company(sample_dir))
    assert "Net revenue retention (NRR)" in result.stdout
    for _, label, shown in summary.rows():  # every figure, labelled as the summary says
        assert re.search(rf"^  {re.escape(label)} +{re.escape(shown)}$", result.stdout, re.M)


def test_nps_is_null_without_responses(tmp_path):
    (tmp_path / "arr_monthly.csv").write_text(
        "account_id,month,arr\n" + "".join(f"a,2023-{m:02d},100\n" for m in range(1, 13))
        + "a,2024-01,90\n", encoding="utf-8")  # a row in every month: none may be empty
    out = json.loads(run("metrics", "--data", str(tmp_path), "--json").stdout)
    assert out["nps"] is None and out["grr"] == pytest.approx(0.9)
    assert "n/a" in run("metrics", "--data", str(tmp_path)).stdout


@pytest.mark.parametrize("args, fragment", [
    (["--as-of", "2025-13"], "not a month"),
    (["--as-of", "1999-01"], "outside the data"),
    (["--as-of", "2023-03"], "needs 12 months of history"),
])
def test_bad_arguments_exit_2(sample_dir, args, fragment):
    result = run("metrics", "--data", str(sample_dir), "--json", *args)
    assert result.returncode == 2 and fragment in result.stderr
    assert "Traceback" not in result.stderr


def test_help_and_version():
    assert run("metrics", "--help").returncode == 0
    assert cs.__version__ in run("--version").stdout


def test_a_closed_pipe_is_not_an_error(sample_dir):
    """`csmodels metrics | head -1`: the reader goes away before the output is written."""
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-m", "csmodels", "metrics", "--data",
                             str(sample_dir), "--json"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    proc.stdout.close()  # long before the child has imported pandas
    with proc.stderr:
        err = proc.stderr.read().decode()
    assert proc.wait() == 0 and "Traceback" not in err and "BrokenPipe" not in err, err


@pytest.mark.parametrize("flag", ["--arr", "--acv"])
def test_recommend_refuses_an_amount_above_the_loaders_ceiling(flag, capsys):
    from csmodels.cli import main

    with pytest.raises(SystemExit) as stopped:
        main(["recommend", flag, "1e308"])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "above 1e+15" in err and "Traceback" not in err
    # the ceiling itself is taken
    assert main(["recommend", "--arr", "1e15", "--acv", "1e15", "--json"]) == 0
