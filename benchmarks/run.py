"""Time ``csmodels metrics`` against an independent DuckDB computation, as whole processes.

For each size, the script generates a company (``generate.py``, seeded), then runs
``csmodels metrics --data DIR --json`` and ``duckdb_metrics.py DIR`` alternately,
``--repeat`` times each, on the same file. It prints the median wall time and the
peak resident memory of each process, the ratio, and checks that both computed the
same NRR, GRR and logo churn. Figures, not a test: the machines are noisy.

    python benchmarks/run.py                       # 1k, 10k, 100k accounts
    python benchmarks/run.py --sizes 1000000 --repeat 3
    python benchmarks/run.py --sizes 1000 10000 100000 1000000 --save

``--save`` writes the figures, with the machine they were measured on, to
``benchmarks/results/metrics.csv``, which the book's scale page reads.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "metrics.csv"
sys.path.insert(0, str(HERE))

from generate import MONTHS, write  # noqa: E402

from csmodels.summary import UNITS  # noqa: E402


def run_once(command: list[str]) -> tuple[float, float, float, str]:
    """Wall seconds, CPU seconds (user and system, all its threads), peak RSS (MB) and
    stdout of one process, measured with wait4. On a shared machine the wall time
    depends on the others' load; the CPU time much less so."""
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = proc.stdout.read()
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{err.decode()}")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, out.decode()


def bench(size: int, root: Path, repeat: int) -> dict:
    folder = root / f"{size}"
    if not (folder / "arr_monthly.csv").exists():
        write(size, folder)
    rows = sum(1 for _ in (folder / "arr_monthly.csv").open()) - 1
    ours = [sys.executable, "-m", "csmodels", "metrics", "--data", str(folder), "--json"]
    theirs = [sys.executable, str(HERE / "duckdb_metrics.py"), str(folder)]
    times: dict[str, list[float]] = {"csmodels": [], "duckdb": []}
    memory: dict[str, list[float]] = {"csmodels": [], "duckdb": []}
    outputs = {}
    for _ in range(repeat):
        for name, command in (("csmodels", ours), ("duckdb", theirs)):
            seconds, _, mb, out = run_once(command)
            times[name].append(seconds)
            memory[name].append(mb)
            outputs[name] = json.loads(out)
    for key in ("nrr", "grr", "logo_churn"):
        a, b = outputs["csmodels"][key], outputs["duckdb"][key]
        # --json writes ratios to UNITS["ratio"] decimals: equal to that precision
        if abs(a - b) > 0.5 * 10 ** -UNITS["ratio"][2] + 1e-12:
            raise SystemExit(f"{key} differs at {size} accounts: csmodels {a}, duckdb {b}")
    med = {k: statistics.median(v) for k, v in times.items()}
    return {"accounts": size, "months": MONTHS, "rows": rows, "repeat": repeat,
            "mb": (folder / "arr_monthly.csv").stat().st_size / 1e6,
            "csmodels_s": med["csmodels"], "duckdb_s": med["duckdb"],
            "ratio": med["csmodels"] / med["duckdb"],
            "csmodels_peak_mb": max(memory["csmodels"]), "duckdb_peak_mb": max(memory["duckdb"])}


def machine() -> dict:
    """What the figures were measured on."""
    with open("/proc/meminfo") as fh:
        mem_kb = int(fh.readline().split()[1])
    return {"date": time.strftime("%Y-%m-%d"), "cores": os.cpu_count(),
            "ram_gb": round(mem_kb / 2**20), "python": platform.python_version()}


def save(results: list[dict], path: Path = RESULTS) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [{**r, **machine()} for r in results]
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows({k: round(v, 3) if isinstance(v, float) else v for k, v in r.items()}
                         for r in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--root", type=Path, default=Path("/tmp/csmodels-bench"))
    parser.add_argument("--save", action="store_true",
                        help=f"write the figures to {RESULTS.relative_to(HERE.parent)}")
    args = parser.parse_args()
    header = (f"{'accounts':>9} {'rows':>11} {'CSV MB':>7} {'csmodels s':>11} {'duckdb s':>9} "
              f"{'ratio':>6} {'csmodels MB':>12} {'duckdb MB':>10}")
    print(header)
    results = []
    for size in args.sizes:
        r = bench(size, args.root, args.repeat)
        results.append(r)
        print(f"{r['accounts']:>9,} {r['rows']:>11,} {r['mb']:>7.1f} {r['csmodels_s']:>11.2f} "
              f"{r['duckdb_s']:>9.2f} {r['ratio']:>6.2f} {r['csmodels_peak_mb']:>12.0f} "
              f"{r['duckdb_peak_mb']:>10.0f}", flush=True)
    if args.save:
        save(results)
        print(f"saved to {RESULTS}")


if __name__ == "__main__":
    main()
