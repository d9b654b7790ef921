"""The gambling-promotion line classifier: hashed byte n-grams of folded lines -> logistic regression.

Features of a line: its folded text (see :mod:`folding`) padded with one space each side, every byte
n-gram of the sizes in the model file hashed into ``2**bits`` buckets, each counted and divided by the
square root of the line's n-gram count. All lines of a batch are hashed at once: their padded bytes are
one numpy array and the n-gram hashes are rolling polynomial hashes over it (:func:`window_buckets`).
Training (``scripts/train_gambling.py``) builds its sparse matrix from :func:`hashed_ngrams`; scoring
sums the weights of all windows in one pass and per line with ``np.add.reduceat``, after zeroing the
windows that span a line break, so the same features never go through a sparse matrix at run time.

Score: ``p = sigmoid(a * (w . x + b) + c)``, with ``(a, c)`` fitted by Platt scaling on a held-out split,
so ``p`` is a calibrated probability that the line is gambling promotion.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

_PRIME = np.uint64(1099511628211)
_MIX = np.uint64(0x9E3779B97F4A7C15)
_NEWLINE = 10


def padded_bytes(folded_text: str) -> np.ndarray:
    """UTF-8 bytes of the folded lines of ``folded_text``, each padded with a space each side."""
    padded = " " + folded_text.replace("\n", " \n ") + " "
    return np.frombuffer(padded.encode("utf-8", "surrogatepass"), dtype=np.uint8)


def window_buckets(data: np.ndarray, sizes: Sequence[int], bits: int) -> Iterator[tuple[int, np.ndarray]]:
    """``(size, buckets)`` per n-gram size: the hash bucket of the window of ``size`` bytes starting at
    each position of ``data`` (windows across line breaks included; callers drop or zero them)."""
    values = data.astype(np.uint64)
    shift = np.uint64(64 - bits)
    rolling = np.zeros(len(values), dtype=np.uint64)
    for size in range(1, max(sizes) + 1):
        count = len(values) - size + 1
        if count <= 0:
            return
        # hash of the n-gram at i: size * P**size + sum_k data[i + k] * P**(size - 1 - k), built incrementally
        rolling = rolling[:count]
        rolling *= _PRIME
        rolling += values[size - 1 :]
        if size in sizes:
            hashed = rolling + np.uint64(size * pow(int(_PRIME), size, 1 << 64) % (1 << 64))
            hashed *= _MIX
            hashed >>= shift
            yield size, hashed.view(np.int64)


def hashed_ngrams(
    lines: Sequence[str], sizes: Sequence[int], bits: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(line_index, bucket, weight)`` of every byte n-gram of every folded line (the training features).

    Returns three aligned arrays over n-grams: the line each belongs to, its hash bucket, and
    ``1/sqrt(n-grams in its line)``.
    """
    data = padded_bytes("\n".join(lines))
    breaks = np.cumsum(data == _NEWLINE)
    line_ids: list[np.ndarray] = []
    buckets: list[np.ndarray] = []
    for size, bucket in window_buckets(data, sizes, bits):
        count = len(bucket)
        inside = (breaks[size - 1 :] == breaks[:count]) & (data[:count] != _NEWLINE)
        line_ids.append(breaks[:count][inside])
        buckets.append(bucket[inside])
    if not line_ids:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0)
    line_index = np.concatenate(line_ids).astype(np.int64)
    per_line = np.bincount(line_index, minlength=len(lines)).astype(np.float64)
    weight = 1.0 / np.sqrt(np.maximum(per_line, 1.0))[line_index]
    return line_index, np.concatenate(buckets), weight


@dataclass(frozen=True)
class GamblingModel:
    weights: np.ndarray
    bias: float
    platt_scale: float
    platt_shift: float
    sizes: tuple[int, ...]
    bits: int

    @classmethod
    def load(cls, path: Path) -> GamblingModel:
        with np.load(path) as archive:
            return cls(
                weights=archive["weights"].astype(np.float32),
                bias=float(archive["bias"]),
                platt_scale=float(archive["platt"][0]),
                platt_shift=float(archive["platt"][1]),
                sizes=tuple(int(s) for s in archive["sizes"]),
                bits=int(archive["bits"]),
            )

    def text_margins(self, folded_text: str) -> np.ndarray:
        """Raw logistic-regression margins ``w . x + b`` of each line of ``folded_text``."""
        data = padded_bytes(folded_text)
        breaks = np.flatnonzero(data == _NEWLINE)
        starts = np.concatenate(([0], breaks + 1))
        lengths = np.concatenate((breaks, [len(data)])) - starts
        # summed weights of the windows starting at each position (a few float32 terms each)
        window_weights = np.zeros(len(data), dtype=np.float32)
        ngrams = np.zeros(len(starts), dtype=np.int64)
        for size, bucket in window_buckets(data, self.sizes, self.bits):
            weights = np.take(self.weights, bucket)
            spanning = (breaks[:, None] - np.arange(size)).ravel()  # windows that contain a line break
            weights[spanning[(spanning >= 0) & (spanning < len(weights))]] = 0.0
            window_weights[: len(weights)] += weights
            ngrams += np.maximum(lengths - size + 1, 0)
        # every padded line has >= 2 bytes, so no reduceat segment is empty
        sums = np.add.reduceat(window_weights, starts, dtype=np.float64)
        return sums / np.sqrt(np.maximum(ngrams, 1)) + self.bias

    def text_probabilities(self, folded_text: str) -> np.ndarray:
        """Calibrated probability of gambling promotion for each line of ``folded_text``."""
        margins = self.text_margins(folded_text)
        return 1.0 / (1.0 + np.exp(-(self.platt_scale * margins + self.platt_shift)))

    def margins(self, folded_lines: Sequence[str]) -> np.ndarray:
        """Margins of folded lines (none may contain a line break)."""
        return self.text_margins("\n".join(folded_lines)) if folded_lines else np.zeros(0)

    def probabilities(self, folded_lines: Sequence[str]) -> np.ndarray:
        """Calibrated probabilities of folded lines (none may contain a line break)."""
        return self.text_probabilities("\n".join(folded_lines)) if folded_lines else np.zeros(0)
