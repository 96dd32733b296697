"""NRR, GRR and logo churn against an independent SQL computation (DuckDB)."""

from __future__ import annotations

import json
import subprocess
import sys

import duckdb
import pytest

from csmodels.summary import UNITS

SQL = """
WITH arr AS (
    SELECT account_id, strptime(month || '-01', '%Y-%m-%d')::DATE AS month, arr::DOUBLE AS arr
    FROM read_csv(?, header = true, all_varchar = true)
),
as_of AS (SELECT coalesce(?::DATE, max(month)) AS m FROM arr),
base AS (
    SELECT a.account_id, a.arr AS arr_then
    FROM arr a, as_of WHERE a.month = as_of.m - INTERVAL 12 MONTH AND a.arr > 0
),
joined AS (
    SELECT b.arr_then, coalesce(n.arr, 0) AS arr_now
    FROM base b LEFT JOIN (SELECT a.* FROM arr a, as_of WHERE a.month = as_of.m) n
    USING (account_id)
)
SELECT sum(arr_now) / sum(arr_then) AS nrr,
       sum(least(arr_now, arr_then)) / sum(arr_then) AS grr,
       avg(CASE WHEN arr_now = 0 THEN 1.0 ELSE 0.0 END) AS logo_churn
FROM joined
"""


def sql_metrics(path, as_of=None):
    con = duckdb.connect()
    date = f"{as_of}-01" if as_of else None
    return dict(zip(["nrr", "grr", "logo_churn"],
                    con.execute(SQL, [str(path), date]).fetchone(), strict=True))


# --json rounds ratios to UNITS["ratio"] decimals: equal to DuckDB's figure to that precision
HALF_A_DIGIT = 0.5 * 10**-UNITS["ratio"][2] + 1e-12


@pytest.mark.parametrize("as_of", [None, "2024-12", "2025-07"])
def test_sample_against_duckdb(sample_dir, as_of):
    args = ["metrics", "--data", str(sample_dir), "--json"] + (["--as-of", as_of] if as_of else [])
    ours = json.loads(subprocess.run([sys.executable, "-m", "csmodels", *args],
                                     capture_output=True, text=True, check=True).stdout)
    theirs = sql_metrics(sample_dir / "arr_monthly.csv", as_of)
    for key, value in theirs.items():
        assert ours[key] == pytest.approx(value, abs=HALF_A_DIGIT), key


def test_second_company_against_duckdb(second_company):
    ours = json.loads(subprocess.run(
        [sys.executable, "-m", "csmodels", "metrics", "--data", str(second_company), "--json"],
        capture_output=True, text=True, check=True).stdout)
    theirs = sql_metrics(second_company / "arr_monthly.csv")
    for key, value in theirs.items():
        assert ours[key] == pytest.approx(value, abs=HALF_A_DIGIT), key
