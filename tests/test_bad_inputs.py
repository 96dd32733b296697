"""The bad-input corpus (tests/bad_inputs, made by make_corpus.py): every broken folder
gets exit code 2 and a message naming the file, the column and what to do, with no
traceback, nothing written and the folder untouched; every acceptable one loads."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import folder_digest

from csmodels.cli import main

CORPUS = Path(__file__).resolve().parent / "bad_inputs"
CASES = sorted(p.name for p in CORPUS.iterdir() if (p / "expect.yml").exists())


def expectation(case: str) -> dict:
    return yaml.safe_load((CORPUS / case / "expect.yml").read_text())


def test_the_corpus_is_broad():
    assert len(CASES) >= 120
    tables = {"arr", "accounts", "nps", "usage", "onboarding", "qbrs", "opps", "handoffs",
              "mapping", "xlsx", "profile", "template"}
    assert tables <= {case.split("_")[0] for case in CASES}
    assert sum(expectation(c)["exit"] == 0 for c in CASES) >= 10
    assert sum(bool(expectation(c)["says"]) for c in CASES) >= 45


def command_for(case: str, folder: Path) -> list[str]:
    run = expectation(case)["run"]
    if run == "recommend":
        return ["recommend", "--profile", str(folder / "profile.yml")]
    if run == "mapping-template":
        return ["mapping-template", "--data", str(folder), "--out", "-"]
    return ["metrics", "--data", str(folder), "--json"]


def assert_refused(code: int, out: str, err: str, command: str, expect: dict) -> None:
    """Exit 2, nothing on stdout, one message naming the file (and column) with what to
    do and what the case must say, and no raw control character from the data."""
    assert code == 2, err
    assert out == "" and "Traceback" not in err
    assert err.startswith(f"csmodels {command}: ") and expect["file"] in err, err
    if expect.get("column"):
        assert f"column '{expect['column']}'" in err, err
    for fragment in expect.get("says") or []:
        assert fragment in err, (fragment, err)
    assert all(ch == "\n" or ch.isprintable() for ch in err), repr(err)
    assert any(verb in err for verb in ("Add", "Correct", "Rename", "Keep", "Export", "Save",
                                        "Give", "Fill", "Put", "Check", "Choose", "Use",
                                        "Write", "Retype", "Fix", "Name", "Move")), err


@pytest.mark.parametrize("case", CASES)
def test_each_case_is_answered(case, capsys):
    folder = CORPUS / case
    expect = expectation(case)
    before = folder_digest(folder)
    argv = command_for(case, folder)
    code = main(argv)
    out, err = capsys.readouterr()
    assert folder_digest(folder) == before
    if expect["exit"] == 0:
        assert code == 0, err
        assert '"nrr"' in out and not err
        return
    assert_refused(code, out, err, argv[0], expect)


@pytest.mark.parametrize("case", ["arr_binary_garbage", "arr_garbage_xlsx", "nps_score_11",
                                  "arr_is_a_folder"])
def test_a_real_process_exits_2_without_a_traceback(case, tmp_path):
    done = subprocess.run([sys.executable, "-m", "csmodels", "metrics", "--data",
                           str(CORPUS / case)], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr and done.stdout == ""
    assert list(tmp_path.iterdir()) == []


def test_a_huge_id_is_just_an_id(tmp_path, capsys):
    big = "A" * 5_000_000
    months = [f"2024-{m:02d}" for m in range(1, 13)] + ["2025-01"]
    rows = "".join(f"{big},{m},{100 if m < '2025' else 150}\n" for m in months)
    (tmp_path / "arr_monthly.csv").write_text("account_id,month,arr\n" + rows)
    assert main(["metrics", "--data", str(tmp_path), "--json"]) == 0
    assert '"nrr": 1.5' in capsys.readouterr().out


def test_a_huge_bad_field_gets_a_short_message(tmp_path, capsys):
    (tmp_path / "arr_monthly.csv").write_text(
        "account_id,month,arr\nA1,2024-01," + "9x" * 2_500_000 + "\n", encoding="utf-8")
    code = main(["metrics", "--data", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and "arr_monthly.csv" in err and "column 'arr'" in err
    assert len(err) < 2_000  # the message quotes the start of the field, not all of it


def test_a_file_given_as_the_folder(tmp_path, capsys):
    target = tmp_path / "arr_monthly.csv"
    target.write_text("account_id,month,arr\n")
    assert main(["metrics", "--data", str(target)]) == 2
    assert "is a file, not a folder" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.parametrize("case", ["arr_negative_amount", "nps_score_11", "arr_utf16"])
def test_rerun_refuses_bad_data_before_writing(case, tmp_path):
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "csmodels", "rerun", "metrics", "--data",
                           str(CORPUS / case), "--out", str(out)], capture_output=True,
                          text=True)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert expectation(case)["file"] in done.stderr
    assert not out.exists() and list(tmp_path.iterdir()) == []
