"""Worker processes that end with the process that started them, so a killed run leaves none behind."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context


def follow_parent(parent: int, interval: float = 0.5) -> None:
    """Exit this process within ``interval`` seconds once its parent ``parent`` is gone (it is then
    adopted by another process, so its parent id changes), or now if it is gone already (killed while
    this worker was starting). Runs as a pool's worker initializer."""
    if os.getppid() != parent:
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(interval)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="saring-follow-parent", daemon=True).start()


#: Set in the environment of saring's pool workers (inherited from the process that starts them).
POOL_WORKER_ENV = "SARING_POOL_WORKER"


def worker_pool(
    workers: int, initializer: Callable[..., object] | None = None, initargs: tuple = ()
) -> ProcessPoolExecutor:
    """A pool of ``workers`` spawned processes that follow this one (see :func:`follow_parent`), each
    then running ``initializer(*initargs)``."""
    os.environ[POOL_WORKER_ENV] = "1"  # read by ``saring/__init__.py`` in each worker (see there)
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=get_context("spawn"),
        initializer=_initialize,
        initargs=(os.getpid(), initializer, initargs),
    )


def _initialize(parent: int, initializer: Callable[..., object] | None, initargs: tuple) -> None:
    follow_parent(parent)
    if initializer is not None:
        initializer(*initargs)
