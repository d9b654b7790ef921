"""saring: clean, deduplicated, well-documented text corpora from web crawls, SEA languages first."""

from saring.api import run
from saring.config import Pipeline, load_pipeline, parse_pipeline

__version__ = "0.1.0"
__all__ = ["Pipeline", "load_pipeline", "parse_pipeline", "run"]
