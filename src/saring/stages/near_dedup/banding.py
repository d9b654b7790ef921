"""LSH banding: choosing bands x rows for a Jaccard threshold, its error probabilities, and band keys.

A pair with Jaccard similarity ``s`` becomes a candidate when all ``r`` rows of at least one of ``b``
bands agree: ``P(s) = 1 - (1 - s**r)**b``. Candidates are verified afterwards, so the choice favours
recall: the fewest false candidates among the (b, r) whose candidate probability at the threshold is
at least ``recall_at_threshold``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from saring.core.hashing import splitmix64


def candidate_probability(similarity: np.ndarray | float, bands: int, rows: int) -> np.ndarray:
    return 1.0 - (1.0 - np.asarray(similarity, dtype=np.float64) ** rows) ** bands


@dataclass(frozen=True)
class Banding:
    bands: int
    rows: int
    threshold: float

    def false_positive_probability(self) -> float:
        """Mean candidate probability of pairs below the threshold (uniform over [0, threshold])."""
        grid = np.linspace(0.0, self.threshold, 512)
        return float(np.mean(candidate_probability(grid, self.bands, self.rows)))

    def false_negative_probability(self) -> float:
        """Mean probability of missing a pair above the threshold (uniform over [threshold, 1])."""
        grid = np.linspace(self.threshold, 1.0, 512)
        return float(np.mean(1.0 - candidate_probability(grid, self.bands, self.rows)))

    def describe(self) -> dict[str, float]:
        return {
            "bands": self.bands,
            "rows": self.rows,
            "threshold": self.threshold,
            "candidate_probability_at_threshold": float(
                candidate_probability(self.threshold, self.bands, self.rows)
            ),
            "false_positive_probability": round(self.false_positive_probability(), 5),
            "false_negative_probability": round(self.false_negative_probability(), 5),
        }


def choose_banding(num_perm: int, threshold: float, recall_at_threshold: float) -> Banding:
    """The (bands, rows) using at most ``num_perm`` hashes, as described in the module docstring."""
    options = [Banding(num_perm // rows, rows, threshold) for rows in range(1, num_perm + 1)]
    good = [o for o in options if candidate_probability(threshold, o.bands, o.rows) >= recall_at_threshold]
    if not good:  # no banding reaches the recall asked for: the most sensitive one
        return max(options, key=lambda o: float(candidate_probability(threshold, o.bands, o.rows)))
    return min(good, key=lambda o: o.false_positive_probability())


def band_keys(signatures: np.ndarray, banding: Banding) -> np.ndarray:
    """A 64-bit key per document and band, shape (documents, bands); the band index is mixed in."""
    keys = np.empty((len(signatures), banding.bands), dtype=np.uint64)
    for band in range(banding.bands):
        key = np.full(len(signatures), band, dtype=np.uint64)
        for row in range(band * banding.rows, (band + 1) * banding.rows):
            key = splitmix64(key ^ signatures[:, row].astype(np.uint64))
        keys[:, band] = key
    return keys
