"""Synthetic companies for the benchmarks: ``arr_monthly.csv`` of N accounts over 36 months.

The sample generator (:mod:`csmodels.synth`) simulates a whole company with every
table; at a million accounts that is more than the benchmark needs. This script
draws ARR histories directly, vectorised with numpy and written with pyarrow, so
a million accounts (about 14M rows) take seconds. Seeded: the same size and seed
give the same bytes.

    python benchmarks/generate.py 100000 /tmp/bench/100k
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

MONTHS = 36


def arr_histories(n_accounts: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Account index, month index and ARR of every paying account-month."""
    rng = np.random.default_rng(seed)
    # 40% already paying when the data start, the rest start evenly over the window
    start = np.where(rng.random(n_accounts) < 0.4, 0, rng.integers(1, MONTHS, n_accounts))
    arr = np.round(rng.lognormal(np.log(20_000), 1.0, n_accounts), -2)
    values = np.zeros((n_accounts, MONTHS))
    alive = np.ones(n_accounts, dtype=bool)
    anniversary = rng.integers(0, 12, n_accounts)
    for t in range(MONTHS):
        started = start <= t
        renewal = started & ((t - start) % 12 == anniversary % 12) & (t > start)
        churn = renewal & (rng.random(n_accounts) < 0.09)
        alive &= ~churn
        change = np.where(renewal & (rng.random(n_accounts) < 0.35),
                          rng.uniform(0.8, 1.4, n_accounts), 1.0)
        arr = np.round(arr * change, -2)
        values[:, t] = np.where(started & alive, arr, 0.0)
    account, month = np.nonzero(values > 0)
    return account, month, values[account, month]


def write(n_accounts: int, folder: Path, seed: int = 0) -> Path:
    """Write ``folder/arr_monthly.csv``; return its path."""
    account, month, arr = arr_histories(n_accounts, seed)
    folder.mkdir(parents=True, exist_ok=True)
    ids = np.char.add("A", np.char.zfill(account.astype(str), 7))
    months = np.array([f"{2023 + m // 12}-{m % 12 + 1:02d}" for m in range(MONTHS)])[month]
    table = pa.table({"account_id": ids, "month": months, "arr": arr.astype(np.int64)})
    path = folder / "arr_monthly.csv"
    pacsv.write_csv(table, path, pacsv.WriteOptions(quoting_style="none"))
    return path


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("accounts", type=int)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(write(args.accounts, args.folder, args.seed))
