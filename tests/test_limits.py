"""Per-record time limits, in a process's main thread and in other threads (as Ray Data runs calls)."""

from __future__ import annotations

import threading
import time

import pytest

from saring.core.limits import RecordTimeout, time_limit


def _spin() -> None:
    while True:
        sum(range(1000))


def _in_thread(work) -> dict:
    outcome: dict = {}

    def run() -> None:
        try:
            work()
            outcome["result"] = "finished"
        except RecordTimeout:
            outcome["result"] = "timeout"

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(10)
    assert not thread.is_alive(), "the time limit did not stop the thread's block"
    return outcome


def test_main_thread_block_is_interrupted() -> None:
    started = time.perf_counter()
    with pytest.raises(RecordTimeout), time_limit(0.2):
        _spin()
    assert time.perf_counter() - started < 2


def test_other_thread_block_is_interrupted() -> None:
    def work() -> None:
        with time_limit(0.2):
            _spin()

    assert _in_thread(work) == {"result": "timeout"}


def test_other_thread_block_that_ends_in_time_raises_nothing_later() -> None:
    def work() -> None:
        for _ in range(20):
            try:
                with time_limit(0.05):
                    time.sleep(0.045)  # ends close to the limit, sometimes after the timer fired
            except RecordTimeout:
                pass  # a timeout inside the block is allowed: it overran
        time.sleep(0.2)  # but nothing may be raised once the block is left

    assert _in_thread(work) == {"result": "finished"}
