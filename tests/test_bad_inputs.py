"""The bad-input corpus (tests/bad_inputs, made by make_corpus.py): every broken folder
gets exit code 2 and a message naming the file, the column and what to do, with no
traceback, nothing written and the folder untouched; every acceptable one loads."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
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


# ---------------------------------------------------------------------------------------
# Cases made at test time: big files, links, pipes and names git should not hold.

# A2 leaves after 2024-01; every month has a row (a month with none is refused)
ARR = ("account_id,month,arr\n" + "".join(f"A1,2024-{m:02d},100\n" for m in range(1, 13))
       + "A2,2024-01,50\nA1,2025-01,120\n")


def answer(argv: list[str], capsys) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def refused(folder: Path, capsys, file: str, *says: str, column: str | None = None,
            argv: list[str] | None = None) -> str:
    """Run ``argv`` (metrics on ``folder`` by default), check the refusal and that the
    folder is untouched; the message."""
    before = folder_digest(folder)
    argv = argv or ["metrics", "--data", str(folder), "--json"]
    code, out, err = answer(argv, capsys)
    assert_refused(code, out, err, argv[0], {"file": file, "column": column,
                                             "says": list(says)})
    assert folder_digest(folder) == before
    return err


def arr_folder(tmp_path: Path, text: str = ARR, name: str = "data") -> Path:
    folder = tmp_path / name
    folder.mkdir()
    (folder / "arr_monthly.csv").write_text(text, encoding="utf-8")
    return folder


def test_twenty_thousand_columns_are_refused_by_count(tmp_path, capsys):
    header = ",".join(["account_id", "month", "arr"] + [f"c{i}" for i in range(20_000)])
    folder = arr_folder(tmp_path, header + "\n" + "A1,2024-01,1" + ",x" * 20_000 + "\n")
    refused(folder, capsys, "arr_monthly.csv", "20,003 columns", "above the 5,000")


def test_a_repeated_name_among_thousands_of_columns_is_named(tmp_path, capsys):
    names = ["account_id", "month", "arr"] + [f"c{i}" for i in range(4_900)] + ["c17"]
    folder = arr_folder(tmp_path, ",".join(names) + "\nA1,2024-01,1" + ",x" * 4_901 + "\n")
    refused(folder, capsys, "arr_monthly.csv", "appear twice: 'c17'.")


def test_thousands_of_columns_through_a_mapping(tmp_path, capsys):
    names = ["Account", "Month", "ARR"] + [f"c{i}" for i in range(6_000)]
    folder = arr_folder(tmp_path, ";".join(names) + "\nA1;2024-01;1" + ";x" * 6_000 + "\n")
    (folder / "mapping.yml").write_text("tables:\n  arr_monthly:\n    file: arr_monthly.csv\n")
    refused(folder, capsys, "arr_monthly.csv", "6,003 columns")


def test_a_header_longer_than_64_kb_is_read_whole(tmp_path, capsys):
    long = "n" * 70_000
    folder = arr_folder(tmp_path, f"account_id,month,arr,{long},{long}x\n"
                        + "".join(f"A1,2024-{m:02d},1,a,b\n" for m in range(1, 13))
                        + "A1,2025-01,2,a,b\n")
    code, out, err = answer(["metrics", "--data", str(folder), "--json"], capsys)
    assert code == 0 and '"nrr": 2.0' in out, err
    (folder / "arr_monthly.csv").write_text(f"account_id,month,arr,{long},{long}\nA1,2024-01,1,"
                                            "a,b\n")
    err = refused(folder, capsys, "arr_monthly.csv", "appear twice: 'nnnn")
    assert len(err) < 2_000


def test_a_header_longer_than_the_budget_is_refused(tmp_path, capsys):
    folder = arr_folder(tmp_path, "account_id,month,arr," + "n" * (2 << 20) + "\nA1,2024-01,1,x\n")
    refused(folder, capsys, "arr_monthly.csv", "header row is longer than 1 MiB")


def test_a_panel_beyond_the_memory_budget_is_refused(tmp_path, capsys):
    """400k accounts, each with a row in 1970-01 and one in 2100-12 (a 14 MB file), would
    ask for 4.7 GiB of panel."""
    rows = "".join(f"A{i},1970-01,1\nA{i},2100-12,1\n" for i in range(400_000))
    folder = arr_folder(tmp_path, "account_id,month,arr\n" + rows)
    refused(folder, capsys, "arr_monthly.csv", "400,000 accounts over 1,572 months",
            "628,800,000 account-months", "budget of 150,000,000", "4.68 GiB", column="month")


def test_the_fingerprint_skips_stray_files_links_and_pipes(tmp_path, capsys):
    from csmodels.inputs import folder_fingerprint, input_files

    folder = arr_folder(tmp_path)
    clean = folder_fingerprint(folder)
    with open(folder / "huge.bin", "wb") as fh:
        fh.truncate(200 << 30)  # a 200 GB sparse file: reading it would take minutes
    (folder / "mem").symlink_to("/proc/self/mem")
    os.mkfifo(folder / "pipe")
    (folder / "notes.txt").write_text("not a table")
    assert folder_fingerprint(folder) == clean
    assert [p.name for p in input_files(folder)] == ["arr_monthly.csv"]
    code, out, err = answer(["metrics", "--data", str(folder), "--json"], capsys)
    assert code == 0 and '"nrr"' in out, err
    (folder / "arr_monthly.csv").write_text(ARR.replace("120", "121"))
    assert folder_fingerprint(folder) != clean


def test_the_fingerprint_covers_the_mapped_files(tmp_path):
    from csmodels.inputs import folder_fingerprint, input_files

    folder = arr_folder(tmp_path)
    (folder / "arr_monthly.csv").rename(folder / "Billing.csv")
    (folder / "mapping.yml").write_text("tables:\n  arr_monthly:\n    file: Billing.csv\n")
    assert [p.name for p in input_files(folder)] == ["Billing.csv", "mapping.yml"]
    before = folder_fingerprint(folder)
    (folder / "Billing.csv").write_text(ARR.replace("120", "121"))
    assert folder_fingerprint(folder) != before


def test_a_table_linked_to_proc_self_mem_is_refused(tmp_path, capsys):
    folder = arr_folder(tmp_path)
    (folder / "accounts.csv").symlink_to("/proc/self/mem")
    refused(folder, capsys, "accounts.csv", "link to a file outside the data folder")


def test_a_table_linked_out_of_the_folder_is_not_shown(tmp_path, capsys):
    secret = tmp_path / "secret.csv"
    secret.write_text("account_id,month,arr\nTOPSECRET,2024-01,oops\n")
    folder = arr_folder(tmp_path)
    (folder / "arr_monthly.csv").unlink()
    (folder / "arr_monthly.csv").symlink_to(secret)
    err = refused(folder, capsys, "arr_monthly.csv", "link to a file outside")
    assert "TOPSECRET" not in err


@pytest.mark.parametrize(("target", "says"), [
    ("arr_monthly.csv", "leads round in a loop"), ("nowhere.csv", "file that does not exist"),
    ("/proc/self/mem", "outside the data folder")])
def test_links_that_lead_nowhere(tmp_path, capsys, target, says):
    folder = arr_folder(tmp_path)
    (folder / "arr_monthly.csv").unlink()
    (folder / "arr_monthly.csv").symlink_to(target)
    refused(folder, capsys, "arr_monthly.csv", says)


def test_a_mapping_linked_out_of_the_folder_is_not_read(tmp_path, capsys):
    secret = tmp_path / "id_rsa"
    secret.write_text("-----BEGIN KEY-----\nTOPSECRET: [\n")
    folder = arr_folder(tmp_path)
    (folder / "mapping.yml").symlink_to(secret)
    err = refused(folder, capsys, "mapping.yml", "leads out of the data folder")
    assert "TOPSECRET" not in err


def test_a_link_inside_the_folder_is_read(tmp_path, capsys):
    folder = arr_folder(tmp_path)
    (folder / "arr_monthly.csv").rename(folder / "arr-2025.csv")
    (folder / "arr_monthly.csv").symlink_to(folder / "arr-2025.csv")
    code, out, err = answer(["metrics", "--data", str(folder), "--json"], capsys)
    assert code == 0 and '"nrr": 0.8' in out, err


@pytest.mark.parametrize("name", ["arr_monthly.csv", "mapping.yml"])
def test_a_named_pipe_is_refused_without_waiting(tmp_path, name):
    folder = arr_folder(tmp_path)
    (folder / name).unlink(missing_ok=True)
    os.mkfifo(folder / name)
    done = subprocess.run([sys.executable, "-m", "csmodels", "metrics", "--data", str(folder)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert name in done.stderr and "named pipe (FIFO), not a file" in done.stderr


def test_a_profile_that_is_a_pipe_is_refused(tmp_path):
    os.mkfifo(tmp_path / "profile.yml")
    done = subprocess.run([sys.executable, "-m", "csmodels", "recommend", "--profile",
                           str(tmp_path / "profile.yml")], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2 and "named pipe" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_table_is_named(tmp_path, capsys):
    folder = arr_folder(tmp_path)
    (folder / "arr_monthly.csv").chmod(0)
    try:
        refused(folder, capsys, "arr_monthly.csv", "permission denied")
    finally:
        (folder / "arr_monthly.csv").chmod(0o644)


def test_a_big_mapping_file_is_refused(tmp_path, capsys):
    folder = arr_folder(tmp_path)
    (folder / "mapping.yml").write_text("# padding\n" * 200_000)
    refused(folder, capsys, "mapping.yml", "larger than 1 MiB")


def test_a_workbook_with_a_300_mb_inline_string_is_refused(tmp_path, capsys):
    """A 300 KB file that would unpack to 300 MB (and take 1.9 GB to read)."""
    folder = tmp_path / "data"
    folder.mkdir()
    _corpus_module().write_inline_string_xlsx(folder / "arr_monthly.xlsx")
    assert (folder / "arr_monthly.xlsx").stat().st_size < 1_000_000
    refused(folder, capsys, "arr_monthly.xlsx", "unpacks to 286 MiB", "above the 256 MiB")


def _corpus_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_corpus", CORPUS / "make_corpus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_folder_name_that_is_not_utf8(tmp_path):
    folder = arr_folder(tmp_path, name=os.fsdecode(b"caf\xe9"))
    for argv in (["metrics", "--data", str(folder)],
                 ["mapping-template", "--data", str(folder), "--out", "-"]):
        done = subprocess.run([sys.executable, "-m", "csmodels", *argv], capture_output=True,
                              cwd=tmp_path, timeout=120)
        err = done.stderr.decode("utf-8")
        assert done.returncode == 2 and "Traceback" not in err and done.stdout == b""
        assert "caf\\udce9" in err and "name is not UTF-8 text" in err and "Rename" in err


def test_a_file_name_that_is_not_utf8_stops_the_template(tmp_path, capsys):
    folder = arr_folder(tmp_path)
    (folder / os.fsdecode(b"Billing\xff.csv")).write_text(ARR)
    refused(folder, capsys, "Billing\\udcff.csv", "name is not UTF-8 text",
            argv=["mapping-template", "--data", str(folder), "--out", "-"])


def test_a_folder_name_with_escape_sequences_is_printed_escaped(tmp_path, capsys):
    folder = arr_folder(tmp_path, name="data\x1b]0;pwned\x07\x1b[2J")
    code, out, _ = answer(["metrics", "--data", str(folder)], capsys)
    assert code == 0 and "\x1b" not in out and "data\\x1b]0;pwned\\x07\\x1b[2J" in out
    (folder / "arr_monthly.csv").write_text("account_id,month,arr\nA1,2024-01,x\n")
    refused(folder, capsys, "data\\x1b]0;pwned", column="arr")


def test_months_after_the_run_date_are_refused():
    """The sample ends in 2025-12: run as of mid-2025, its last six months are refused
    (with their rows); run in its last month, it loads."""
    from datetime import date

    from csmodels import DataError, load_company

    with pytest.raises(DataError) as info:
        load_company("data/sample", today=date(2025, 6, 15))
    (problem,) = info.value.problems
    assert problem.column == "month" and problem.file.endswith("arr_monthly.csv")
    assert "after this month, 2025-06" in problem.message and "not happened" in problem.message
    months = load_company("data/sample").arr_monthly["month"].astype(str)
    assert len(problem.rows) == int((months > "2025-06").sum()) > 0
    assert load_company("data/sample", today=date(2025, 12, 1)).arr_monthly["month"].max() \
        == pd.Period("2025-12", freq="M")


def test_a_gap_names_the_smaller_side_and_every_range(tmp_path, capsys):
    rows = "".join(f"A1,2024-{m:02d},100\n" for m in (1, 2, 5, 6, 7, 9))
    folder = arr_folder(tmp_path, "account_id,month,arr\n" + rows)
    code, out, err = answer(["metrics", "--data", str(folder)], capsys)
    assert code == 2 and out == ""
    assert "rows 2 and 3: No row at all for 2024-03 to 2024-04, between 2024-01" in err
    assert "row 7: No row at all for 2024-08, between" in err
