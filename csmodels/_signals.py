"""SIGINT and SIGTERM as an exception, so every ``finally`` runs and a stopped run
ends with one line and leaves nothing behind.

:func:`handled_signals` (used by the command line) turns the first SIGINT,
SIGTERM or SIGHUP into :class:`Interrupted` in the main thread and ignores any that follow
while the run cleans up; :func:`deferred_signals` holds a signal back until a
block that must not be cut in half (moving the output into place, removing a
staging folder) is done.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)  # Ctrl-C, kill, a closed terminal
_state = {"installed": False, "depth": 0, "pending": None, "stopping": False}


class Interrupted(BaseException):  # like KeyboardInterrupt: not an Exception
    """The run was stopped by a signal; ``exit_code`` is 128 + its number."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum
        self.name = signal.Signals(signum).name
        self.exit_code = 128 + signum


def _handler(signum, frame) -> None:
    if _state["stopping"]:
        return  # already stopping: let the cleanup finish
    if _state["depth"]:
        _state["pending"] = signum
        return
    _state["stopping"] = True
    raise Interrupted(signum)


@contextmanager
def handled_signals() -> Iterator[None]:
    """SIGINT, SIGTERM and SIGHUP raise :class:`Interrupted` inside the block (main thread only;
    elsewhere the block runs with the handlers as they are)."""
    if threading.current_thread() is not threading.main_thread() or _state["installed"]:
        yield
        return
    previous = {s: signal.signal(s, _handler) for s in SIGNALS}
    _state.update(installed=True, depth=0, pending=None, stopping=False)
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        _state.update(installed=False, depth=0, pending=None, stopping=False)


@contextmanager
def deferred_signals() -> Iterator[None]:
    """Hold those signals back until the block ends, then act on them."""
    _state["depth"] += 1
    try:
        yield
    finally:
        _state["depth"] -= 1
        signum = _state["pending"]
        if signum is not None and not _state["depth"] and not _state["stopping"]:
            _state.update(pending=None, stopping=True)
            raise Interrupted(signum)
