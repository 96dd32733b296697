"""Time and peak memory of ``csmodels`` on hostile data folders (issue 14's cases).

Each case is a folder built in a temporary directory; the script runs the command a
reader would (one whole process each), measures wall time and peak resident memory
with ``wait4``, and prints them with the exit code and the start of the message. The
budgets of ``csmodels/inputs/limits.py`` should turn every case into exit code 2 within about
a second of startup and a few hundred MB, whatever the file asks for.

    python benchmarks/hostile.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "bad_inputs"))
from make_corpus import ALIAS_BOMB, write_inline_string_xlsx  # noqa: E402

ARR = "account_id,month,arr\nA1,2024-01,100\nA1,2025-01,120\n"


def alias_bomb(folder: Path) -> list[str]:
    (folder / "arr_monthly.csv").write_text(ARR)
    (folder / "mapping.yml").write_text(ALIAS_BOMB)
    return ["metrics", "--data", str(folder)]


def wide(folder: Path) -> list[str]:
    header = ",".join(["account_id", "month", "arr"] + [f"c{i}" for i in range(20_000)])
    (folder / "arr_monthly.csv").write_text(header + "\nA1,2024-01,1" + ",x" * 20_000 + "\n")
    return ["metrics", "--data", str(folder)]


def long_panel(folder: Path) -> list[str]:
    rows = "".join(f"A{i},1970-01,1\nA{i},2100-12,1\n" for i in range(400_000))
    (folder / "arr_monthly.csv").write_text("account_id,month,arr\n" + rows)
    return ["metrics", "--data", str(folder)]


def sparse_stray(folder: Path) -> list[str]:
    (folder / "arr_monthly.csv").write_text(ARR)
    with open(folder / "backup.bin", "wb") as fh:
        fh.truncate(200 << 30)
    (folder / "mem").symlink_to("/proc/self/mem")
    code = ("import sys; from csmodels.inputs import folder_fingerprint; "
            "print(folder_fingerprint(sys.argv[1]))")
    return ["-c", code, str(folder)]


def inline_string_xlsx(folder: Path) -> list[str]:
    write_inline_string_xlsx(folder / "arr_monthly.xlsx")
    return ["metrics", "--data", str(folder)]


def huge_amounts(folder: Path) -> list[str]:
    (folder / "arr_monthly.csv").write_text(
        "account_id,month,arr\n" + "".join(f"A{i},2024-01,1e308\nA{i},2025-01,1e308\n"
                                           for i in range(3)))
    return ["metrics", "--data", str(folder)]


CASES: dict[str, Callable[[Path], list[str]]] = {
    "396-byte YAML alias bomb in mapping.yml": alias_bomb,
    "CSV with 20,000 columns": wide,
    "400k accounts in 1970-01 and 2100-12 (14 MB)": long_panel,
    "fingerprint beside a 200 GB sparse file and /proc/self/mem": sparse_stray,
    "300 KB xlsx with a 300 MB inline string": inline_string_xlsx,
    "three accounts at ARR 1e308": huge_amounts,
}


def measure(argv: list[str]) -> tuple[float, float, int, str]:
    """Wall seconds, peak RSS (MB), exit code and last message line of one process."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    prefix = [sys.executable] if argv[0] == "-c" else [sys.executable, "-m", "csmodels"]
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen([*prefix, *argv], stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        out.seek(0)
        lines = (err.read() or out.read()).decode("utf-8", "replace").splitlines()
    return wall, usage.ru_maxrss / 1024, proc.returncode, lines[-1][:110] if lines else ""


def main() -> None:
    print(f"{'case':<58} {'exit':>4} {'wall s':>7} {'peak MB':>8}  message")
    for name, build in CASES.items():
        with tempfile.TemporaryDirectory(prefix="csmodels-hostile-") as tmp:
            folder = Path(tmp) / "data"
            folder.mkdir()
            wall, peak, code, message = measure(build(folder))
        print(f"{name:<58} {code:>4} {wall:>7.2f} {peak:>8.0f}  {message}")


if __name__ == "__main__":
    main()
