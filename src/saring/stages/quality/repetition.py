"""Gopher repetition over word n-grams, for a whole batch at once with numpy.

Each n-gram is a 64-bit polynomial hash of its token ids, salted with its document, so counting
repeats is a sort over the batch instead of Python ``Counter`` objects per document. Only bigrams are
counted over every position: an n-gram can occur twice only where both its (n-1)-grams do, so each
longer n looks only at the positions the previous one found repeated (few, in real text).

Definitions follow Rae et al. (2021), "Scaling Language Models: Methods, Analysis & Insights from
Training Gopher", appendix A, as implemented by datatrove's ``GopherRepetitionFilter``:

- ``top_{n}gram_frac``: characters covered by the most frequent n-gram (its length, words joined by
  spaces, times its count; ties go to the one seen first) over the document's characters;
- ``dup_{n}gram_frac``: characters of n-grams (words joined without spaces) that repeat an n-gram seen
  earlier, scanning left to right and jumping past each repeat, over the document's characters.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from saring.stages.quality.words import Tokens

_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)
_DOC_SALT = np.uint64(0xC2B2AE3D27D4EB4F)


def _group_counts(keys: np.ndarray) -> np.ndarray:
    """For each element, how many elements share its key (Arrow's hash table: no sort)."""
    keys = np.ascontiguousarray(keys, dtype=np.uint64)
    as_arrow = pa.Array.from_buffers(pa.uint64(), len(keys), [None, pa.py_buffer(keys)])
    group = np.from_dlpack(pc.dictionary_encode(as_arrow).indices)
    return np.bincount(group)[group]


def _top_covered(
    positions: np.ndarray, counts: np.ndarray, span: np.ndarray, docs: np.ndarray, out: np.ndarray
) -> None:
    """Per document: count x length of its most frequent repeated n-gram (first seen on ties)."""
    if len(positions) == 0:
        return
    stride = np.int64(positions[-1] + 1)
    score = counts * stride - positions  # highest count first, then earliest position
    segment = np.flatnonzero(np.r_[True, docs[1:] != docs[:-1]])
    best = np.maximum.reduceat(score, segment)
    best_count = -(-best // stride)
    best_position = best_count * stride - best
    out[docs[segment]] = best_count * span[best_position]


def _greedy_repeats(
    positions: np.ndarray, keys: np.ndarray, docs: np.ndarray, chars: np.ndarray, n: int, out: np.ndarray
) -> None:
    """Characters of repeated n-grams, scanning each document left to right and jumping past repeats.

    ``positions`` are only those whose n-gram occurs at least twice: the others never repeat and are
    never repeated, so the scan's result does not depend on them.
    """
    current, seen, resume = -1, set(), -1
    for position, key, doc, length in zip(
        positions.tolist(), keys.tolist(), docs.tolist(), chars.tolist(), strict=True
    ):
        if doc != current:
            current, seen, resume = doc, set(), -1
        if position < resume:
            continue
        if key in seen:
            out[doc] += length
            resume = position + n
        else:
            seen.add(key)


def ngram_signals(
    tokens: Tokens, text_lengths: np.ndarray, top_ns: Sequence[int], dup_ns: Sequence[int]
) -> dict[str, np.ndarray]:
    """``top_{n}gram_frac`` (NaN when a document has fewer than n tokens) and ``dup_{n}gram_frac``."""
    documents = len(text_lengths)
    total = len(tokens.ids)
    doc_of = np.repeat(np.arange(documents, dtype=np.int64), tokens.counts)
    cumulative = np.zeros(total + 1, dtype=np.int64)
    np.cumsum(tokens.length[tokens.ids], out=cumulative[1:])
    base = np.zeros(total + 1, dtype=np.uint64)
    base[:total] = tokens.ids.astype(np.uint64) + np.uint64(1)
    keys = base.copy()  # unsalted n-gram hash at each position (kept up to date at candidates only)
    denominator = np.maximum(text_lengths, 1).astype(np.float64)
    first = tokens.offsets[:-1]
    signals: dict[str, np.ndarray] = {}
    # Bigram candidates: every position whose bigram stays inside its document.
    candidates = np.flatnonzero(doc_of[:-1] == doc_of[1:]) if total > 1 else np.zeros(0, np.int64)
    for n in range(2, max([*top_ns, *dup_ns], default=1) + 1):
        keys[candidates] = keys[candidates] * _MULTIPLIER + base[candidates + n - 1]
        salted = keys[candidates] ^ (doc_of[candidates].astype(np.uint64) * _DOC_SALT)
        counts = _group_counts(salted)
        is_repeat = counts >= 2
        positions, salted = candidates[is_repeat], salted[is_repeat]
        docs = doc_of[positions]
        joined = cumulative[positions + n] - cumulative[positions]  # the n words' characters, no spaces
        if n in top_ns:
            # Without repeats, the top n-gram is the document's first one, once (ties go to the first).
            has_ngram = tokens.counts >= n
            first_span = cumulative[np.minimum(first + n, total)] - cumulative[first] + n - 1
            covered = np.where(has_ngram, first_span, 0)
            span = np.zeros(total + 1, dtype=np.int64)
            span[positions] = joined + (n - 1)
            _top_covered(positions, counts[is_repeat], span, docs, covered)
            signals[f"top_{n}gram_frac"] = np.where(has_ngram, covered / denominator, np.nan)
        if n in dup_ns:
            duplicated = np.zeros(documents, dtype=np.float64)
            _greedy_repeats(positions, salted, docs, joined, n, duplicated)
            signals[f"dup_{n}gram_frac"] = duplicated / denominator
        # An (n+1)-gram can repeat only where the n-grams at p and p + 1 both do.
        repeated = np.zeros(total + 1, dtype=bool)
        repeated[positions] = True
        candidates = positions[repeated[positions + 1]]
    return signals
