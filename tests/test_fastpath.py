"""The fast CSV path agrees with the general path: same tables on clean files, and on
anything unusual it steps aside so the general path reports the problems."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import csmodels.inputs.company as csio
from csmodels.exceptions import DataError
from csmodels.inputs.fastpath import read_clean_table
from csmodels.inputs.schema import TABLES


def load(folder: Path, fast: bool):
    """``load_company`` with the fast path on or off: the table(s), or the problems."""
    original = csio.read_clean_table
    csio.read_clean_table = original if fast else (lambda path, table: None)
    try:
        return csio.load_company(folder)
    except DataError as err:
        return [(p.file, p.column, p.rows, p.message) for p in err.problems]
    finally:
        csio.read_clean_table = original


def assert_same(a, b) -> None:
    if isinstance(a, list) or isinstance(b, list):
        assert a == b
        return
    assert dict(a.absent_columns) == dict(b.absent_columns)
    for name in TABLES:
        left, right = getattr(a, name), getattr(b, name)
        assert (left is None) == (right is None), name
        if left is not None:
            pd.testing.assert_frame_equal(left, right, obj=name)


def test_sample_is_read_by_the_fast_path_and_identically(sample_dir):
    taken = [name for name in TABLES
             if read_clean_table(sample_dir / f"{name}.csv", TABLES[name]) is not None]
    assert {"arr_monthly", "accounts", "usage_monthly", "nps_responses"} <= set(taken)
    assert_same(load(sample_dir, fast=True), load(sample_dir, fast=False))


def test_optional_columns_the_file_lacks_are_reported_absent(tmp_path):
    (tmp_path / "arr_monthly.csv").write_text("account_id,month,arr\na,2024-01,5\n")
    (tmp_path / "accounts.csv").write_text("account_id,name\na,Acme\n")
    frame, present = read_clean_table(tmp_path / "accounts.csv", TABLES["accounts"])
    assert present == ["account_id", "name"]
    assert frame["segment"].isna().all() and str(frame["licensed_seats"].dtype) == "Int64"
    assert_same(load(tmp_path, fast=True), load(tmp_path, fast=False))


UNUSUAL = {
    "not a number": "account_id,month,arr\na,2024-01,nan\n",
    "infinite": "account_id,month,arr\na,2024-01,inf\n",
    "negative": "account_id,month,arr\na,2024-01,-5\n",
    "currency sign": "account_id,month,arr\na,2024-01,$5\n",
    "blank amount": "account_id,month,arr\na,2024-01,\n",
    "padded id": "account_id,month,arr\n a ,2024-01,5\n",
    "padded id duplicates": "account_id,month,arr\na,2024-01,5\na ,2024-01,6\n",
    "duplicate key": "account_id,month,arr\na,2024-01,5\na,2024-01,6\n",
    "month 13": "account_id,month,arr\na,2024-13,5\n",
    "year 1960": "account_id,month,arr\na,1960-01,5\n",
    "semicolons": "account_id;month;arr\na;2024-01;5\n",
    "upper-case header": "Account_ID,month,arr\na,2024-01,5\n",
    "ragged row": "account_id,month,arr\na,2024-01,5,9\n",
    "header only": "account_id,month,arr\n",
    "quoted comma": 'account_id,month,arr\n"a,b",2024-01,5\n',
}


@pytest.mark.parametrize("text", UNUSUAL.values(), ids=UNUSUAL.keys())
def test_unusual_files_get_the_same_answer_either_way(tmp_path, text):
    (tmp_path / "arr_monthly.csv").write_text(text, encoding="utf-8")
    assert_same(load(tmp_path, fast=True), load(tmp_path, fast=False))


def test_bytes_that_are_not_utf8_step_aside(tmp_path):
    (tmp_path / "arr_monthly.csv").write_bytes("account_id,month,arr\nCaf\xe9,2024-01,5\n"
                                               .encode("latin-1"))
    assert read_clean_table(tmp_path / "arr_monthly.csv", TABLES["arr_monthly"]) is None


CELLS = {
    "account_id": st.sampled_from(["a", "b", "c", " a", "", "=1+1", "<b>x</b>", "é"]),
    "month": st.sampled_from(["2024-01", "2024-02", "2024-1", "", "2024-13", "24-01"]),
    "arr": st.sampled_from(["5", "0", "1e3", "-1", "", "nan", "1,000", "2.5", " 7 ", "inf"]),
}


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.fixed_dictionaries(CELLS), min_size=1, max_size=6))
def test_random_files_get_the_same_answer_either_way(tmp_path, rows):
    folder = tmp_path / "data"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    frame = pd.DataFrame(rows, columns=list(CELLS))
    frame.to_csv(folder / "arr_monthly.csv", index=False)
    assert_same(load(folder, fast=True), load(folder, fast=False))
