"""Bad data folders: one clear problem per issue, exit code 2, nothing touched."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import folder_digest, write_tables

import csmodels as cs

GOOD_ARR = """
account_id,month,arr
a,2023-01,100
b,2023-01,200
a,2023-02,120
"""

GOOD_ACCOUNTS = """
account_id,name
a,Acme
b,Bluepeak
"""


def problems_of(folder):
    with pytest.raises(cs.DataError) as info:
        cs.load_company(folder)
    return info.value.problems


def only_problem(folder):
    found = problems_of(folder)
    assert len(found) == 1, [str(p) for p in found]
    return found[0]


def test_good_minimal_folder_loads(tmp_path):
    company = cs.load_company(write_tables(tmp_path, arr_monthly=GOOD_ARR))
    assert company.arr_monthly["arr"].tolist() == [100, 200, 120]
    assert str(company.arr_monthly["month"].dtype) == "period[M]"
    assert company.missing_tables[:2] == ("accounts", "nps_responses")


def test_missing_folder(tmp_path):
    p = only_problem(tmp_path / "nope")
    assert "does not exist" in p.message


def test_missing_required_table_suggests_a_close_name(tmp_path):
    write_tables(tmp_path, arr_montly=GOOD_ARR)
    p = only_problem(tmp_path)
    assert p.file.endswith("arr_monthly.csv") and "arr_montly.csv" in p.hint


def test_misspelt_column_names_the_column_and_the_fix(tmp_path):
    write_tables(tmp_path, arr_monthly="account_id,month,ARR_usd\na,2023-01,5")
    p = only_problem(tmp_path)
    assert p.column == "arr" and "arr_usd" in p.hint


def test_headers_are_matched_ignoring_case_and_spaces(tmp_path):
    write_tables(tmp_path, arr_monthly=" Account_ID , Month ,ARR\na,2023-01,5")
    assert cs.load_company(tmp_path).arr_monthly["arr"].tolist() == [5]


@pytest.mark.parametrize("text, fragment", [
    ("", "empty"),
    ("account_id,month,arr", "no rows"),
    ("account_id;month;arr\na;2023-01;5", "semicolons"),
])
def test_unusable_files(tmp_path, text, fragment):
    (tmp_path / "arr_monthly.csv").write_text(text, encoding="utf-8")
    assert fragment in only_problem(tmp_path).message


def test_binary_and_wrong_encoding(tmp_path):
    (tmp_path / "arr_monthly.csv").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert "binary" in only_problem(tmp_path).message
    (tmp_path / "arr_monthly.csv").write_bytes("account_id,month,arr\nMünchen,2023-01,5\n"
                                               .encode("latin-1"))
    p = only_problem(tmp_path)
    assert "not UTF-8" in p.message and "CSV UTF-8" in p.hint


def test_folder_where_a_file_should_be(tmp_path):
    (tmp_path / "arr_monthly.csv").mkdir()
    assert "folder, not a file" in only_problem(tmp_path).message


@pytest.mark.parametrize("value, fragment", [
    ("-5", "finite numbers >= 0"), ("abc", "finite numbers >= 0"), ("inf", "finite"),
    ("nan", "finite"), ("$1,200", "no currency signs"),
])
def test_bad_amounts_name_the_rows(tmp_path, value, fragment):
    write_tables(tmp_path, arr_monthly=f'account_id,month,arr\na,2023-01,5\nb,2023-01,"{value}"')
    p = only_problem(tmp_path)
    assert (p.column, p.rows) == ("arr", (3,))
    assert fragment in p.message and repr(value) in p.message


@pytest.mark.parametrize("month", ["2023-13", "2023-1", "23-01", "1850-01", "2023-01-15"])
def test_impossible_months(tmp_path, month):
    write_tables(tmp_path, arr_monthly=f"account_id,month,arr\na,{month},5")
    p = only_problem(tmp_path)
    assert (p.column, p.rows) == ("month", (2,))


def test_blank_required_values(tmp_path):
    write_tables(tmp_path, arr_monthly="account_id,month,arr\n,2023-01,5\nb,2023-01,")
    found = problems_of(tmp_path)
    assert {(p.column, p.rows) for p in found} == {("account_id", (2,)), ("arr", (3,))}


def test_duplicate_keys(tmp_path):
    write_tables(tmp_path, arr_monthly="account_id,month,arr\na,2023-01,5\nb,2023-01,5\n"
                                       "a,2023-01,7")
    p = only_problem(tmp_path)
    assert p.rows == (2, 4) and "more than one row" in p.message


def test_unknown_accounts_across_tables(tmp_path):
    write_tables(tmp_path, arr_monthly=GOOD_ARR + "zzz,2023-02,9", accounts=GOOD_ACCOUNTS)
    p = only_problem(tmp_path)
    assert p.file.endswith("arr_monthly.csv") and p.rows == (5,) and "'zzz'" in p.message


def test_nps_outside_0_to_10(tmp_path):
    write_tables(tmp_path, arr_monthly=GOOD_ARR,
                 nps_responses="date,score\n2024-01-02,11\n2024-01-03,7.5\n2024-01-04,-1")
    p = only_problem(tmp_path)
    assert p.column == "score" and p.rows == (2, 3, 4) and "0 to 10" in p.message


def test_impossible_dates_and_order(tmp_path):
    write_tables(tmp_path, arr_monthly=GOOD_ARR, onboarding="""
        account_id,contract_date,first_value_date
        a,2023-02-30,2023-03-01
        b,2023-05-01,2023-04-01""")
    found = problems_of(tmp_path)
    assert [(p.column, p.rows) for p in found] == [("contract_date", (2,))]
    write_tables(tmp_path, onboarding="""
        account_id,contract_date,first_value_date
        b,2023-05-01,2023-04-01""")
    p = only_problem(tmp_path)
    assert (p.column, p.rows) == ("first_value_date", (2,)) and "before" in p.message


def test_choices_and_booleans(tmp_path):
    write_tables(tmp_path, arr_monthly=GOOD_ARR, opportunities="""
        opportunity_id,account_id,type,amount,created_date,close_date,status,cs_sourced
        o1,a,upsell,10,2023-01-01,2023-02-01,won,true
        o2,a,Expansion,10,2023-01-01,2023-02-01,WON,maybe""")
    found = {p.column: p for p in problems_of(tmp_path)}
    assert set(found) == {"type", "cs_sourced"}
    assert found["type"].rows == (2,) and "new, renewal, expansion" in found["type"].message


def test_every_problem_is_reported_at_once(tmp_path):
    write_tables(tmp_path, arr_monthly="account_id,month,arr\na,2023-1,-1",
                 nps_responses="date,scor\n2024-01-01,5")
    assert len(problems_of(tmp_path)) == 3


def test_messages_show_untrusted_values_as_repr(tmp_path):
    write_tables(tmp_path, arr_monthly='account_id,month,arr\na,2023-01,"=cmd|\x1b[2J"')
    text = str(only_problem(tmp_path))
    assert "\x1b" not in text and "\\x1b" in text


# ------------------------------------------------------------------- the command line


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "csmodels", *args], capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize("files", [
    {"arr_monthly": "account_id,month,arr\na,2023-13,5"},
    {"arr_monthly": "account_id,month\na,2023-01"},
    {"arr_monthly": ""},
    {"accounts": GOOD_ACCOUNTS},
    {"arr_monthly": GOOD_ARR, "nps_responses": "date,score\n2024-01-01,12"},
])
def test_cli_exits_2_without_traceback_and_touches_nothing(tmp_path, files):
    folder = write_tables(tmp_path / "data", **files)
    before = folder_digest(folder)
    result = run_cli("metrics", "--data", str(folder), "--json")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert "csmodels metrics:" in result.stderr and str(folder) in result.stderr
    assert folder_digest(folder) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]


# ------------------------------------------------- the data dictionary agrees with the code

DICTIONARY = (Path(__file__).resolve().parents[1] / "data" / "README.md").read_text()


def dictionary_rows(table: str) -> dict[str, list[str]]:
    """The cells of one table of the data dictionary, by column name."""
    section = DICTIONARY.split(f"### {table} —", 1)[1].split("\n### ", 1)[0]
    rows = [line.strip("|").split("|") for line in section.splitlines()
            if line.startswith("| ") and not line.startswith("| column")]
    return {cells[0].strip(): [c.strip() for c in cells[1:]] for cells in rows}


def test_positive_columns_are_the_ones_the_dictionary_says_are_positive():
    from csmodels.inputs.schema import TABLES

    checked = 0
    for table in TABLES.values():
        rows = dictionary_rows(table.name)
        for column in table.columns:
            if column.kind not in ("amount", "count"):
                continue
            kind = rows[column.name][1]
            says_positive = "≥ 1" in kind or "> 0" in kind
            assert says_positive or "≥ 0" in kind, (table.name, column.name, kind)
            assert column.positive == says_positive, (table.name, column.name, kind)
            checked += 1
    assert checked == 5  # seats twice, ARR, active users, opportunity amount


def test_every_budget_is_in_the_dictionary_with_its_value():
    from csmodels.inputs.limits import BUDGETS, size_text

    section = DICTIONARY.split("### Budgets", 1)[1].split("\n## ", 1)[0]
    rows = {cells[1].strip(): cells[2].strip() for cells in
            (line.split("|") for line in section.splitlines() if line.startswith("| `"))}
    shown = {name.strip("`"): value for name, value in rows.items()}
    shown["FIRST_YEAR"], shown["LAST_YEAR"] = shown.pop("FIRST_YEAR`, `LAST_YEAR").split(", ")

    def written(name: str, value) -> str:
        if name.endswith("_BYTES"):
            return size_text(value)
        if isinstance(value, float):
            return f"{value:.0e}".replace("e+", "e")
        return str(value) if name.endswith("_YEAR") or value < 1000 else f"{value:,}"

    assert set(shown) == set(BUDGETS)
    for name, value in BUDGETS.items():
        assert shown[name] == written(name, value), name
