"""The rules on the months of ``arr_monthly`` (``csmodels.inputs.months``): decided and
worded once, so the loader and the engine's checks refuse a table with the same words
and the same rows."""

from __future__ import annotations

import subprocess
import sys
from datetime import date

import duckdb
import pytest

from csmodels.engine import open_data
from csmodels.exceptions import DataError
from csmodels.inputs import load_company
from csmodels.inputs.months import breaks_rules, month_problems, month_text, this_month

JAN_2024 = 2024 * 12


def test_months_are_numbered_as_the_engine_numbers_them():
    assert month_text(JAN_2024) == "2024-01" and month_text(JAN_2024 + 11) == "2024-12"
    assert this_month(date(2025, 6, 30)) == 2025 * 12 + 5


def test_a_clean_table_breaks_no_rule():
    rows = {JAN_2024 + i: 3 for i in range(12)}
    assert month_problems(rows, JAN_2024 + 11) == []
    assert not breaks_rules(JAN_2024, JAN_2024 + 11, 12, JAN_2024 + 11)
    assert breaks_rules(JAN_2024, JAN_2024 + 12, 12, JAN_2024 + 11)  # one month too late
    assert breaks_rules(JAN_2024, JAN_2024 + 11, 11, JAN_2024 + 20)  # one month missing


def test_months_after_this_one_are_named_with_their_rows():
    rows = {JAN_2024: 2, JAN_2024 + 1: 2, **{JAN_2024 + m: 1 for m in (3, 4, 5, 6, 9)}}
    (future,) = month_problems(rows, JAN_2024 + 2)
    assert future.message == (
        "Some months are after this month, 2024-03 (found '2024-04', '2024-05', '2024-06', "
        "... to '2024-10'): an export cannot hold ARR of months that have not happened.")
    assert (future.low, future.high) == (JAN_2024 + 3, None)
    # 2024-03 (this month) has no row, but only the months up to this one count for
    # gaps: there is none
    assert month_problems({JAN_2024: 1, JAN_2024 + 1: 1}, JAN_2024)[0].message.startswith(
        "Some months are after this month, 2024-01 (found '2024-02'):")


def test_a_gap_names_the_side_with_fewer_rows_the_later_on_a_tie():
    now = JAN_2024 + 30
    later_smaller = month_problems({JAN_2024: 5, JAN_2024 + 3: 2, JAN_2024 + 4: 2}, now)
    assert [(p.low, p.high) for p in later_smaller] == [(JAN_2024 + 3, now)]
    assert later_smaller[0].message == (
        "No row at all for 2024-02 to 2024-03, between 2024-01 and 2024-05: a month is "
        "mistyped or months are missing from the export (the rows given are those of the "
        "months after the gap).")
    assert later_smaller[0].hint == "Fix the month of those rows, or export the missing months."
    earlier_smaller = month_problems({JAN_2024: 1, JAN_2024 + 2: 4}, now)
    assert [(p.low, p.high) for p in earlier_smaller] == [(None, JAN_2024)]
    assert "No row at all for 2024-02, between" in earlier_smaller[0].message
    assert "months before the gap" in earlier_smaller[0].message
    tie = month_problems({JAN_2024: 2, JAN_2024 + 2: 2}, now)
    assert [(p.low, p.high) for p in tie] == [(JAN_2024 + 2, now)]
    two = month_problems({JAN_2024: 9, JAN_2024 + 2: 1, JAN_2024 + 5: 1}, now)
    assert [(p.low, p.high) for p in two] == [(JAN_2024 + 2, now), (JAN_2024 + 5, now)]


def test_the_module_needs_no_pandas():
    code = ("import sys, csmodels.inputs.months; "
            "print(sorted(m for m in ('pandas', 'numpy') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize("months", [
    ["2024-01", "2024-02", "2024-05", "2024-06", "2024-07", "2024-09"],  # two gaps
    ["2021-05", "2024-01", "2024-01", "2024-02", "2024-03"],  # an old mistyped year
    ["2024-01", "2024-02", "2099-05", "2024-03", "2098-01", "2098-02", "2097-12"],  # future
    ["2024-01", "2024-03", "2099-01", "2024-05", "2024-06"],  # both rules, gaps each side
])
def test_the_loader_and_the_engine_refuse_with_the_same_words_and_rows(months, tmp_path):
    rows = [(f"A{i}", month, 100.0 + i) for i, month in enumerate(months)]
    exports = tmp_path / "exports"
    exports.mkdir()
    (exports / "arr_monthly.csv").write_text(
        "account_id,month,arr\n" + "".join(f"{a},{m},{v}\n" for a, m, v in rows))
    parquet = tmp_path / "parquet" / "arr_monthly"
    parquet.mkdir(parents=True)
    con = duckdb.connect()
    con.execute("CREATE TABLE t (account_id VARCHAR, month VARCHAR, arr DOUBLE)")
    con.executemany("INSERT INTO t VALUES (?, ?, ?)", rows)
    con.execute(f"COPY t TO '{parquet / 'part.parquet'}' (FORMAT PARQUET)")
    with pytest.raises(DataError) as loader:
        load_company(exports)
    with pytest.raises(DataError) as engine:
        open_data(parquet.parent)
    said = [[(p.message, p.hint, p.column, p.rows) for p in error.value.problems]
            for error in (loader, engine)]
    assert said[0] == said[1] and said[0]
    assert all(column == "month" and found for _, _, column, found in said[0])


# A month a reader types: YYYY-MM only, the same refusal at every entry point.
BADLY_WRITTEN = ["2024-13", "2024Q2", "2024-6", "2024", "202406", "2024-06-15", "Jun 2024", "",
                 " 2024-06", "2024-00"]


@pytest.mark.parametrize("text", BADLY_WRITTEN)
def test_a_badly_written_month_is_refused_by_every_entry_point(text, tmp_path):
    from csmodels.engine import summary
    from csmodels.exceptions import ParameterError
    from csmodels.inputs.months import month_number
    from csmodels.metrics import ArrPanel, nps, resolve_as_of, retention

    company = load_company("data/sample")
    panel = ArrPanel.from_frame(company.arr_monthly)
    engine, _ = open_data("data/sample")
    calls = [lambda: month_number(text), lambda: resolve_as_of(panel, text),
             lambda: retention(panel, text), lambda: nps(company.nps_responses, text),
             lambda: summary(engine, text)]
    for call in calls:
        with pytest.raises(ParameterError, match="is not a month written YYYY-MM"):
            call()


def test_a_well_written_month_is_read_as_that_month():
    from csmodels.inputs.months import month_number
    from csmodels.metrics import ArrPanel, resolve_as_of

    panel = ArrPanel.from_frame(load_company("data/sample").arr_monthly)
    assert month_number("2025-03") == 2025 * 12 + 2
    assert str(resolve_as_of(panel, "2025-03")) == "2025-03"
    assert str(resolve_as_of(panel, resolve_as_of(panel, "2025-03"))) == "2025-03"
