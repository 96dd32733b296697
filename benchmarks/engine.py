"""Benchmark ``csmodels metrics`` on a full company stored as a Parquet dataset folder.

For each size the script writes a company (seeded) with all eight tables at the
proportions of a B2B subscription business (ARR with cents, names and segments,
one usage row per paying account-month, NPS answers, QBRs, onboarding, handoffs
and opportunities), then runs, as whole processes and alternately ``--repeat``
times, ``csmodels metrics --data DIR --json`` and an independent hand-written
DuckDB process over the same files (``engine_duckdb.py``: every figure csmodels
prints, in SQL sharing no code with csmodels). It prints the median wall time and CPU
time (user and system, every thread: on a shared machine much less sensitive to the
others' load), the peak resident memory of each process and their ratios, and stops if the two
disagree on any figure (money to the cent). Figures, not a test: run it with
``nice -n 19`` on a shared machine.

    python benchmarks/engine.py --sizes 10000 100000 1000000
    python benchmarks/engine.py --arr-rows 100000000   # ARR alone, out of core

Each result is one JSON line; ``--save`` also writes them, with the machine and
the commit measured, to ``benchmarks/results/engine.csv`` (replacing the rows of
the sizes measured, keeping the others), which the book's scale page reads.

``--arr-rows`` writes only ``arr_monthly`` with that many rows (about 2.8M
accounts over 36 months) and times csmodels and DuckDB on it the same way.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "engine.csv"
sys.path.insert(0, str(HERE))

from generate import MONTHS, arr_histories  # noqa: E402
from run import machine, run_once  # noqa: E402

FIRST = 2023 * 12  # the first month, as year * 12 + month - 1
SEGMENTS = np.array(["SMB", "Mid-Market", "Enterprise"])


def _ids(index: np.ndarray) -> np.ndarray:
    return np.char.add("A", np.char.zfill(index.astype(str), 8))


def _months(m: np.ndarray) -> np.ndarray:
    labels = np.array([f"{(FIRST + k) // 12}-{(FIRST + k) % 12 + 1:02d}" for k in range(MONTHS)])
    return labels[m]


def _dates(m: np.ndarray, rng) -> np.ndarray:
    """A day in each month ``m`` (0 = the data's first month), as dates."""
    first = np.datetime64("2023-01", "M") + m.astype("timedelta64[M]")
    return first.astype("datetime64[D]") + rng.integers(0, 28, len(m)).astype("timedelta64[D]")


def _write(folder: Path, name: str, table: pa.Table, parts: int = 4, prefix: str = "") -> None:
    out = folder / name
    out.mkdir(parents=True, exist_ok=True)
    step = -(-table.num_rows // parts)
    for i in range(parts):
        pq.write_table(table.slice(i * step, step), out / f"part-{prefix}{i}.parquet")


def write_company(n: int, folder: Path, seed: int = 0, block: int = 1_000_000) -> int:
    """Write the eight tables of an ``n``-account company; the ARR rows. Accounts are
    made ``block`` at a time (each block seeded on its own), so ten million accounts
    fit in memory."""
    rows = 0
    for b, first in enumerate(range(0, n, block)):
        rows += _write_block(min(block, n - first), first, folder, seed + b,
                             f"{b}-" if n > block else "")
    return rows


def _write_block(n: int, first: int, folder: Path, seed: int, prefix: str) -> int:
    """The accounts ``first`` to ``first + n - 1`` of a company, in all eight tables."""
    rng = np.random.default_rng(seed)
    account, month, arr = arr_histories(n, seed)
    arr = arr + rng.integers(0, 100, len(arr)) / 100  # cents
    ids, start = _ids(first + np.arange(n)), np.full(n, MONTHS)
    np.minimum.at(start, account, month)
    _write(folder, "arr_monthly", prefix=prefix, table=pa.table({
        "account_id": _ids(first + account), "month": _months(month), "arr": arr}))
    seats = rng.integers(5, 500, n)
    _write(folder, "accounts", prefix=prefix, table=pa.table({
        "account_id": ids, "name": np.char.add("Company ", (first + np.arange(n)).astype(str)),
        "segment": SEGMENTS[rng.integers(0, 3, n)], "licensed_seats": seats}))
    _write(folder, "usage_monthly", prefix=prefix, table=pa.table({
        "account_id": _ids(first + account), "month": _months(month),
        "active_users": (seats[account] * rng.uniform(0.1, 1.1, len(account))).astype(int)}))
    k = int(n * 1.5)  # NPS answers: about one a year per account
    who = rng.integers(0, n, k)
    _write(folder, "nps_responses", prefix=prefix, table=pa.table({
        "date": _dates(rng.integers(0, MONTHS, k), rng), "score": rng.integers(0, 11, k),
        "account_id": _ids(first + who)}))
    q = n * 2  # QBRs
    _write(folder, "qbrs", prefix=prefix, table=pa.table({
        "account_id": _ids(first + rng.integers(0, n, q)),
        "date": _dates(rng.integers(0, MONTHS, q), rng)}))
    new = np.flatnonzero((start > 0) & (start < MONTHS))
    signed = _dates(start[new] - 1, rng)
    reached = rng.random(len(new)) < 0.85
    value = signed + rng.integers(5, 120, len(new)).astype("timedelta64[D]")
    _write(folder, "onboarding", prefix=prefix, table=pa.table({
        "account_id": _ids(first + new), "contract_date": signed,
        "first_value_date": pa.array(value, mask=~reached)}))
    _write(folder, "handoffs", prefix=prefix, table=pa.table({
        "account_id": _ids(first + new), "closed_won_date": signed,
        "handoff_date": signed + rng.integers(0, 20, len(new)).astype("timedelta64[D]")}))
    o = n  # opportunities
    created = rng.integers(0, MONTHS, o)
    _write(folder, "opportunities", prefix=prefix, table=pa.table({
        "opportunity_id": np.char.add("O", (first + np.arange(o)).astype(str)),
        "account_id": _ids(first + rng.integers(0, n, o)),
        "type": np.array(["new", "renewal", "expansion"])[rng.integers(0, 3, o)],
        "amount": np.round(rng.lognormal(9, 1, o), 2),
        "created_date": _dates(created, rng),
        "close_date": _dates(np.minimum(created + 2, MONTHS - 1), rng) + np.timedelta64(28, "D"),
        "status": np.array(["open", "won", "lost"])[rng.integers(0, 3, o)],
        "cs_sourced": rng.random(o) < 0.2, "cs_influenced": rng.random(o) < 0.3}))
    return len(arr)


def write_arr_only(rows: int, folder: Path, seed: int = 0, chunk: int = 5_000_000) -> int:
    """``arr_monthly`` alone with ``rows`` rows (accounts paying every month), in parts."""
    out = folder / "arr_monthly"
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for i, lo in enumerate(range(0, rows, chunk)):
        r = np.arange(lo, min(rows, lo + chunk))
        account, month = r // MONTHS, r % MONTHS
        arr = np.round(rng.lognormal(np.log(20_000), 1.0, len(r)), 2)
        arr[rng.random(len(r)) < 0.01] = 0.0  # some months unpaid
        pq.write_table(pa.table({"account_id": _ids(account), "month": _months(month),
                                 "arr": arr}), out / f"part-{i:04d}.parquet")
    return rows


COMPARED = ("nrr", "grr", "logo_churn", "retention_base_arr", "retention_base_accounts", "arr",
            "paying_accounts", "new_arr", "reactivation_arr", "churn_arr", "expansion_arr",
            "contraction_arr", "nps", "nps_responses", "adoption", "time_to_value_median_days",
            "time_to_value_within_target", "qbr_coverage", "expansion_pipeline_influenced")


def bench(label: str, folder: Path, rows: int, repeat: int) -> dict:
    ours = [sys.executable, "-m", "csmodels", "metrics", "--data", str(folder), "--json"]
    theirs = [sys.executable, str(HERE / "engine_duckdb.py"), str(folder)]
    times: dict[str, list[float]] = {"csmodels": [], "duckdb": []}
    cpu: dict[str, list[float]] = {"csmodels": [], "duckdb": []}
    peak: dict[str, float] = {"csmodels": 0.0, "duckdb": 0.0}
    out: dict[str, dict] = {}
    loads = []  # the 1-minute load average before each run (these runs count in it)
    for _ in range(repeat):
        for name, command in (("csmodels", ours), ("duckdb", theirs)):
            loads.append(os.getloadavg()[0])
            seconds, busy, mb, text = run_once(command)
            times[name].append(seconds)
            cpu[name].append(busy)
            peak[name] = max(peak[name], mb)
            out[name] = json.loads(text)
    # Money to the cent. From 100M ARR rows on, float64 sums cannot hold cents (at 1e10
    # to 1e12 their last digits depend on the order of the additions, which differs
    # between the two queries and between DuckDB's threads): there to 1e-10 of the total,
    # and the largest gap is reported. Ratios as --json prints them, to 6 decimals; NPS
    # and days to 2.
    money_gap = 0.0
    compared = [k for k in COMPARED if k in out["duckdb"]]  # ARR alone: the ARR figures
    for key in compared:
        a, b = out["csmodels"][key], out["duckdb"][key]
        if a is None or b is None:
            same = a is None and b is None
        elif key == "arr" or key.endswith("_arr"):
            money_gap = max(money_gap, abs(a - b))
            same = round(a, 2) == round(b, 2) or (rows >= 1e8 and abs(a - b) <= 1e-10 * abs(b))
        elif key in ("nps", "time_to_value_median_days"):  # printed to 2 decimals
            same = a == round(b, 2)
        else:
            same = a == round(b, 6) or abs(a - b) <= 1e-9 * max(1, abs(b))
        if not same:
            raise SystemExit(f"{key} differs at {label}: csmodels {a}, duckdb {b}")
    med = {k: statistics.median(v) for k, v in times.items()}
    med_cpu = {k: statistics.median(v) for k, v in cpu.items()}
    size = sum(f.stat().st_size for f in folder.rglob("*.parquet")) / 1e6
    return {"data": label, "arr_rows": rows, "parquet_mb": round(size, 1), "repeat": repeat,
            "figures": len(compared), "load": round(statistics.median(loads), 1),
            "csmodels_s": round(med["csmodels"], 2), "duckdb_s": round(med["duckdb"], 2),
            "ratio": round(med["csmodels"] / med["duckdb"], 2),
            "csmodels_cpu_s": round(med_cpu["csmodels"], 2),
            "duckdb_cpu_s": round(med_cpu["duckdb"], 2),
            "cpu_ratio": round(med_cpu["csmodels"] / med_cpu["duckdb"], 2),
            "csmodels_peak_mb": round(peak["csmodels"]), "duckdb_peak_mb": round(peak["duckdb"]),
            "money_gap": round(money_gap, 2)}


def save(results: list[dict], path: Path = RESULTS) -> None:
    """The results, with the machine they were measured on, as CSV: a size measured
    now replaces its row, the other sizes' rows stay (10M accounts is measured alone)."""
    import csv

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=HERE,
                            capture_output=True, text=True).stdout.strip() or "unknown"
    rows = [{**r, **machine(), "commit": commit} for r in results]
    measured = {r["data"] for r in rows}
    if path.exists():
        with path.open(newline="") as fh:  # rows saved before commits were recorded, and
            # before the reference computed every figure (then the 11 ARR figures)
            kept = [{"commit": "d1a68fb", **r, "figures": r.get("figures") or 11}
                    for r in csv.DictReader(fh) if r["data"] not in measured]
        rows = sorted(kept + rows, key=lambda r: (r["data"].endswith("ARR rows"),
                                                  int(r["arr_rows"])))
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=[*results[0], *machine(), "commit"])
        writer.writeheader()
        writer.writerows(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--arr-rows", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--root", type=Path, default=Path("/tmp/csmodels-engine-bench"))
    parser.add_argument("--save", action="store_true", help=f"write the results to {RESULTS}")
    args = parser.parse_args()
    results = []
    print(json.dumps(machine()))
    for n in args.sizes:
        folder = args.root / f"company-{n}"
        marker = folder / "rows.txt"
        if not marker.exists():
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.write_text(str(write_company(n, folder)))
        results.append(bench(f"{n} accounts", folder, int(marker.read_text()), args.repeat))
        print(json.dumps(results[-1]), flush=True)
        if args.save:  # after each size, so a long run stopped half-way keeps what it measured
            save(results)
    if args.arr_rows:
        folder = args.root / f"arr-{args.arr_rows}"
        if not (folder / "rows.txt").exists():
            write_arr_only(args.arr_rows, folder)
            (folder / "rows.txt").write_text(str(args.arr_rows))
        results.append(bench(f"{args.arr_rows} ARR rows", folder, args.arr_rows, 1))
        print(json.dumps(results[-1]), flush=True)
        if args.save:
            save(results)


if __name__ == "__main__":
    main()
