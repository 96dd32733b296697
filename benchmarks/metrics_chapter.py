"""Time the metrics chapter's two readers of the metric definitions, as whole processes.

``csmodels metrics --data DIR --json`` on a folder of exports and the execution of
``chapters/metrics.ipynb`` (papermill) both compute every figure with the Ibis
definitions of ``csmodels/engine/definitions.py`` on an embedded DuckDB. The script
runs each ``--repeat`` times and prints the median wall time, the median CPU time
(user + system, steadier than wall time on a shared machine) and the peak resident
memory of the command. The command is timed with the SQL cache the user already has
(warm) and with an empty one (cold: Ibis imported, every definition compiled once).

``--against TREE`` runs the same measures, alternating run by run, on another checkout
of the repository (for example the commit before a change, from ``git archive``), so
that both see the same load. Figures, not a test: the machines are noisy.

    python benchmarks/metrics_chapter.py
    python benchmarks/metrics_chapter.py --against /tmp/before --repeat 5
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = """
import papermill as pm
pm.execute_notebook("chapters/metrics.ipynb", {out!r}, cwd="chapters", progress_bar=False,
                    kernel_name="python3", parameters={{"data_dir": {data!r}}})
"""


def timed(args: list[str], tree: Path, env: dict | None = None) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds and peak memory (KB) of one process (and the children it
    waited for, such as a chapter's kernel)."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(args, cwd=tree, stdout=subprocess.DEVNULL, stderr=err,
                                   env={**os.environ, "PYTHONPATH": str(tree), **(env or {})})
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode:
            err.seek(0)
            sys.exit(f"{' '.join(args)} failed in {tree}:\n{err.read().decode()}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def measures(tree: Path, data: Path, scratch: Path) -> dict[str, tuple[float, float, int]]:
    command = [sys.executable, "-m", "csmodels", "metrics", "--data", str(data), "--json"]
    cold = tempfile.mkdtemp(dir=scratch)
    notebook = NOTEBOOK.format(out=str(scratch / "metrics.ipynb"), data=str(data))
    return {"metrics --json (warm SQL cache)": timed(command, tree),
            "metrics --json (cold SQL cache)": timed(command, tree, {"CSMODELS_CACHE": cold}),
            "metrics.ipynb executed": timed([sys.executable, "-c", notebook], tree)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "sample")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--against", type=Path, help="another checkout, timed alternately")
    args = parser.parse_args()
    trees = {"this checkout": ROOT}
    if args.against:
        trees["--against"] = args.against.resolve()
    results: dict = {}
    with tempfile.TemporaryDirectory() as scratch:
        for tree in trees.values():  # a first, untimed run fills each tree's SQL cache
            measures(tree, args.data.resolve(), Path(scratch))
        for _ in range(args.repeat):
            for name, tree in trees.items():
                for what, figures in measures(tree, args.data.resolve(), Path(scratch)).items():
                    results.setdefault((name, what), []).append(figures)
    print(f"{'tree':15} {'measure':32} {'wall s':>7} {'CPU s':>7} {'peak MB':>8}")
    for (name, what), runs in results.items():
        wall, cpu, peak = (statistics.median(r[i] for r in runs) for i in range(3))
        print(f"{name:15} {what:32} {wall:7.2f} {cpu:7.2f} {peak / 1024:8.0f}")


if __name__ == "__main__":
    main()
