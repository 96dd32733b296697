"""Shared fixtures: the sample company, small hand-made folders and a second company."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    return SAMPLE


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


def write_tables(folder: Path, **tables: str) -> Path:
    """Write each keyword as ``<name>.csv`` holding the given text (dedented)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in tables.items():
        lines = [line.strip() for line in text.strip("\n").splitlines()]
        (folder / f"{name}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def arr_frame(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    """A validated-looking arr_monthly frame from (account, month, arr) tuples."""
    frame = pd.DataFrame(rows, columns=["account_id", "month", "arr"])
    frame["month"] = pd.PeriodIndex(frame["month"], freq="M")
    frame["arr"] = frame["arr"].astype(float)
    return frame


def folder_digest(folder: Path) -> str:
    """A digest of every file's path and bytes, to prove a folder was not touched."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        digest.update(os.fsencode(path.relative_to(folder)))
        if path.is_symlink():  # a link (maybe to /proc/self/mem): its target, not its bytes
            digest.update(b"-> " + os.fsencode(os.readlink(path)))
        elif path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


@pytest.fixture(scope="session")
def second_company(tmp_path_factory) -> Path:
    """A differently shaped company: fewer, smaller accounts, 24 months, and no
    onboarding, QBR, opportunity or handoff tables."""
    from csmodels.synth import CompanyShape, generate_company, write_company

    shape = CompanyShape(n_initial_accounts=90, new_accounts_per_month=6, months=24,
                         start_month="2022-07",
                         tables=("accounts", "arr_monthly", "nps_responses", "usage_monthly"),
                         company="Second Test Co")
    tables = generate_company(shape, seed=7)
    folder = tmp_path_factory.mktemp("second") / "data"
    write_company(tables, folder, {"company": "Second Test Co", "currency": "EUR",
                                   "funding_stage": "series-a", "touch": "low",
                                   "buyer": "technical", "product_led": True})
    return folder


# Hypothesis: the same examples on every run (a red CI run can be replayed); set
# HYPOTHESIS_PROFILE=explore to draw new ones when hunting for bugs.
from hypothesis import settings as _hypothesis_settings  # noqa: E402

_hypothesis_settings.register_profile("repeatable", derandomize=True)
_hypothesis_settings.register_profile("explore", derandomize=False)
_hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))
