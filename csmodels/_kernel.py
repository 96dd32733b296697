"""The kernel a chapter runs in: local-only, quiet, and stopped whatever happens.

The kernel talks to csmodels over Unix domain sockets (ZeroMQ's ``ipc``
transport) in the run's own temporary folder, which only the user running
csmodels can open; it opens no TCP port, so jupyter's warning about unencrypted
TCP does not apply and is not printed. ipykernel would still listen on a
loopback TCP port for the output of processes a notebook forks; the chapters fork
none, so the kernel is started without it (:data:`KERNEL_CODE`), as ipykernel
itself runs when that port cannot be opened. Its connection file (which holds
the key that signs messages) is in the temporary folder too and goes with it, as
does the log of what the kernel process writes outside any cell (kept off the
terminal).

A chapter runs in a worker thread (:func:`in_worker`) so that the main thread
keeps SIGINT and SIGTERM (nbclient would otherwise take them over while a cell
runs); on a signal the kernels started here are killed (:func:`kill_kernels`).
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import signal
import tempfile
import threading
import time
from contextlib import suppress
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager

_LIVE: set = set()  # kernel managers whose kernel may be running
_STOPPING = threading.Event()  # set while an interrupted run ends: start no kernel
_SOCKET_PATH_MAX = 100  # a Unix socket path holds at most 107 bytes on Linux
# ipykernel_launcher, less the loopback TCP pipe for forked processes' output.
KERNEL_CODE = ("import sys\n"
               "if sys.path and sys.path[0] == '': del sys.path[0]\n"
               "import ipykernel.iostream as iostream\n"
               "iostream.IOPubThread._setup_pipe_in = lambda self: setattr(self, "
               "'_pipe_flag', False)\n"
               "from ipykernel import kernelapp\n"
               "kernelapp.launch_new_instance()\n")


class LocalKernelManager(AsyncKernelManager):
    """A kernel on Unix sockets in ``folder`` (set by :func:`kernel_manager_in`)."""

    folder = ""
    _socket_dir = None

    async def start_kernel(self, **kw):
        if _STOPPING.is_set():
            raise RuntimeError("csmodels is stopping; no kernel is started")
        folder = Path(self.folder or tempfile.gettempdir())
        sockets = folder
        if len(os.fsencode(str(folder / "kernel-00000"))) > _SOCKET_PATH_MAX:
            self._socket_dir = sockets = Path(tempfile.mkdtemp(prefix="csmodels-k-", dir="/tmp"))
        self.transport = "ipc"
        self.ip = str(sockets / "kernel")
        self.connection_file = str(folder / "kernel.json")
        _LIVE.add(self)
        # What the kernel process itself writes (ipykernel's own warnings, such as
        # "IOStream.flush timed out" on a busy machine) goes to a file, not the terminal;
        # the cells' output reaches the notebook as messages, as always.
        try:
            with open(folder / "kernel-output.log", "ab") as log:
                kw.setdefault("stdout", log)
                kw.setdefault("stderr", log)
                await super().start_kernel(**kw)
        except BaseException:
            _kill(self)
            raise

    def format_kernel_cmd(self, extra_arguments=None) -> list[str]:
        command = super().format_kernel_cmd(extra_arguments)
        for i in range(len(command) - 1):
            if command[i:i + 2] == ["-m", "ipykernel_launcher"]:
                command[i:i + 2] = ["-c", KERNEL_CODE]
                break
        return command

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        # what shutdown_kernel calls (cleanup_resources is only its public alias)
        await super()._async_cleanup_resources(restart=restart)
        if not restart:
            _LIVE.discard(self)
            _remove_socket_dir(self)

    cleanup_resources = _async_cleanup_resources


def _remove_socket_dir(km) -> None:
    if km._socket_dir is not None:
        shutil.rmtree(km._socket_dir, ignore_errors=True)
        km._socket_dir = None


def kernel_manager_in(folder: Path) -> type[LocalKernelManager]:
    """A :class:`LocalKernelManager` class whose kernels live in ``folder``."""
    return type("LocalKernelManager", (LocalKernelManager,), {"folder": str(folder)})


def kill_kernels() -> None:
    """Kill every kernel started here (its whole process group) and remove its files;
    a kernel still being launched is left for the next call."""
    for km in list(_LIVE):
        if getattr(getattr(km, "provisioner", None), "process", None) is not None:
            _kill(km)


def _kill(km) -> None:
    process = getattr(getattr(km, "provisioner", None), "process", None)
    if process is not None and process.poll() is None:  # once reaped, its ids may be reused
        pgid = getattr(km.provisioner, "pgid", None)
        with suppress(OSError):
            if pgid and pgid != os.getpgrp():
                os.killpg(pgid, signal.SIGKILL)
            else:
                os.kill(process.pid, signal.SIGKILL)
    with suppress(OSError):
        km.cleanup_connection_file()
        km.cleanup_ipc_files()
    _remove_socket_dir(km)
    _LIVE.discard(km)


def quiet_logs() -> None:
    """No log lines from papermill, nbclient or jupyter on the terminal: a failure
    reaches the reader as csmodels' own one-line message instead."""
    for name in ("papermill", "nbclient", "jupyter_client", "traitlets"):
        logger = logging.getLogger(name)
        if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
            logger.addHandler(logging.NullHandler())


def _close_thread_loop() -> None:
    """Close the event loop papermill's nbclient made for this thread (else it is left
    open, with its sockets, when the thread ends)."""
    try:
        loop = asyncio.get_event_loop_policy().get_event_loop()
    except RuntimeError:
        return
    if not loop.is_running() and not loop.is_closed():
        with suppress(RuntimeError):
            loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
    asyncio.set_event_loop(None)


def in_worker(function, *args, grace: float = 15.0):
    """``function(*args)`` in a worker thread; the main thread waits and keeps the
    signals. If the wait is interrupted, the kernels are killed and the worker is
    given ``grace`` seconds to end before the interruption goes on."""
    quiet_logs()
    result: dict = {}
    done = threading.Event()  # not Thread.join: a signal during join() can leave the
                              # thread marked as ended while it runs (CPython 3.11)

    def work() -> None:
        try:
            result["value"] = function(*args)
        except BaseException as err:  # handed to the main thread below
            result["error"] = err
        finally:
            _close_thread_loop()
            done.set()

    threading.Thread(target=work, name="csmodels-chapter", daemon=True).start()
    try:
        while not done.wait(0.2):
            pass
    except BaseException:
        _STOPPING.set()
        try:  # a kernel that was starting when the signal came is caught on a later round
            deadline = time.monotonic() + grace
            while not done.is_set() and time.monotonic() < deadline:
                kill_kernels()
                done.wait(0.2)
            kill_kernels()
        finally:
            _STOPPING.clear()
        raise
    if "error" in result:
        raise result["error"]
    return result.get("value")
