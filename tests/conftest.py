"""Shared fixtures: the sample company, small hand-made folders and a second company."""

from __future__ import annotations

import functools
import hashlib
import os
import subprocess
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pandas as pd
import pytest

# a helper module's asserts explain themselves as a test's do
pytest.register_assert_rewrite("tests.same_figures")

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
# the console script installed beside this interpreter (jupyter_book has no __main__)
JUPYTER_BOOK = str(Path(sys.executable).with_name("jupyter-book"))
# the browser and the wait for the charts, shared with the printer (teaching/print.py)
sys.path.append(str(ROOT / "teaching"))  # last: its build.py must not hide a package
from chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    return SAMPLE


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture
def company_type(monkeypatch):
    """``company_type(segment, column, value)``: for this test, the maturity chapter's
    ``company_types`` table says ``value`` in ``column`` for ``segment`` (a new row of a
    source, to show the model reads the table rather than code)."""
    from csmodels import maturity

    original = maturity._table

    def change(segment: str, column: str, value: str) -> None:
        def changed(name):
            table = original(name)
            if name == "company_types":
                table = table.copy()
                table.loc[table["segment"] == segment, column] = value
            return table

        monkeypatch.setattr(maturity, "_table", changed)

    return change


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


# ---------------------------------------------------------------- the built book (browser tests)


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    """A fresh build (empty execution cache, so every chapter runs) with -W -n."""
    out = tmp_path_factory.mktemp("book")
    result = subprocess.run(
        [JUPYTER_BOOK, "build", str(ROOT), "--path-output", str(out), "-W", "-n", "--keep-going"],
        capture_output=True, text=True, timeout=1200)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-6000:]
    # Sphinx warnings read "WARNING: ..."; the kernel's own "[IPKernelApp] WARNING | ..." log
    # line about its local TCP transport is not a build warning.
    assert "WARNING:" not in log, log[-6000:]
    return out / "_build" / "html"


@pytest.fixture(scope="session")
def server(site):
    handler = functools.partial(_QuietHandler, directory=str(site))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def no_running_loop() -> None:
    """Clear a stale "running" asyncio loop on this thread before Playwright starts.

    An earlier in-process notebook run (nbclient, with nest_asyncio) can leave the main
    thread marked as running a loop although none runs; Playwright's sync API then
    refuses to start ("using Playwright Sync API inside the asyncio loop")."""
    import asyncio

    asyncio.events._set_running_loop(None)


# One browser per test module, not per session: while Playwright's sync API is open, its
# asyncio loop is marked as running on the main thread, and a later module's asyncio.run
# (the rerun's kernel) or a second sync_playwright would refuse to start.
@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is needed: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    no_running_loop()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


# Hypothesis: the same examples on every run (a red CI run can be replayed); set
# HYPOTHESIS_PROFILE=explore to draw new ones when hunting for bugs.
from hypothesis import settings as _hypothesis_settings  # noqa: E402

_hypothesis_settings.register_profile("repeatable", derandomize=True)
_hypothesis_settings.register_profile("explore", derandomize=False)
_hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))


# ------------------------------------------------------------ metrics by brute force
# The book's KPI definitions (csmodels/data/cs_kpis.csv) written again with plain loops
# over a loaded company, sharing nothing with csmodels' definitions, so that a test
# comparing the two can fail.
def _arr_by_account(company) -> tuple[dict, int, int]:
    """{account: {month ordinal: arr}}, the first and last month ordinal."""
    arr: dict = {}
    rows = company.arr_monthly
    for account, month, value in zip(rows["account_id"], rows["month"], rows["arr"],
                                     strict=True):
        arr.setdefault(account, {})[month.ordinal] = float(value)
    months = [m for values in arr.values() for m in values]
    return arr, min(months), max(months)


def _month(value) -> int:
    return pd.Period(value, freq="M").ordinal


def brute_force_kpis(company, as_of: str | None = None, lookback: int = 12) -> dict:
    """The top-level KPIs of ``csmodels metrics`` for ``company``, by brute force."""
    arr, first, last = _arr_by_account(company)
    m = last if as_of is None else _month(as_of)
    at = {a: v.get(m, 0.0) for a, v in arr.items()}
    out = {"arr": sum(at.values()), "paying_accounts": sum(1 for v in at.values() if v > 0)}
    base = {a: v[m - lookback] for a, v in arr.items() if v.get(m - lookback, 0.0) > 0}
    base_arr = sum(base.values())
    now = {a: at[a] for a in base}
    out.update(nrr=sum(now.values()) / base_arr,
               grr=sum(min(now[a], base[a]) for a in base) / base_arr,
               logo_churn=sum(1 for a in base if now[a] == 0) / len(base),
               retention_base_accounts=len(base), retention_base_arr=base_arr)
    moved = {name: 0.0 for name in ("new", "reactivation", "expansion", "contraction", "churn")}
    for values in arr.values():
        paid = [month for month, v in values.items() if v > 0]
        started = min(paid) if paid else None
        for month in range(max(m - lookback + 1, first + 1), m + 1):
            prev, cur = values.get(month - 1, 0.0), values.get(month, 0.0)
            if prev == 0 and cur > 0:
                moved["new" if started == month else "reactivation"] += cur
            elif prev > 0 and cur == 0:
                moved["churn"] += prev
            elif cur > prev:
                moved["expansion"] += cur - prev
            elif cur < prev:
                moved["contraction"] += prev - cur
    out.update({f"{name}_arr": amount for name, amount in moved.items()})
    out.update(_brute_force_tables(company, m, at))
    return out


def _in(date, m: int, window: int) -> bool:
    return m - window < _month(date) <= m


def _brute_force_tables(company, m: int, at: dict) -> dict:
    out: dict = {}
    if company.nps_responses is not None:
        scores = [s for d, s in zip(company.nps_responses["date"],
                                    company.nps_responses["score"], strict=True) if _in(d, m, 12)]
        if scores:
            out["nps"] = 100 * (sum(s >= 9 for s in scores) - sum(s <= 6 for s in scores)) / len(
                scores)
    if company.usage_monthly is not None:
        seats = ({} if company.accounts is None else
                 dict(zip(company.accounts["account_id"], company.accounts["licensed_seats"],
                          strict=True)))
        ratios = []
        for row in company.usage_monthly.itertuples():
            if row.month.ordinal != m:
                continue
            licensed = getattr(row, "licensed_seats", None)
            licensed = seats.get(row.account_id) if pd.isna(licensed) else licensed
            if licensed is not None and not pd.isna(licensed) and licensed > 0 \
                    and not pd.isna(row.active_users):
                ratios.append(min(row.active_users / licensed, 1.0))
        if ratios:
            ratios.sort()
            half = len(ratios) // 2
            out["adoption"] = (ratios[half] if len(ratios) % 2
                               else (ratios[half - 1] + ratios[half]) / 2)
    if company.onboarding is not None:
        end = pd.Period(ordinal=m, freq="M").end_time.normalize()
        days, decided, hit = [], 0, 0
        for row in company.onboarding.itertuples():
            if not _in(row.contract_date, m, 12):
                continue
            reached = not pd.isna(row.first_value_date) and row.first_value_date <= end
            took = (row.first_value_date - row.contract_date).days if reached else None
            if reached:
                days.append(took)
            if reached or (end - row.contract_date).days >= 60:
                decided += 1
                hit += bool(reached and took <= 60)
        if days:
            days.sort()
            half = len(days) // 2
            out["time_to_value_median_days"] = float(
                days[half] if len(days) % 2 else (days[half - 1] + days[half]) / 2)
        if decided:
            out["time_to_value_within_target"] = hit / decided
    if company.qbrs is not None:
        held = {a for a, d in zip(company.qbrs["account_id"], company.qbrs["date"], strict=True)
                if _in(d, m, 3)}
        paying = [a for a, v in at.items() if v > 0]
        if paying:
            out["qbr_coverage"] = sum(a in held for a in paying) / len(paying)
    if company.opportunities is not None:
        total = by_cs = 0.0
        flagged = False
        for row in company.opportunities.itertuples():
            if row.type != "expansion" or not _in(row.created_date, m, 12):
                continue
            flags = [getattr(row, f, None) for f in ("cs_sourced", "cs_influenced")]
            flagged |= any(not pd.isna(f) for f in flags)
            total += row.amount
            by_cs += row.amount if any(not pd.isna(f) and bool(f) for f in flags) else 0.0
        if flagged and total:
            out["expansion_pipeline_influenced"] = by_cs / total
    return out


def engine_sources(exports: Path, folder: Path) -> tuple[Path, Path]:
    """The CSV exports in ``exports`` as a Parquet dataset folder and a DuckDB file, in
    ``folder`` (what ``csmodels metrics`` reads besides exports)."""
    import duckdb

    parquet, database = folder / "parquet", folder / "company.duckdb"
    con = duckdb.connect(str(database))
    for f in sorted(exports.glob("*.csv")):
        (parquet / f.stem).mkdir(parents=True)
        con.execute(f"CREATE TABLE {f.stem} AS SELECT * FROM read_csv('{f}')")
        con.execute(f"COPY {f.stem} TO '{parquet / f.stem / 'part-0.parquet'}'")
    con.close()
    return parquet, database
