"""Helpers for testing stages without files: run stages over a list of texts in memory."""

from __future__ import annotations

from collections.abc import Sequence

from saring.core.accounting import StageStats
from saring.core.batch import DocumentBatch, order_key
from saring.core.runner import RunOptions, apply_stage
from saring.core.stage import Stage


def make_batch(texts: Sequence[str], urls: Sequence[str | None] | None = None) -> DocumentBatch:
    """A batch of documents with ids ``doc-0``, ``doc-1``, ... and optional URLs."""
    urls = urls if urls is not None else [None] * len(texts)
    return DocumentBatch.from_rows(
        {
            "id": f"doc-{i}",
            "text": text,
            "url": url,
            "source": f"memory:{i}",
            "metadata": "{}",
            "order": order_key(0, i),
        }
        for i, (text, url) in enumerate(zip(texts, urls, strict=True))
    )


def run_stages(
    stages: Sequence[Stage],
    texts: Sequence[str],
    urls: Sequence[str | None] | None = None,
    dry_run: bool = False,
) -> DocumentBatch:
    """Set up and apply per-batch stages, in order, to the given texts; returns the batch."""
    batch = make_batch(texts, urls)
    options = RunOptions(dry_run=dry_run)
    for stage in stages:
        stage.setup()
        apply_stage(stage, batch, StageStats(), options)
    return batch
