"""Each query ``csmodels metrics`` sends to DuckDB on a Parquet dataset folder or a DuckDB
file, with the wall time and the CPU time (user and system, every thread) the process
spent in it: where the time of ``benchmarks/engine.py``'s runs goes.

    python benchmarks/engine_queries.py /tmp/csmodels-engine-bench/company-1000000
    python benchmarks/engine_queries.py DIR --all   # every query, not only those over 0.01 s

It opens the data and computes the figures as ``csmodels metrics`` does (``open_data``,
then ``summary``), in this process, through a connection that logs each ``execute``.
Run it twice to time a warm SQL cache (a cold one adds Ibis's compilation to a query).
Figures, not a test: run it with ``nice -n 19`` on a shared machine and compare runs of
two versions alternately.
"""

from __future__ import annotations

import argparse
import resource
import time

import duckdb

from csmodels.engine import run, sources

LOG: list[tuple[float, float, str]] = []


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class _Logged:
    """A DuckDB connection that records each query's wall and CPU time."""

    def __init__(self, connection):
        self._connection = connection

    def execute(self, sql, *args, **kwargs):
        cpu, wall = _cpu(), time.perf_counter()
        result = self._connection.execute(sql, *args, **kwargs)  # DuckDB runs it here
        LOG.append((time.perf_counter() - wall, _cpu() - cpu, sql))
        return result

    def __getattr__(self, name):
        return getattr(self._connection, name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data")
    parser.add_argument("--as-of", default=None)
    parser.add_argument("--all", action="store_true", help="print every query")
    args = parser.parse_args()
    connect = duckdb.connect
    sources.duckdb.connect = lambda *a, **k: _Logged(connect(*a, **k))
    run._is_duckdb = lambda connection: True  # the logged connection is DuckDB's
    cpu, wall = _cpu(), time.perf_counter()
    engine, _ = sources.open_data(args.data, args.as_of)
    run.summary(engine, args.as_of)
    print(f"{len(LOG)} queries, {time.perf_counter() - wall:.2f} s wall, "
          f"{_cpu() - cpu:.2f} s CPU in all (queries: {sum(c for _, c, _ in LOG):.2f} s CPU)")
    print(" wall s   CPU s  query")
    for seconds, busy, sql in LOG:
        if args.all or busy > 0.01:
            print(f"{seconds:6.2f}  {busy:6.2f}  {' '.join(sql.split())[:150]}")


if __name__ == "__main__":
    main()
