"""Vectorized 64-bit hashing shared by the corpus stages."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import xxhash


def splitmix64(x: np.ndarray) -> np.ndarray:
    """A bijective 64-bit mixer (finalizer of SplitMix64), vectorized."""
    x = x + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def string_hashes(strings: pa.Array) -> np.ndarray:
    """A 64-bit hash of every string: xxh3 of each distinct string of the array (pyarrow dictionary)."""
    encoded = pc.dictionary_encode(strings)
    distinct = encoded.dictionary.cast(pa.large_binary()).to_pylist()
    hashes = np.fromiter((xxhash.xxh3_64_intdigest(value) for value in distinct), np.uint64, len(distinct))
    return hashes[encoded.indices.to_numpy(zero_copy_only=False)]
