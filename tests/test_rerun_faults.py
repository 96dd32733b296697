"""Faults during a rerun, with the CLI as a subprocess: a kernel killed midway, SIGINT
and SIGTERM while a chapter runs or while the site builds, a second run to the same
--out; each ends with one line and leaves no output, staging folder, temporary folder,
connection file or process behind. And the kernel listens on no network port."""

from __future__ import annotations

import contextlib
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
    # the terminal shows csmodels' progress and nothing else (no kernel warnings)
    assert all(line.startswith("csmodels rerun: ") for line in done.stderr.splitlines()), \
        done.stderr
    assert "WARNING" not in done.stderr and "TCP" not in done.stderr


# ------------------------------------------------------------- signals and concurrency


def start(tmp_path: Path, sample_dir: Path, *command: str) -> tuple[subprocess.Popen, Path]:
    """The CLI as a subprocess whose temporary files and jupyter runtime files go to
    folders of this test, so that whatever it leaves there shows; stderr to a file."""
    for name in ("tmp", "runtime", "parent"):
        (tmp_path / name).mkdir(exist_ok=True)
    env = {**os.environ, "TMPDIR": str(tmp_path / "tmp"),
           "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")}
    with (tmp_path / "stderr.txt").open("w") as err:  # the child keeps its own copy
        proc = subprocess.Popen([sys.executable, "-m", "csmodels", *command, "--data",
                                 str(sample_dir), "--out", str(tmp_path / "parent" / "out")],
                                stdout=subprocess.DEVNULL, stderr=err, env=env, text=True)
    return proc, tmp_path / "stderr.txt"


def wait_for(condition, what: str, timeout: float = 180):
    deadline = time.monotonic() + timeout
    while not (found := condition()):
        assert time.monotonic() < deadline, f"{what} never happened"
        time.sleep(0.05)
    return found


def assert_stopped_cleanly(proc, stderr: Path, tmp_path: Path, signame: str, code: int,
                           processes: list[int]) -> None:
    proc.wait(timeout=120)
    err = stderr.read_text()
    assert proc.returncode == code, err
    final = [line for line in err.splitlines() if not line.endswith("elapsed)")]
    assert len(final) == 1 and f"stopped by {signame}" in final[0], err
    assert "Traceback" not in err
    assert list((tmp_path / "parent").iterdir()) == []  # no staging folder, lock or output
    assert list((tmp_path / "tmp").iterdir()) == []  # no csmodels-rerun-*/-book-* folder
    assert list((tmp_path / "runtime").iterdir()) == []  # no connection file
    wait_for(lambda: not any(Path(f"/proc/{pid}").exists() and b"Z" not in _state(pid)
                             for pid in processes), "the end of the kernels", 10)


def _state(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/stat").read_bytes().rsplit(b")", 1)[1].split()[0]
    except (OSError, IndexError):
        return b"Z"


@pytest.mark.parametrize("signum, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_during_rerun_ends_in_one_line_and_leaves_nothing(tmp_path, sample_dir,
                                                                    signum, code):
    proc, stderr = start(tmp_path, sample_dir, "rerun", "metrics")
    kernels = wait_for(lambda: kernels_of(proc.pid), "the chapter's kernel")
    time.sleep(1.0)  # the chapter is executing
    proc.send_signal(signum)
    assert_stopped_cleanly(proc, stderr, tmp_path, signal.Signals(signum).name, code, kernels)


def test_sigterm_during_book_while_a_chapter_runs(tmp_path, sample_dir):
    proc, stderr = start(tmp_path, sample_dir, "book")
    kernels = wait_for(lambda: kernels_of(proc.pid), "the first chapter's kernel")
    time.sleep(1.0)
    proc.send_signal(signal.SIGTERM)
    assert_stopped_cleanly(proc, stderr, tmp_path, "SIGTERM", 143, kernels)


def test_sigterm_during_book_while_jupyter_book_builds(tmp_path, sample_dir):
    """The site build runs in its own process group, with kernels of its own (for the
    pages that are not chapters): all of them end, and their files go."""
    proc, stderr = start(tmp_path, sample_dir, "book")
    wait_for(lambda: "building the site" in stderr.read_text(), "the site build", 300)
    builders = wait_for(lambda: [p for p in descendants(proc.pid)
                                 if b"jupyter-book" in _cmdline(p)], "jupyter-book")
    time.sleep(3.0)  # sphinx is reading and executing the pages
    everything = descendants(proc.pid)
    proc.send_signal(signal.SIGTERM)
    assert_stopped_cleanly(proc, stderr, tmp_path, "SIGTERM", 143, everything)
    assert builders and not any(Path(f"/proc/{p}").exists() for p in builders)


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def test_a_second_run_to_the_same_out_is_refused_while_the_first_runs(tmp_path, sample_dir):
    first, _ = start(tmp_path, sample_dir, "rerun", "metrics")
    wait_for(lambda: kernels_of(first.pid), "the first run's kernel")
    second = subprocess.run([sys.executable, "-m", "csmodels", "book", "--data",
                             str(sample_dir), "--out", str(tmp_path / "parent" / "out")],
                            capture_output=True, text=True, timeout=120)
    assert second.returncode == 2 and "Traceback" not in second.stderr
    assert f"another csmodels run (pid {first.pid}, csmodels rerun metrics" in second.stderr
    first.send_signal(signal.SIGTERM)
    first.wait(timeout=120)
    assert list((tmp_path / "parent").iterdir()) == []


# ------------------------------------------------------------------------ the kernel


def inet_sockets(pid: int) -> list[str]:
    """The TCP/UDP sockets (v4 and v6) the process ``pid`` holds."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    found = []
    for table in ("tcp", "tcp6", "udp", "udp6"):
        for line in Path(f"/proc/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[9] in inodes:
                found.append(f"{table} {fields[1]}")
    return found


@contextlib.asynccontextmanager
async def running_kernel(folder: Path):
    """A kernel as a rerun starts it in ``folder``, and a client ready to talk to it; both
    shut down on the way out."""
    from csmodels._kernel import kernel_manager_in

    km = kernel_manager_in(folder)(kernel_name="python3")
    await km.start_kernel(cwd=str(folder))
    client = km.client()
    client.start_channels()
    try:
        await client.wait_for_ready(timeout=60)
        yield km, client
    finally:
        client.stop_channels()
        await km.shutdown_kernel(now=True)


def test_the_kernel_listens_on_unix_sockets_in_the_run_folder_only(tmp_path, capfd):
    import asyncio

    from csmodels._kernel import _LIVE

    async def run():
        async with running_kernel(tmp_path) as (km, client):
            await client.execute_interactive(
                "import os; os.write(2, b'from the kernel process'); "
                "print('from a cell', file=__import__('sys').__stderr__, flush=True)")
            seen = (km.transport, sorted(p.name for p in tmp_path.iterdir()),
                    inet_sockets(km.provisioner.pid), _cmdline(km.provisioner.pid))
        return seen, sorted(p.name for p in tmp_path.iterdir())

    (transport, files, sockets, command), after = asyncio.run(run())
    assert transport == "ipc" and "kernel.json" in files
    assert {f"kernel-{i}" for i in range(1, 6)} <= set(files)  # shell, iopub, stdin, hb, control
    assert sockets == []  # no TCP or UDP port at all, not even on loopback
    assert b"_setup_pipe_in" in command and b"ipykernel_launcher" not in command
    assert after == ["kernel-output.log"]  # connection file (with its key), sockets gone
    assert not _LIVE  # nothing left for kill_kernels to aim at
    log = (tmp_path / "kernel-output.log").read_text()
    assert "from the kernel process" in log and "from a cell" in log
    assert "from the kernel" not in capfd.readouterr().err  # never on the terminal


def test_a_temporary_folder_too_deep_for_unix_sockets(tmp_path):
    """A socket path holds at most 107 bytes: under a deep TMPDIR the sockets go to a
    private folder in /tmp, which goes with the kernel."""
    import asyncio

    deep = tmp_path.joinpath(*["deep-folder"] * 8)
    deep.mkdir(parents=True)

    async def run():
        async with running_kernel(deep) as (km, _):
            sockets = Path(km.ip).parent
            return (sockets, sorted(p.name for p in sockets.iterdir()),
                    oct(sockets.stat().st_mode & 0o777))

    sockets, files, mode = asyncio.run(run())
    assert str(sockets).startswith("/tmp/csmodels-k-") and "kernel-1" in files
    assert mode == "0o700" and not sockets.exists()


@pytest.mark.parametrize("delay", [0.5, 0.0])
def test_a_signal_while_a_kernel_starts_leaves_no_kernel(tmp_path, delay):
    """Signal before the worker starts its kernel (delay 0.5: none is started) or while
    the kernel is starting (delay 0: it is killed once it has a process)."""
    import asyncio
    import threading

    from csmodels._kernel import _LIVE, in_worker, kernel_manager_in
    from csmodels._signals import Interrupted, handled_signals

    started: list[int] = []

    def chapter():
        time.sleep(delay)

        async def run():
            km = kernel_manager_in(tmp_path)(kernel_name="python3")
            try:
                await km.start_kernel(cwd=str(tmp_path))
                started.append(km.provisioner.pid)
                for _ in range(600):  # a long cell; nbclient, too, notices a dead kernel
                    await asyncio.sleep(0.1)
                    if not await km.is_alive():
                        raise RuntimeError("the kernel died")
            finally:
                with contextlib.suppress(Exception):
                    await km.shutdown_kernel(now=True)
        asyncio.run(run())

    timer = threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGTERM))
    begun = time.monotonic()
    with pytest.raises(Interrupted), handled_signals():
        timer.start()
        in_worker(chapter, grace=20)
    assert time.monotonic() - begun < 10 and not _LIVE
    wait_for(lambda: not any(Path(f"/proc/{p}").exists() and _state(p) != b"Z"
                             for p in started), "the end of the kernel", 10)
