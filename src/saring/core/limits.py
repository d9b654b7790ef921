"""Per-record time limits, so one pathological document cannot stall a worker."""

from __future__ import annotations

import ctypes
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class RecordTimeout(Exception):
    """Raised inside the guarded block when its time limit expires."""


def _on_alarm(signum: int, frame: object) -> None:
    raise RecordTimeout


def _raise_in(thread_id: int, exception: type[BaseException] | None) -> None:
    """Schedule ``exception`` in another thread (``None`` cancels one not yet raised)."""
    pending = None if exception is None else ctypes.py_object(exception)  # None is passed as NULL
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id), pending)


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Interrupt the block after ``seconds`` (wall clock) with :class:`RecordTimeout`.

    In a process's main thread a real-time interval timer does it, and code in C extensions is
    interrupted when it next checks for signals (the ``regex`` module does; the standard ``re`` does
    not). In another thread (Ray Data runs its workers' calls in one) a timer thread raises the
    exception in the block's thread, which Python code sees at once and C code only when it returns.
    With ``seconds <= 0`` the block runs unguarded.
    """
    if seconds <= 0:
        yield
        return
    if threading.current_thread() is not threading.main_thread():
        with _thread_time_limit(seconds):
            yield
        return
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextmanager
def _thread_time_limit(seconds: float) -> Iterator[None]:
    target = threading.get_ident()
    lock = threading.Lock()
    state = {"done": False, "fired": False}

    def expire() -> None:
        with lock:
            if not state["done"]:
                state["fired"] = True
                _raise_in(target, RecordTimeout)

    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        with lock:
            state["done"] = True
            timer.cancel()
        if state["fired"]:  # the block ended as the timer fired: drop the exception not yet raised
            _raise_in(target, None)
