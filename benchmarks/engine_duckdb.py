"""The hand-written DuckDB process ``benchmarks/engine.py`` times beside ``csmodels
metrics``: every figure ``csmodels metrics --json`` prints, in SQL over a Parquet dataset
folder, printed as JSON. It shares no code with csmodels and imports only DuckDB, so the
process pays no start-up cost it does not need.

    python benchmarks/engine_duckdb.py /tmp/csmodels-engine-bench/company-1000000
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import duckdb

# The independent computation: hand-written SQL over the same Parquet files, every
# figure `csmodels metrics --json` prints (the metrics chapter's definitions, with the
# default settings: 12 months of lookback, NPS, time to value and pipeline windows,
# 3 months of QBRs, a 60-day target). It checks nothing: csmodels checks every table.
SQL = """
WITH arr AS (
    SELECT account_id, CAST(substr(month, 1, 4) AS INT) * 12 + CAST(substr(month, 6, 2) AS INT) - 1
           AS m, arr FROM read_parquet('{dir}/arr_monthly/*.parquet')),
bounds AS (SELECT max(m) AS t, min(m) AS f FROM arr),
base AS (SELECT account_id, arr AS b FROM arr, bounds WHERE m = t - 12 AND arr > 0),
now AS (SELECT account_id, arr AS n FROM arr, bounds WHERE m = t),
ret AS (SELECT sum(coalesce(n, 0)) / sum(b) AS nrr, sum(least(coalesce(n, 0), b)) / sum(b) AS grr,
               avg(CASE WHEN coalesce(n, 0) = 0 THEN 1.0 ELSE 0.0 END) AS logo_churn,
               sum(b) AS retention_base_arr, count(*) AS retention_base_accounts
        FROM base LEFT JOIN now USING (account_id)),
tot AS (SELECT sum(n) AS arr, count(*) FILTER (WHERE n > 0) AS paying_accounts FROM now),
firsts AS (SELECT account_id, min(m) AS fp FROM arr WHERE arr > 0 GROUP BY account_id),
grid AS (SELECT coalesce(c.account_id, p.account_id) AS account_id,
                coalesce(c.m, p.m + 1) AS m, coalesce(c.arr, 0) AS cur, coalesce(p.arr, 0) AS prev
         FROM (SELECT a.* FROM arr a, bounds WHERE a.m > t - 12 AND a.m > f) c
         FULL JOIN (SELECT a.* FROM arr a, bounds WHERE a.m >= t - 12 AND a.m >= f AND a.m < t) p
         ON c.account_id = p.account_id AND c.m = p.m + 1),
mv AS (SELECT
         sum(CASE WHEN prev = 0 AND cur > 0 AND fp = grid.m THEN cur ELSE 0 END) AS new_arr,
         sum(CASE WHEN prev = 0 AND cur > 0 AND fp < grid.m THEN cur ELSE 0 END)
           AS reactivation_arr,
         sum(CASE WHEN prev > 0 AND cur = 0 THEN prev ELSE 0 END) AS churn_arr,
         sum(CASE WHEN prev > 0 AND cur > prev THEN cur - prev ELSE 0 END) AS expansion_arr,
         sum(CASE WHEN cur > 0 AND cur < prev THEN prev - cur ELSE 0 END) AS contraction_arr
       FROM grid JOIN firsts USING (account_id)),
answers AS (SELECT score FROM read_parquet('{dir}/nps_responses/*.parquet'), bounds
            WHERE year(date) * 12 + month(date) - 1 BETWEEN t - 11 AND t),
nps AS (SELECT CASE WHEN count(*) > 0 THEN 100.0 * (count(*) FILTER (WHERE score >= 9)
                    - count(*) FILTER (WHERE score <= 6)) / count(*) END AS nps,
               count(*) AS nps_responses FROM answers),
accounts AS (SELECT account_id, licensed_seats FROM read_parquet('{dir}/accounts/*.parquet')),
used AS (SELECT u.account_id, u.active_users FROM read_parquet('{dir}/usage_monthly/*.parquet') u,
         bounds WHERE CAST(substr(u.month, 1, 4) AS INT) * 12
                      + CAST(substr(u.month, 6, 2) AS INT) - 1 = t),
adoption AS (SELECT median(least(active_users / licensed_seats, 1.0)) AS adoption
             FROM used JOIN accounts USING (account_id) WHERE licensed_seats > 0),
ends AS (SELECT t, last_day(make_date(t // 12, t % 12 + 1, 1)) AS e FROM bounds),
signed AS (SELECT o.first_value_date IS NOT NULL AND o.first_value_date <= e AS reached,
                  o.first_value_date - o.contract_date AS days, e - o.contract_date AS elapsed
           FROM read_parquet('{dir}/onboarding/*.parquet') o, ends
           WHERE year(o.contract_date) * 12 + month(o.contract_date) - 1 BETWEEN t - 11 AND t),
ttv AS (SELECT median(CAST(days AS DOUBLE)) FILTER (WHERE reached) AS time_to_value_median_days,
               count(*) FILTER (WHERE reached AND days <= 60)
               / nullif(count(*) FILTER (WHERE reached OR elapsed >= 60), 0)
               AS time_to_value_within_target FROM signed),
held AS (SELECT DISTINCT q.account_id FROM read_parquet('{dir}/qbrs/*.parquet') q, bounds
         WHERE year(q.date) * 12 + month(q.date) - 1 BETWEEN t - 2 AND t),
qbr AS (SELECT count(h.account_id) / nullif(count(*), 0) AS qbr_coverage
        FROM now LEFT JOIN held h USING (account_id) WHERE n > 0),
pipe AS (SELECT CASE WHEN sum(amount) <> 0 AND count(*) FILTER (WHERE cs_sourced IS NOT NULL
                          OR cs_influenced IS NOT NULL) > 0
                     THEN sum(amount) FILTER (WHERE coalesce(cs_sourced, false)
                                              OR coalesce(cs_influenced, false)) / sum(amount)
                END AS expansion_pipeline_influenced
         FROM read_parquet('{dir}/opportunities/*.parquet') o, bounds
         WHERE type = 'expansion'
           AND year(created_date) * 12 + month(created_date) - 1 BETWEEN t - 11 AND t)
SELECT * FROM ret, tot, mv, nps, adoption, ttv, qbr, pipe
"""
# Only arr_monthly (the --arr-rows company): the ARR figures alone.
ARR_ONLY = SQL[:SQL.index("answers AS")].rstrip().rstrip(",") + "\nSELECT * FROM ret, tot, mv\n"


def duckdb_process(folder: str) -> None:
    """The figures of the company in ``folder``, printed as JSON."""
    full = (Path(folder) / "accounts").is_dir()
    cur = duckdb.connect().execute((SQL if full else ARR_ONLY).format(dir=folder))
    row = cur.fetchone()
    print(json.dumps({d[0]: None if v is None else float(v)
                      for d, v in zip(cur.description, row, strict=True)}))


if __name__ == "__main__":
    duckdb_process(sys.argv[1])
