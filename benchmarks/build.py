"""Time the main job and weigh its pages: a cold build of a clean clone, a rebuild
with nothing changed, each chapter page's size, and a metrics rerun on a large company.

    python benchmarks/build.py                 # print the figures
    python benchmarks/build.py --save          # also write benchmarks/results/build.csv

The clone is of the repository's last commit, so uncommitted changes are not
measured. The rerun step needs the 100k-account company of ``run.py`` (made on
first use) and is skipped with ``--no-rerun``. Figures, not a test: the machines
are noisy, so run it on a quiet machine and read the numbers as such.
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results" / "build.csv"
JUPYTER_BOOK = Path(sys.executable).with_name("jupyter-book")
sys.path.insert(0, str(HERE))

from generate import write  # noqa: E402
from run import machine  # noqa: E402


def timed(command: list[str], cwd: Path | None = None) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    return time.perf_counter() - start


def page_kb(html: Path) -> float:
    """A page's own weight: its HTML (chart data is inline) and the images only it uses."""
    text = html.read_text(encoding="utf-8")
    images = {p for p in (html.parents[1] / "_images").glob("*") if p.name in text}
    return (html.stat().st_size + sum(p.stat().st_size for p in images)) / 1024


def measure(rerun: bool, bench_root: Path) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        book = Path(tmp) / "book"
        subprocess.run(["git", "clone", "-q", str(ROOT), str(book)], check=True)
        rows.append({"measure": "cold build", "value": timed([str(JUPYTER_BOOK), "build", "."],
                                                              book), "unit": "s"})
        rows.append({"measure": "rebuild, nothing changed",
                     "value": timed([str(JUPYTER_BOOK), "build", "."], book), "unit": "s"})
        for html in sorted((book / "_build" / "html" / "chapters").glob("*.html")):
            rows.append({"measure": f"page {html.stem}", "value": page_kb(html), "unit": "KB"})
        if rerun:
            rows += measure_rerun(Path(tmp), bench_root, book)
    return rows


def measure_rerun(tmp: Path, bench_root: Path, book: Path) -> list[dict]:
    """``csmodels rerun metrics`` on 100k accounts, and its page against the sample's."""
    company = bench_root / "100000"
    if not (company / "arr_monthly.csv").exists():
        write(100_000, company)
    out = tmp / "rerun-100k"
    seconds = timed([sys.executable, "-m", "csmodels", "rerun", "metrics", "--data",
                     str(company), "--out", str(out)])
    page = next(out.rglob("metrics.html"))
    sample = page_kb(book / "_build" / "html" / "chapters" / "metrics.html")
    return [{"measure": "rerun metrics, 100k accounts", "value": seconds, "unit": "s"},
            {"measure": "rerun page metrics, 100k accounts", "value": page_kb(page), "unit": "KB"},
            {"measure": "rerun page / sample page", "value": page_kb(page) / sample,
             "unit": "ratio"}]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--save", action="store_true",
                        help=f"write the figures to {RESULTS.relative_to(ROOT)}")
    parser.add_argument("--no-rerun", dest="rerun", action="store_false",
                        help="skip the rerun on 100k accounts")
    parser.add_argument("--root", type=Path, default=Path("/tmp/csmodels-bench"),
                        help="where run.py's synthetic companies are kept")
    args = parser.parse_args()
    rows = measure(args.rerun, args.root)
    for row in rows:
        print(f"{row['measure']:<40} {row['value']:>10.2f} {row['unit']}")
    if args.save:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        with RESULTS.open("w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=[*rows[0], *machine()])
            writer.writeheader()
            writer.writerows({**r, "value": round(r["value"], 3), **machine()} for r in rows)
        print(f"saved to {RESULTS}")


if __name__ == "__main__":
    main()
