"""saring: clean, deduplicated, well-documented text corpora from web crawls, SEA languages first."""

import multiprocessing as _multiprocessing
import os as _os
import signal as _signal

if _multiprocessing.current_process().name != "MainProcess" and _os.environ.get("SARING_POOL_WORKER"):
    # A worker of saring's process pools, importing saring before it starts: Ctrl-C reaches it with its
    # parent, which says "interrupted" and resumes later; it ends at once and quietly (a traceback of
    # whatever module it was importing helped nobody).
    _signal.signal(_signal.SIGINT, lambda signum, frame: _os._exit(130))

from saring.api import run
from saring.config import Pipeline, load_pipeline, parse_pipeline

__version__ = "0.1.0"
__all__ = ["Pipeline", "load_pipeline", "parse_pipeline", "run"]
