"""The Ibis metric engine (csmodels.engine): the figures of a brute-force computation
of the book's definitions and of the chapter's summary (the same definitions, run one
function at a time), on exports, a Parquet dataset folder and a DuckDB file, and the
loader's kind of messages on bad tables in the last two."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from conftest import brute_force_kpis, engine_sources

from csmodels.cli import main
from csmodels.engine import metrics_on, open_data, summary
from csmodels.exceptions import ParameterError
from csmodels.inputs import load_company
from csmodels.kpis import MetricSettings, MetricsSummary, metrics_summary
from tests.same_figures import MONEY, SECTIONS, assert_same_figures
from tests.shapes import write_shape

DATA = Path(__file__).resolve().parent.parent / "data"
FOLDERS = [DATA / "sample", *sorted(p for p in (DATA / "cases").iterdir() if p.is_dir())]


@pytest.fixture(autouse=True)
def _sql_cache(tmp_path, monkeypatch):
    """Each test compiles into a cache of its own (not the user's)."""
    monkeypatch.setenv("CSMODELS_CACHE", str(tmp_path / "sql-cache"))


def _cli_json(capsys, *args) -> tuple[int, dict | None, str]:
    code = main(["metrics", *args, "--json"])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if code == 0 else None), err


def assert_brute_force(got: MetricsSummary, want: dict) -> None:
    """The figures of :func:`conftest.brute_force_kpis`: money to the cent, others to 1e-9."""
    for name, value in want.items():
        if name in MONEY:
            assert round(getattr(got, name), 2) == round(value, 2), name
        else:
            assert getattr(got, name) == pytest.approx(value, rel=1e-9, abs=1e-12), name


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.name)
def test_the_engine_gives_the_brute_force_figures(folder):
    engine, company = open_data(folder)
    got = summary(engine)
    assert_brute_force(got, brute_force_kpis(company))
    assert_same_figures(got, metrics_summary(company))


def test_an_earlier_month_too():
    engine, company = open_data(DATA / "sample")
    got = summary(engine, "2025-03")
    assert got.as_of == "2025-03"
    assert_brute_force(got, brute_force_kpis(company, "2025-03"))
    assert_same_figures(got, metrics_summary(company, "2025-03"))


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    return engine_sources(DATA / "sample", tmp_path_factory.mktemp("sources"))


def test_parquet_folder_and_duckdb_file_give_the_export_figures(sources, capsys):
    want = metrics_summary(load_company(DATA / "sample"))
    for path in sources:
        code, got, _ = _cli_json(capsys, "--data", str(path))
        assert code == 0
        assert got["health"] is None  # tested in pandas, on exports only
        # --json's rounding (to the cent, ratios to 6 decimals) of the same figures
        rounded = want.to_dict()
        assert {k: v for k, v in got.items() if k not in SECTIONS} == {
            k: v for k, v in rounded.items() if k not in SECTIONS}


def test_the_checks_store_the_account_panel_the_figures_read(sources):
    """The pass that checks arr_monthly stores the account panel of the month asked for,
    the one that checks usage_monthly its rows of that month; the figures read them and
    equal those computed from the tables themselves, and those of another month are not
    used."""
    want = {m: metrics_summary(load_company(DATA / "sample"), m) for m in (None, "2025-03")}
    for path in sources:
        for as_of in want:
            engine, _ = open_data(path, as_of)
            month = 2025 * 12 + (11 if as_of is None else 2)
            assert engine.panel is not None and engine.panel[:2] == (month, 12)
            assert engine.month_rows["usage_monthly"][0] == month
            folded = summary(engine, as_of)
            assert_same_figures(folded, want[as_of])
            assert folded.adoption is not None
            engine.panel, engine.month_rows = None, {}  # from arr_monthly and usage_monthly
            assert summary(engine, as_of) == folded
        engine, _ = open_data(path, "2025-03")
        assert_same_figures(summary(engine), want[None])  # the last month: not that panel


def _long_history(folder: Path, duplicate: int | None, table: str) -> Path:
    """Exports of 11 years (132 months: three words of the checks' month bits, of 64
    months each) in which account ``a`` has a row every month, in arr_monthly and in
    usage_monthly, and ``table`` repeats the row of month ``duplicate`` (counted from
    the first) as the last row; as a Parquet folder (months as text), and as a DuckDB
    file whose months are dates (``company-dates.duckdb``, beside it)."""
    months = [f"{2014 + m // 12}-{m % 12 + 1:02d}" for m in range(132)]
    arr = [("a", month, 100.0 + m) for m, month in enumerate(months)]
    arr += [("b", month, 50.0) for month in months[100:]]
    usage = [("a", month, 3 + m % 5) for m, month in enumerate(months)]
    rows = {"arr_monthly": arr, "usage_monthly": usage}
    if duplicate is not None:
        rows[table].append(rows[table][duplicate])
    exports = folder / "exports"
    exports.mkdir()
    (exports / "accounts.csv").write_text("account_id,name,licensed_seats\na,A,10\nb,B,5\n")
    for name, header in (("arr_monthly", "arr"), ("usage_monthly", "active_users")):
        lines = [f"account_id,month,{header}", *(",".join(map(str, r)) for r in rows[name])]
        (exports / f"{name}.csv").write_text("\n".join(lines) + "\n")
    if duplicate is not None:
        con = duckdb.connect(str(folder / "company-dates.duckdb"))
        for name in ("accounts", "arr_monthly", "usage_monthly"):
            month = ", CAST(month || '-01' AS DATE) AS month" if name != "accounts" else ""
            con.execute(f"CREATE TABLE {name} AS SELECT * EXCLUDE (month){month} "
                        f"FROM read_csv('{exports / name}.csv', types={{'month': 'VARCHAR'}})"
                        if month else f"CREATE TABLE {name} AS SELECT * FROM "
                        f"read_csv('{exports / name}.csv')")
        con.close()
        return engine_sources(exports, folder)[0]
    return exports


@pytest.mark.parametrize("table", ["arr_monthly", "usage_monthly"])
@pytest.mark.parametrize("duplicate", [0, 63, 64, 127, 128, 131])
def test_duplicate_months_over_a_long_history(tmp_path, capsys, table, duplicate):
    """The checks count an account's distinct months in words of 64 months: a repeated
    month is found in every word and at each word's edges, in arr_monthly (the account
    panel's pass) and usage_monthly (the pass that keeps its rows of the month)."""
    folder = _long_history(tmp_path, duplicate, table)
    last = 132 + (32 if table == "arr_monthly" else 0) + 2  # b's rows, the header, the copy
    dates = tmp_path / "company-dates.duckdb"
    with duckdb.connect(str(dates), read_only=True) as con:
        assert con.execute(f"SELECT DISTINCT typeof(month) FROM {table}").fetchall() == [
            ("DATE",)]
    for path, label in ((folder, f"{folder / table}"), (dates, f"{dates} (table {table})")):
        code, _, err = _cli_json(capsys, "--data", str(path))
        assert code == 2 and "Traceback" not in err
        assert (f"{label}, column 'month', rows {duplicate + 2} and {last}: The same "
                "account_id + month appears on more than one row") in err


def test_a_long_history_without_duplicates_gives_the_export_figures(tmp_path, capsys):
    exports = _long_history(tmp_path, None, "arr_monthly")
    want = metrics_summary(load_company(exports)).to_dict()
    assert want["adoption"] == pytest.approx(0.4)  # a's 4 of 10 seats in 2024-12
    for path in engine_sources(exports, tmp_path):
        code, got, _ = _cli_json(capsys, "--data", str(path))
        assert code == 0
        assert {k: v for k, v in got.items() if k not in SECTIONS} == {
            k: v for k, v in want.items() if k not in SECTIONS}


def test_the_panel_pass_reports_every_rule_of_arr(tmp_path, capsys):
    """Folded into the panel's pass, the checks of arr_monthly still report each rule
    with its rows (text amounts that are not numbers read as null there, not as an
    error), and no figure is computed."""
    folder = _bad_parquet(tmp_path, "SELECT * FROM (VALUES ('a', '2024-01', '1'), "
                          "('b', '2024-01', 'ten'), ('a', NULL, '2'), ('c', '2023-01', '-3'))"
                          " ROWS")
    code, _, err = _cli_json(capsys, "--data", str(folder))
    assert code == 2 and "Traceback" not in err
    assert "column 'month', row 4: Some values are blank." in err
    assert "column 'arr', rows 3 and 5: Some values are not finite numbers >= 0" in err


def test_metrics_on_a_connection_by_hand():
    """a 100 -> 120, b 100 -> 50, c 100 -> 0, d new at 70: NRR 170/300, GRR 150/300.

    Months without a row are 0, so a, b and c churn in 2023-02 and a and b come
    back in 2024-01 (reactivation), inside the 12 months ending 2024-01."""
    con = duckdb.connect()
    con.execute("CREATE TABLE arr AS SELECT * FROM (VALUES ('a', '2023-01', 100.0), "
                "('b', '2023-01', 100.0), ('c', '2023-01', 100.0), ('a', '2024-01', 120.0), "
                "('b', '2024-01', 50.0), ('d', '2024-01', 70.0)) v(account_id, month, arr)")
    got = metrics_on(con, {"arr_monthly": "arr"})
    assert got.nrr == pytest.approx(170 / 300) and got.grr == pytest.approx(150 / 300)
    assert got.logo_churn == pytest.approx(1 / 3)
    assert (got.arr, got.paying_accounts, got.lookback_months) == (240.0, 3, 12)
    assert (got.new_arr, got.reactivation_arr) == (70.0, 170.0)
    assert (got.churn_arr, got.expansion_arr, got.contraction_arr) == (300.0, 0.0, 0.0)
    assert got.missing_tables[0] == "accounts"


def test_reactivation_is_not_new():
    con = duckdb.connect()
    con.execute("CREATE TABLE arr AS SELECT * FROM (VALUES ('a', DATE '2023-01-01', 10.0), "
                "('a', DATE '2023-06-01', 30.0), ('b', DATE '2023-06-01', 5.0), "
                "('a', DATE '2024-01-01', 40.0)) v(account_id, month, arr)")
    got = metrics_on(con, {"arr_monthly": "arr"})
    # a: churns Feb (10), comes back Jun (30), churns Jul (30)... as of 2024-01 the window
    # is Feb 2023 to Jan 2024: churn 10 + 30, reactivation 30 + 40; b new 5, churn 5.
    assert got.reactivation_arr == 70.0 and got.new_arr == 5.0
    assert got.churn_arr == 45.0


# ------------------------------------------------------------------------ bad inputs
def _digest(path: Path) -> str:
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    return hashlib.sha256(b"".join(f.read_bytes() for f in files)).hexdigest()


def _bad_parquet(tmp_path: Path, select: str) -> Path:
    select = select.replace("ROWS", "v(account_id, month, arr)")
    folder = tmp_path / "bad"
    (folder / "arr_monthly").mkdir(parents=True)
    duckdb.execute(f"COPY ({select}) TO '{folder / 'arr_monthly' / 'part-0.parquet'}'")
    return folder


@pytest.mark.parametrize(("select", "expected"), [
    ("SELECT * FROM (VALUES ('a', '2024-13', 1.0), ('a', '2024-01', 2.0)) ROWS",
     "column 'month', row 2: Some values are not months written YYYY-MM"),
    ("SELECT * FROM (VALUES ('a', '2024-01', 1.0), ('b', '2024-01', -2.0)) ROWS",
     "column 'arr', row 3: Some values are not finite numbers >= 0"),
    ("SELECT * FROM (VALUES ('a', '2024-01', 1.0), ('a', '2024-01', 2.0)) ROWS",
     "column 'month', rows 2 and 3: The same account_id + month appears on more than one row"),
    ("SELECT * FROM (VALUES ('a', '2024-01', 1.0), (NULL, '2024-01', 2.0)) ROWS",
     "column 'account_id', row 3: Some values are blank."),
    ("SELECT * FROM (VALUES ('a', '2024-01')) v(account_id, mnth)",
     "column 'month': A required column is missing."),
    ("SELECT * FROM (VALUES ('a', '2024-01', 'ten')) ROWS",
     "column 'arr', row 2: Some values are not finite numbers"),
    # the loader's ceiling on amounts holds here too (sums overflow above it)
    ("SELECT * FROM (VALUES ('a', '2024-01', 1.0), ('b', '2024-01', 1e300)) ROWS",
     "column 'arr', row 3: Some values are not finite numbers >= 0, at most 1e+15"),
    ("SELECT * FROM (VALUES ('a', '2024-01', '1e300')) ROWS",
     "column 'arr', row 2: Some values are not finite numbers >= 0, at most 1e+15"),
    # the loader's rules on months: none after this one, none without a row in between
    ("SELECT * FROM (VALUES ('a', '2024-01', 1.0), ('b', '2099-05', 2.0)) ROWS",
     "column 'month', row 3: Some months are after this month"),
    ("SELECT * FROM (VALUES ('a', DATE '2024-01-01', 1.0), ('b', DATE '2099-05-01', 2.0)) ROWS",
     "column 'month', row 3: Some months are after this month"),
    ("SELECT * FROM (VALUES ('a', '2024-01', 1.0), ('a', '2024-02', 1.0), ('b', '2024-05', 2.0),"
     " ('a', '2024-06', 1.0), ('a', '2024-07', 1.0), ('b', '2024-07', 1.0)) ROWS",
     "column 'month', rows 2 and 3: No row at all for 2024-03 to 2024-04, between 2024-01 and "
     "2024-07"),
    ("SELECT * FROM (VALUES ('a', '2024-01', 1.0), ('a', '2024-02', 1.0), ('a', '2021-05', 1.0))"
     " ROWS", "column 'month', row 4: No row at all for 2021-06 to 2023-12"),
])
def test_bad_parquet_tables_are_explained(tmp_path, capsys, select, expected):
    folder = _bad_parquet(tmp_path, select)
    before = _digest(folder)
    code, _, err = _cli_json(capsys, "--data", str(folder))
    assert code == 2
    assert expected in err and "Traceback" not in err
    assert str(folder / "arr_monthly") in err
    assert _digest(folder) == before


def test_unknown_accounts_in_a_duckdb_file(tmp_path, capsys):
    path = tmp_path / "c.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE accounts AS SELECT * FROM (VALUES ('a', 'A<b>')) v(account_id, name)")
    con.execute("CREATE TABLE arr_monthly AS SELECT * FROM (VALUES ('a', '2024-01', 1.0), "
                "('zz', '2024-01', 1.0)) v(account_id, month, arr)")
    con.close()
    before = _digest(path)
    code, _, err = _cli_json(capsys, "--data", str(path))
    assert code == 2
    assert f"{path} (table arr_monthly), column 'account_id', row 3: Some account ids" in err
    assert _digest(path) == before


def test_a_duckdb_file_without_arr_and_a_broken_file(tmp_path, capsys):
    path = tmp_path / "c.duckdb"
    duckdb.connect(str(path)).execute("CREATE TABLE accounts AS SELECT 'a' AS account_id").close()
    code, _, err = _cli_json(capsys, "--data", str(path))
    assert code == 2 and "The database has no table arr_monthly." in err
    broken = tmp_path / "broken.duckdb"
    broken.write_text("not a database")
    code, _, err = _cli_json(capsys, "--data", str(broken))
    assert code == 2 and "is not a DuckDB database" in err and "Traceback" not in err


def test_open_data_on_exports_returns_the_company():
    engine, company = open_data(DATA / "sample")
    assert company is not None and summary(engine).paying_accounts > 0


# The checks read each table once, per account where it has account_id: each rule
# still names its file, column and rows.
_ARR_OK = "SELECT * FROM (VALUES ('a', '2024-01', 1.0), ('b', '2024-01', 2.0)) ROWS"


def _parquet_folder(tmp_path: Path, tables: dict[str, str]) -> Path:
    folder = tmp_path / "company"
    for name, select in tables.items():
        (folder / name).mkdir(parents=True)
        select = select.replace("ROWS", "v(account_id, month, arr)")
        duckdb.execute(f"COPY ({select}) TO '{folder / name / 'part-0.parquet'}'")
    return folder


@pytest.mark.parametrize(("tables", "table", "expected"), [
    ({"arr_monthly": "SELECT * FROM (VALUES ('a', 'abcd-ef', 1.0), ('a', '2024-01', 2.0)) ROWS"},
     "arr_monthly", "column 'month', row 2: Some values are not months written YYYY-MM"),
    # usage_monthly checked on its own (arr_monthly's bad month stores no panel), its
    # months over ten years (two words of month bits): as text, joined to their table of
    # months, and as dates, parsed on each row
    ({"arr_monthly": "SELECT * FROM (VALUES ('a', '2024-13', 1.0), ('a', '2024-01', 1.0)) ROWS",
      "usage_monthly": "SELECT * FROM (VALUES ('a', '2014-01', 1), ('a', '2024-01', 1), "
                       "('a', '2019-05', 2), ('a', '2019-05', 3)) v(account_id, month, "
                       "active_users)"},
     "usage_monthly", "column 'month', rows 4 and 5: The same account_id + month"),
    ({"arr_monthly": "SELECT * FROM (VALUES ('a', '2024-13', 1.0), ('a', '2024-01', 1.0)) ROWS",
      "usage_monthly": "SELECT * FROM (VALUES ('a', DATE '2014-01-01', 1), "
                       "('a', DATE '2024-01-01', 1), ('a', DATE '2019-05-01', 2), "
                       "('a', DATE '2024-01-01', 3)) v(account_id, month, active_users)"},
     "usage_monthly", "column 'month', rows 3 and 5: The same account_id + month"),
    ({"arr_monthly": "SELECT * FROM (VALUES ('a', ' 2024-01', 1.0), ('b', '2024-02', 1.0), "
                     "('a', '2024-01 ', 2.0)) ROWS"},
     "arr_monthly", "column 'month', rows 2 and 4: The same account_id + month"),
    ({"arr_monthly": "SELECT * FROM (VALUES ('a', DATE '2024-01-01', 1.0), "
                     "('a', DATE '2024-02-01', 1.0), ('a', DATE '2024-01-01', 2.0)) ROWS"},
     "arr_monthly", "column 'month', rows 2 and 4: The same account_id + month"),
    ({"arr_monthly": "SELECT * FROM (VALUES ('a', '2024-01', 1.0), ('  ', '2024-01', 2.0)) ROWS"},
     "arr_monthly", "column 'account_id', row 3: Some values are blank."),
    ({"accounts": "SELECT * FROM (VALUES ('a', 'A'), ('b', 'B'), ('a', 'A2')) v(account_id, name)",
      "arr_monthly": _ARR_OK},
     "accounts", "column 'account_id', rows 2 and 4: The same account_id appears"),
    ({"accounts": "SELECT * FROM (VALUES ('a', 'A'), ('b', 'B')) v(account_id, name)",
      "arr_monthly": _ARR_OK,
      "usage_monthly": "SELECT * FROM (VALUES ('a', '2024-01', 3), ('c', '2024-01', 2)) "
                       "v(account_id, month, active_users)"},
     "usage_monthly", "column 'account_id', row 3: Some account ids are not in accounts."),
    ({"arr_monthly": _ARR_OK,
      "usage_monthly": "SELECT * FROM (VALUES ('a', '2024-01', 3), ('a', '2024-01', 2)) "
                       "v(account_id, month, active_users)"},
     "usage_monthly", "column 'month', rows 2 and 3: The same account_id + month"),
    # usage_monthly's rules, counted as one in the pass that stores its rows of the
    # month, then each rule on its own to name its rows
    ({"arr_monthly": _ARR_OK,
      "usage_monthly": "SELECT * FROM (VALUES ('a', '2024-01', 3), ('b', '2024-01', -2)) "
                       "v(account_id, month, active_users)"},
     "usage_monthly", "column 'active_users', row 3: Some values are not whole numbers"),
    ({"arr_monthly": _ARR_OK,
      "usage_monthly": "SELECT * FROM (VALUES ('a', '2024-01', NULL), ('b', '2024-01', 2)) "
                       "v(account_id, month, active_users)"},
     "usage_monthly", "column 'active_users', row 2: Some values are blank."),
    ({"arr_monthly": _ARR_OK,
      "opportunities": "SELECT * FROM (VALUES ('o1', 'a', 'expansion', 5.0, '2024-01-02', "
                       "'2024-02-01', 'won'), ('o1', 'b', 'new', 5.0, '2024-01-02', "
                       "'2024-02-01', 'open')) v(opportunity_id, account_id, type, amount, "
                       "created_date, close_date, status)"},
     "opportunities", "column 'opportunity_id', rows 2 and 3: The same opportunity_id"),
    ({"arr_monthly": _ARR_OK,
      "opportunities": "SELECT * FROM (VALUES ('o1', 'a', 'expansion', 5.0, '2024-01-02', "
                       "'2024-02-01', 'won', 'yes'), ('o2', 'b', 'upsell', 5.0, '2024-01-02', "
                       "'2024-02-01', 'open', 'maybe')) v(opportunity_id, account_id, type, "
                       "amount, created_date, close_date, status, cs_sourced)"},
     "opportunities", "column 'type', row 3: Some values are not one of"),
    ({"arr_monthly": _ARR_OK,
      "opportunities": "SELECT * FROM (VALUES ('o1', 'a', 'expansion', 5.0, '2024-01-02', "
                       "'2024-02-01', 'won', 'yes'), ('o2', 'b', 'new', 5.0, '2024-01-02', "
                       "'2024-02-01', 'open', 'maybe')) v(opportunity_id, account_id, type, "
                       "amount, created_date, close_date, status, cs_sourced)"},
     "opportunities", "column 'cs_sourced', row 3: Some values are not true or false"),
    ({"arr_monthly": _ARR_OK,
      "nps_responses": "SELECT * FROM (VALUES (DATE '2024-01-02', 9), (NULL, 7)) v(date, score)"},
     "nps_responses", "column 'date', row 3: Some values are blank."),
    ({"arr_monthly": _ARR_OK,
      "onboarding": "SELECT * FROM (VALUES ('a', '2024-01-10', '2024-01-05')) "
                    "v(account_id, contract_date, first_value_date)"},
     "onboarding", "column 'first_value_date', row 2: Some dates are before their contract_date"),
    # tables without a key on the account, checked row by row (no GROUP BY)
    ({"accounts": "SELECT * FROM (VALUES ('a', 'A'), ('b', 'B')) v(account_id, name)",
      "arr_monthly": _ARR_OK,
      "qbrs": "SELECT * FROM (VALUES ('a', DATE '2024-01-02'), ('zz', DATE '2024-01-03'), "
              "('b', DATE '2024-01-04'), ('zz', DATE '2024-01-05')) v(account_id, date)"},
     "qbrs", "column 'account_id', rows 3 and 5: Some account ids are not in accounts."),
    ({"accounts": "SELECT * FROM (VALUES ('a', 'A'), ('b', 'B')) v(account_id, name)",
      "arr_monthly": _ARR_OK,
      "nps_responses": "SELECT * FROM (VALUES (DATE '2024-01-02', 9, 'a'), "
                       "(DATE '2024-01-03', 7, 'c')) v(date, score, account_id)"},
     "nps_responses", "column 'account_id', row 3: Some account ids are not in accounts."),
    ({"arr_monthly": _ARR_OK,
      "qbrs": "SELECT * FROM (VALUES ('a', DATE '2024-01-02'), (' ', DATE '2024-01-03')) "
              "v(account_id, date)"},
     "qbrs", "column 'account_id', row 3: Some values are blank."),
    ({"arr_monthly": _ARR_OK,
      "nps_responses": "SELECT * FROM (VALUES (DATE '2024-01-02', 9, 'a'), "
                       "(DATE '2024-01-03', 11, 'a')) v(date, score, account_id)"},
     "nps_responses", "column 'score', row 3: Some values are not whole numbers from 0 to 10"),
])
def test_each_rule_names_its_rows(tmp_path, capsys, tables, table, expected):
    folder = _parquet_folder(tmp_path, tables)
    before = _digest(folder)
    code, _, err = _cli_json(capsys, "--data", str(folder))
    assert code == 2 and "Traceback" not in err
    assert f"{folder / table}, {expected}" in err
    assert _digest(folder) == before


def test_clean_tables_pass_the_folded_checks(tmp_path, capsys):
    folder = _parquet_folder(tmp_path, {
        "accounts": "SELECT * FROM (VALUES ('a', 'A'), ('b', 'B')) v(account_id, name)",
        "arr_monthly": "SELECT * FROM (VALUES ('a', ' 2023-01', 1.0), ('b', '2023-01', 2.0), "
                       "('a', '2024-01 ', 3.0)) ROWS UNION ALL "  # b at 0 in the months between
                       "SELECT 'b', strftime(DATE '2023-02-01' + to_months(i), '%Y-%m'), 0.0 "
                       "FROM range(11) t(i)",
        "usage_monthly": "SELECT * FROM (VALUES ('a', '2024-01', 3), ('b', '2024-01', 2)) "
                         "v(account_id, month, active_users)"})
    code, got, _ = _cli_json(capsys, "--data", str(folder))
    assert code == 0
    assert got["nrr"] == pytest.approx(1.0) and got["arr"] == 3.0
    assert got["logo_churn"] == pytest.approx(0.5)


def test_the_compiled_sql_is_cached_and_ibis_not_imported_again(sources, tmp_path):
    """A second run reads its SQL from the cache (no Ibis import, nor pandas, numpy or
    the in-memory loader: ``csmodels`` imports its modules on first use) and gives the
    same JSON; a cache that cannot be written only costs the compile."""
    probe = ("import sys, runpy; sys.argv = ['csmodels', 'metrics', '--data', sys.argv[1], "
             "'--json']\ntry:\n    runpy.run_module('csmodels', run_name='__main__')\n"
             "except SystemExit:\n    pass\nprint('ibis' in sys.modules, file=sys.stderr)\n"
             "print(*sorted(m for m in ('pandas', 'numpy', 'csmodels.inputs.company', "
             "'csmodels.kpis') if m in sys.modules), file=sys.stderr)")
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache folder would be")
    runs = []
    for cache in ("cache", "cache", "blocked/sql"):
        env = {**os.environ, "CSMODELS_CACHE": str(tmp_path / cache)}
        done = subprocess.run([sys.executable, "-c", probe, str(sources[0])], env=env,
                              capture_output=True, text=True, check=True)
        *_, imported, heavy = done.stderr.splitlines()
        runs.append((json.loads(done.stdout), imported, heavy))
    assert [imported for _, imported, _ in runs] == ["True", "False", "True"]
    assert runs[1][2] == ""  # the warm run: DuckDB and csmodels's engine only
    assert runs[0][0] == runs[1][0] == runs[2][0] and runs[0][0]["arr"] > 0
    # the account panel (built in the pass of arr_monthly's checks) and the figures; the
    # bounds came from the checks
    assert len(list((tmp_path / "cache").glob("*.sql"))) == 2


def test_a_data_column_named_like_the_month_join_is_read_as_data(tmp_path, capsys):
    """Months are parsed once and joined by helper names; a column of the data with such
    a name turns the join off, with the same figures and the same duplicate message."""
    rows = "('a', '2023-01', 1.0, 'x'), ('b', '2023-01', 2.0, 'y'), ('a', '2024-01', 3.0, 'z')"
    between = ("UNION ALL SELECT 'b', strftime(DATE '2023-02-01' + to_months(i), '%Y-%m'), 0.0, "
               "'q' FROM range(11) t(i)")  # b at 0 in the months between: no month without rows
    clean = _parquet_folder(tmp_path / "clean", {"arr_monthly": f"SELECT * FROM (VALUES {rows}) "
                                                 f"v(account_id, month, arr, _csm_text) {between}"})
    code, got, _ = _cli_json(capsys, "--data", str(clean))
    assert code == 0 and got["arr"] == 3.0 and got["logo_churn"] == pytest.approx(0.5)
    dup = _parquet_folder(tmp_path / "dup", {"arr_monthly": f"SELECT * FROM (VALUES {rows}, "
                                             "('a', '2024-01', 1.0, 'w')) "
                                             f"v(account_id, month, arr, _csm_text) {between}"})
    code, _, err = _cli_json(capsys, "--data", str(dup))
    assert code == 2 and "column 'month', rows 4 and 5: The same account_id + month" in err


def test_the_blank_rule_trims_only_what_trim_would_empty():
    """The checks' blank rule trims only texts starting with a space or a character
    beyond ASCII: on every character, alone and around text, it agrees with
    ``trim(x) = ''`` (which empties the Unicode spaces too, but not a tab)."""
    from csmodels.engine.sources import _blank

    con = duckdb.connect()
    chars = ("SELECT chr(i::INTEGER) AS c FROM range(1, 1114112) t(i) "
             "WHERE i NOT BETWEEN 55296 AND 57343")
    texts = (f"SELECT c AS x FROM ({chars}) UNION ALL SELECT c || c FROM ({chars}) "
             f"UNION ALL SELECT c || 'a' FROM ({chars}) UNION ALL SELECT ' ' || c FROM ({chars}) "
             "UNION ALL SELECT * FROM (VALUES (''), (NULL), ('   '), (' a '), ('a'))")
    blank, counted = con.execute(
        f"SELECT count(*) FILTER (WHERE {_blank('x', 'varchar')}), "
        f"count(*) FILTER (WHERE ({_blank('x', 'varchar')}) IS DISTINCT FROM "
        f"(x IS NULL OR trim(x) = '')) FROM ({texts})").fetchone()
    assert counted == 0
    assert blank == 17 * 3 + 3  # 17 spaces alone, doubled, after a space; '', NULL, '   '


def test_tables_named_as_the_input_tables_are_read_and_kept():
    """metrics_on's default (a table ``arr_monthly``) and tables named as the input tables
    read as they are: the engine's views have names of their own, so a view can neither
    read itself (DuckDB's "infinite recursion") nor replace one of the reader's."""
    con = duckdb.connect()
    con.execute("CREATE TABLE arr_monthly AS SELECT * FROM (VALUES ('a', '2023-01', 100.0), "
                "('b', '2023-01', 100.0), ('a', '2024-01', 120.0)) v(account_id, month, arr)")
    con.execute("CREATE TEMPORARY VIEW accounts AS SELECT 'the reader''s own' AS note")
    assert round(metrics_on(con).nrr, 6) == 0.6
    assert con.execute("SELECT note FROM accounts").fetchall() == [("the reader's own",)]
    assert con.execute("SELECT count(*) FROM arr_monthly").fetchone() == (3,)


def test_a_lookback_longer_than_the_data_is_explained(sources):
    """No as-of month can have that much history. A month the reader chose is refused
    with a message that says so and what to do, rather than naming a month after the
    data; for the last month, retention is undefined and the other figures are given, as
    on exports."""
    settings = MetricSettings(lookback_months=100)
    want = metrics_summary(load_company(DATA / "sample"), settings=settings)
    assert want.nrr is None and want.arr > 0
    for path in sources:
        with pytest.raises(ParameterError, match=r"Retention needs 100 months of history.*"
                           r"2023-01 to 2025-12, 36 months in all\. Choose a lookback of at "
                           r"most 35 months"):
            summary(open_data(path)[0], "2025-12", settings)
        got = summary(open_data(path)[0], None, settings)
        assert (got.nrr, got.grr, got.logo_churn, got.retention_base_accounts) == (
            None, None, None, 0)
        assert_same_figures(got, want)


@pytest.mark.parametrize("name", ["months-2", "months-6", "everything-churned"])
def test_short_histories_give_the_export_figures(tmp_path, capsys, name):
    """A company with less history than the lookback (retention undefined) or nobody
    paying at the end gives on Parquet and DuckDB what it gives on exports, exit 0."""
    exports = write_shape(name, tmp_path / "exports")
    csvs = tmp_path / "csvs"
    csvs.mkdir()
    for f in exports.glob("*.csv"):
        (csvs / f.name).write_bytes(f.read_bytes())
    code, want, _ = _cli_json(capsys, "--data", str(exports))
    assert code == 0
    (tmp_path / "engine").mkdir()
    for path in engine_sources(csvs, tmp_path / "engine"):
        code, got, err = _cli_json(capsys, "--data", str(path))
        assert code == 0, err
        assert {k: v for k, v in got.items() if k not in SECTIONS} == {
            k: v for k, v in want.items() if k not in SECTIONS}
