"""A generated corpus of company shapes, written on demand (never committed).

Each shape is a function that writes a data folder the loader accepts. Synthetic
shapes come from :mod:`csmodels.synth` with small account counts (fast); the
hand-made ones write ``arr_monthly`` (and ``accounts``) from a few lines of
ARR per account, for the shapes the generator cannot make on purpose.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from itertools import combinations
from pathlib import Path

import pandas as pd

from csmodels.synth import CompanyShape, company_profile, generate_company, write_company

ROOT = Path(__file__).resolve().parents[1]
CASES = ROOT / "data" / "cases"
OPTIONAL = ("accounts", "nps_responses", "usage_monthly", "onboarding", "qbrs",
            "opportunities", "handoffs")
SMALL = CompanyShape(n_initial_accounts=40, new_accounts_per_month=2.0, months=24,
                     company="Shape Test Co")


def synthetic(folder: Path, profile: bool = True, seed: int = 3, **changes) -> Path:
    shape = replace(SMALL, **changes)
    tables = generate_company(shape, seed=seed)
    write_company(tables, folder, company_profile(tables, shape) if profile else None)
    return folder


def hand_made(folder: Path, arr: dict[str, list[float]], start: str = "2024-01",
              name: str | None = "Hand Made Ltd") -> Path:
    """``arr`` maps an account to its ARR per month from ``start`` (0: not paying)."""
    folder.mkdir(parents=True, exist_ok=True)
    months = pd.period_range(start, periods=max(len(v) for v in arr.values()), freq="M")
    rows = [(acc, str(months[i]), value) for acc, values in arr.items()
            for i, value in enumerate(values) if value > 0]
    pd.DataFrame(rows, columns=["account_id", "month", "arr"]).to_csv(
        folder / "arr_monthly.csv", index=False)
    pd.DataFrame({"account_id": list(arr), "name": [f"Customer {a}" for a in arr]}).to_csv(
        folder / "accounts.csv", index=False)
    if name:
        (folder / "profile.yml").write_text(f"company: {name}\ncurrency: EUR\n",
                                            encoding="utf-8")
    return folder


def _flat(n: int, months: int, value: float = 12_000.0) -> dict[str, list[float]]:
    return {f"C{i:02d}": [value + 1_000 * i] * months for i in range(n)}


def ten_accounts(folder: Path) -> Path:
    """The issue's company: 10 accounts over 13 months, all paying from the first
    month, one churned, one expanded."""
    arr = _flat(10, 13)
    arr["C00"] = [12_000.0] * 7 + [0.0] * 6
    arr["C01"] = [13_000.0] * 6 + [20_000.0] * 7
    return hand_made(folder, arr)


def ten_plus_one(folder: Path) -> Path:
    ten_accounts(folder)
    rows = pd.read_csv(folder / "arr_monthly.csv")
    new = pd.DataFrame({"account_id": "C10", "month": ["2024-11", "2024-12", "2025-01"],
                        "arr": 9_000.0})
    pd.concat([rows, new]).to_csv(folder / "arr_monthly.csv", index=False)
    accounts = pd.read_csv(folder / "accounts.csv")
    pd.concat([accounts, pd.DataFrame({"account_id": ["C10"], "name": ["Customer C10"]})]
              ).to_csv(folder / "accounts.csv", index=False)
    return folder


def seasonal(folder: Path) -> Path:
    """Every account signs in January and renews or churns the next January."""
    arr = {}
    for year in range(3):
        for i in range(6):
            life = [0.0] * (12 * year) + [10_000.0 + 500 * i] * (12 * (3 - year))
            if i == 0 and year < 2:  # one churns at its first renewal
                life = life[: 12 * year + 12] + [0.0] * (36 - 12 * year - 12)
            arr[f"Y{year}C{i}"] = life
    return hand_made(folder, arr, start="2023-01")


def monthly_billed(folder: Path) -> Path:
    """Monthly contracts: accounts join, change and leave in any month."""
    arr = {}
    for i in range(15):
        start, stop = i % 7, 24 - (i % 5) * 3
        arr[f"M{i:02d}"] = [0.0] * start + [1_200.0 + 120 * ((m * i) % 4)
                                            for m in range(start, stop)] + [0.0] * (24 - stop)
    return hand_made(folder, arr, start="2023-07")


def reactivations(folder: Path) -> Path:
    arr = _flat(8, 24)
    for i in range(4):
        arr[f"C{i:02d}"] = [9_000.0] * (5 + i) + [0.0] * 4 + [7_000.0] * (15 - i)
    return hand_made(folder, arr)


def huge_expansion(folder: Path) -> Path:
    arr = {f"C{i:02d}": [5_000.0 * 1.25 ** m for m in range(24)] for i in range(12)}
    arr["N1"] = [0.0] * 18 + [4_000.0] * 6
    return hand_made(folder, arr)


def everything_churned(folder: Path) -> Path:
    return hand_made(folder, {f"C{i}": [8_000.0] * (6 + i) + [0.0] * (18 - i)
                              for i in range(6)} | {"Z": [8_000.0] * 23 + [0.0]})


def _case(name: str):
    def write(folder: Path) -> Path:
        shutil.copytree(CASES / name, folder)
        return folder
    return write


_BASE: dict[str, Path] = {}


def _without(tables: tuple[str, ...]):
    """One small synthetic company (made once per folder parent) without ``tables``."""
    def write(folder: Path) -> Path:
        base = _BASE.get(str(folder.parent))
        if base is None:
            base = _BASE[str(folder.parent)] = synthetic(folder.parent / ".full-company", seed=11)
        shutil.copytree(base, folder)
        for table in tables:
            (folder / f"{table}.csv").unlink()
        return folder
    return write


SHAPES = {
    "months-2": lambda f: synthetic(f, months=2),
    "months-6": lambda f: synthetic(f, months=6),
    "months-13": lambda f: synthetic(f, months=13),
    "one-account": lambda f: hand_made(f, {"ONLY": [25_000.0] * 18}),
    "three-accounts": lambda f: hand_made(f, _flat(3, 20)),
    "ten-accounts-13-months": ten_accounts,
    "ten-plus-one-new": ten_plus_one,
    "no-churn": lambda f: hand_made(f, {k: [v[0] * (1 + 0.01 * m) for m in range(24)]
                                        for k, v in _flat(9, 24).items()}),
    "everything-churned": everything_churned,
    "no-new-accounts": lambda f: synthetic(f, new_accounts_per_month=0.0),
    "huge-expansion": huge_expansion,
    "reactivations": reactivations,
    "seasonal": seasonal,
    "monthly-billed": monthly_billed,
    "no-profile": lambda f: synthetic(f, profile=False, seed=5),
    "only-arr-monthly": _without(OPTIONAL),
    **{f"case-{p.name}": _case(p.name) for p in sorted(CASES.iterdir()) if p.is_dir()},
}
# every combination of missing optional tables, on one small synthetic company
COMBINATIONS = {"without-" + ("+".join(t) or "nothing"): _without(t)
                for k in range(len(OPTIONAL) + 1) for t in combinations(OPTIONAL, k)}


def write_shape(name: str, folder: Path) -> Path:
    return {**SHAPES, **COMBINATIONS}[name](folder)
