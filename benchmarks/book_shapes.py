"""Time ``python -m csmodels book`` on a few company shapes of the test corpus.

Usage (from the repository root)::

    python benchmarks/book_shapes.py ten-accounts-13-months months-2 case-scaling-high-touch

Each shape is written by ``tests/shapes.py`` into a temporary folder, the whole book is
built on it in a fresh process, and the script prints the wall time, the exit code and
whether the site's pages hold "Northwind Analytics" or the company's own name.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.shapes import SHAPES, write_shape  # noqa: E402


def main(names: list[str]) -> None:
    print("| shape | exit | wall time | pages naming the sample |")
    print("| --- | ---: | ---: | ---: |")
    for name in names or ["ten-accounts-13-months", "months-2", "case-scaling-high-touch"]:
        if name not in SHAPES:
            raise SystemExit(f"No shape {name!r}; the shapes are: {', '.join(SHAPES)}")
        with tempfile.TemporaryDirectory(prefix="csmodels-book-bench-") as work:
            data = write_shape(name, Path(work) / name)
            start = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "csmodels", "book", "--data", str(data),
                                   "--out", str(Path(work) / "site")], cwd=ROOT,
                                  capture_output=True, text=True, check=False)
            wall = time.perf_counter() - start
            pages = list((Path(work) / "site").rglob("*.html"))
            sample = sum("Northwind Analytics" in p.read_text(encoding="utf-8") for p in pages
                         if p.parent.name in ("chapters", "site") and p.name != "bibliography.html")
            print(f"| {name} | {done.returncode} | {wall:.0f} s | {sample} |", flush=True)
            if done.returncode:
                print(done.stderr[-2000:], file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])
