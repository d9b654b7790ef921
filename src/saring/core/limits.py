"""Per-record time limits, so one pathological document cannot stall a worker."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class RecordTimeout(Exception):
    """Raised inside the guarded block when its time limit expires."""


def _on_alarm(signum: int, frame: object) -> None:
    raise RecordTimeout


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Interrupt the block after ``seconds`` (wall clock) with :class:`RecordTimeout`.

    Uses a real-time interval timer, so it works in the main thread of a process only; elsewhere
    (or with ``seconds <= 0``) the block runs unguarded. Code in C extensions is interrupted when it
    next checks for signals (the ``regex`` module does; the standard ``re`` does not).
    """
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
