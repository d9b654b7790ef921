"""The gambling-promotion line classifier: hashed byte n-grams of folded lines -> logistic regression.

Features of a line: its folded text (see :mod:`folding`) padded with one space each side, every byte
n-gram of the sizes in the model file hashed into ``2**bits`` buckets, each counted and divided by the
square root of the line's n-gram count. Hashing is vectorized over all lines of a batch with numpy;
the same :func:`hashed_ngrams` builds the training matrix in ``scripts/train_gambling.py``.

Score: ``p = sigmoid(a * (w . x + b) + c)``, with ``(a, c)`` fitted by Platt scaling on a held-out split,
so ``p`` is a calibrated probability that the line is gambling promotion.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

_PRIME = np.uint64(1099511628211)
_MIX = np.uint64(0x9E3779B97F4A7C15)
_NEWLINE = 10


def hashed_ngrams(
    lines: Sequence[str], sizes: Sequence[int], bits: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(line_index, bucket, weight)`` of every byte n-gram of every folded line, and per-line counts.

    Returns three aligned arrays over n-grams: the line each belongs to, its hash bucket, and
    ``1/sqrt(n-grams in its line)``.
    """
    buffer = "\n".join(f" {line} " for line in lines).encode("utf-8", "surrogatepass")
    data = np.frombuffer(buffer, dtype=np.uint8).astype(np.uint64)
    breaks = np.cumsum(data == _NEWLINE)
    line_ids: list[np.ndarray] = []
    buckets: list[np.ndarray] = []
    shift = np.uint64(64 - bits)
    rolling = np.zeros(len(data), dtype=np.uint64)
    for size in range(1, max(sizes) + 1):
        count = len(data) - size + 1
        if count <= 0:
            break
        # hash of the n-gram at i: size * P**size + sum_k data[i + k] * P**(size - 1 - k), built incrementally
        rolling = rolling[:count] * _PRIME + data[size - 1 : size - 1 + count]
        if size not in sizes:
            continue
        seed = np.uint64(size * pow(int(_PRIME), size, 1 << 64) % (1 << 64))
        inside = (breaks[size - 1 : size - 1 + count] == breaks[:count]) & (data[:count] != _NEWLINE)
        line_ids.append(breaks[:count][inside])
        buckets.append((((rolling[inside] + seed) * _MIX) >> shift).astype(np.int64))
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

    def margins(self, folded_lines: Sequence[str]) -> np.ndarray:
        """Raw logistic-regression margins ``w . x + b`` of folded lines."""
        line_index, bucket, weight = hashed_ngrams(folded_lines, self.sizes, self.bits)
        sums = np.bincount(line_index, weights=self.weights[bucket] * weight, minlength=len(folded_lines))
        return sums + self.bias

    def probabilities(self, folded_lines: Sequence[str]) -> np.ndarray:
        """Calibrated probability of gambling promotion for each folded line."""
        margins = self.margins(folded_lines)
        return 1.0 / (1.0 + np.exp(-(self.platt_scale * margins + self.platt_shift)))
