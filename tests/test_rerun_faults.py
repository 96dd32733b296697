"""Faults during a rerun: a kernel killed midway leaves no output behind, the message
names the chapter, and the next run succeeds."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def descendants(pid: int) -> list[int]:
    """Every process below ``pid``, from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def kernels_of(pid: int) -> list[int]:
    out = []
    for child in descendants(pid):
        try:
            if b"ipykernel" in Path(f"/proc/{child}/cmdline").read_bytes():
                out.append(child)
        except OSError:
            pass
    return out


def test_a_killed_kernel_leaves_nothing_and_the_next_run_works(tmp_path, sample_dir):
    out = tmp_path / "out"
    command = [sys.executable, "-m", "csmodels", "rerun", "metrics", "--data", str(sample_dir),
               "--out", str(out)]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not (kernels := kernels_of(proc.pid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert kernels, "the chapter's kernel never started"
    for pid in kernels:
        os.kill(pid, signal.SIGKILL)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode != 0
    assert "metrics" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []  # no output, no staging folder left behind
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert (out / "metrics.ipynb").exists() and list(out.rglob("metrics.html"))
