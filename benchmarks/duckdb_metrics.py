"""The independent baseline: NRR, GRR, logo churn and the 12-month ARR movements of
an ``arr_monthly.csv``, computed in DuckDB SQL, printed as JSON.

It follows the definitions of ``csmodels/engine/definitions.py``, as ``csmodels metrics``
does, but shares no code with csmodels: the benchmark times it as a whole process beside
``csmodels metrics`` on the same file.

    python benchmarks/duckdb_metrics.py /tmp/bench/100k
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import duckdb

SQL = """
WITH arr AS (
    SELECT account_id,
           CAST(strptime(month || '-01', '%Y-%m-%d') AS DATE) AS month,
           CAST(arr AS DOUBLE) AS arr
    FROM read_csv(?, header = true, columns = {'account_id': 'VARCHAR',
                                              'month': 'VARCHAR', 'arr': 'DOUBLE'})
),
m AS (SELECT max(month) AS m FROM arr),
base AS (SELECT account_id, arr AS arr_then FROM arr, m
         WHERE month = m.m - INTERVAL 12 MONTH AND arr > 0),
now AS (SELECT account_id, arr AS arr_now FROM arr, m WHERE month = m.m),
ret AS (
    SELECT sum(coalesce(arr_now, 0)) / sum(arr_then) AS nrr,
           sum(least(coalesce(arr_now, 0), arr_then)) / sum(arr_then) AS grr,
           avg(CASE WHEN coalesce(arr_now, 0) = 0 THEN 1.0 ELSE 0.0 END) AS logo_churn
    FROM base LEFT JOIN now USING (account_id)
),
-- month-over-month movements in the 12 months to m (absent rows are 0)
pairs AS (
    SELECT coalesce(c.account_id, p.account_id) AS account_id,
           coalesce(c.month, p.month + INTERVAL 1 MONTH) AS month,
           coalesce(p.arr, 0) AS prev, coalesce(c.arr, 0) AS cur
    FROM arr c FULL JOIN arr p
      ON c.account_id = p.account_id AND c.month = p.month + INTERVAL 1 MONTH
),
first_paid AS (SELECT account_id, min(month) AS first FROM arr WHERE arr > 0 GROUP BY 1),
moves AS (
    SELECT sum(CASE WHEN prev = 0 AND cur > 0 AND month = first THEN cur END) AS new,
           sum(CASE WHEN prev = 0 AND cur > 0 AND month > first THEN cur END) AS reactivation,
           sum(CASE WHEN prev > 0 AND cur > prev THEN cur - prev END) AS expansion,
           sum(CASE WHEN prev > 0 AND cur > 0 AND cur < prev THEN prev - cur END) AS contraction,
           sum(CASE WHEN prev > 0 AND cur = 0 THEN prev END) AS churn
    FROM pairs JOIN first_paid USING (account_id), m
    WHERE pairs.month > m.m - INTERVAL 12 MONTH AND pairs.month <= m.m
)
SELECT strftime(m.m, '%Y-%m') AS as_of, ret.*, moves.* FROM ret, moves, m
"""


def metrics(folder: Path) -> dict:
    con = duckdb.connect()
    cursor = con.execute(SQL, [str(folder / "arr_monthly.csv")])
    names = [d[0] for d in cursor.description]
    return dict(zip(names, cursor.fetchone(), strict=True))


if __name__ == "__main__":
    print(json.dumps(metrics(Path(sys.argv[1])), indent=2))
