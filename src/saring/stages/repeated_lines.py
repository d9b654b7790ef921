"""Lines repeated across the corpus (the cc_net idea): site boilerplate and link-farm footers.

collect: the hash of every distinct normalized line of a document (lower case, digits as 0, only
letters and digits kept) with the hash of the document's host. plan (in the engine's partition pool:
local processes or Ray tasks): groups of key files are spilled to hash partitions on disk, and each
partition is counted alone (distinct documents, distinct hosts); lines seen
in at least ``min_documents`` documents on at least ``min_hosts`` hosts are repeated. A line repeated
within one document counts once.

Guards against stripping ordinary sentences: lines with fewer than ``min_chars`` normalized
characters are never counted; a line of fewer than ``short_line_words`` words that ends like a sentence
(``.``, ``!``, ``?``, a closing quote) is kept, because short common sentences ("Terima kasih.") are
content, while short labels without sentence punctuation ("Baca Juga", "Advertisement") are template.
Run it after exact and near-duplicate removal: copies of one article would otherwise make all their
lines "repeated".
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import regex
import xxhash
from pydantic import Field

from saring.core.hashing import splitmix64, string_hashes
from saring.core.partitions import PartitionPool, PartitionWriter, map_reduce, partition_count, read_partition
from saring.core.registry import register
from saring.core.stage import (
    CorpusStage,
    Count,
    DocView,
    Measured,
    PositiveCount,
    StageParams,
    collected_batches,
)

_SENTENCE_END = regex.compile(r"[.!?…。][\"'”’»)\]]*\s*$")
_KEYS = pa.schema([("line_hash", pa.uint64()), ("host_hash", pa.uint64())])
_ENTRY = np.dtype([("key", "<u8"), ("host", "<u8")])
_BYTES_PER_ENTRY_AT_WORK = 48


class RepeatedLinesParams(StageParams):
    min_documents: PositiveCount = 10  # a line must occur in at least this many documents
    #: ... on at least this many hosts (2+: only cross-site repeats, e.g. link farms)
    min_hosts: PositiveCount = 1
    min_chars: Count = 3  # shorter normalized lines are never counted
    short_line_words: Count = 4  # lines with fewer words that end like a sentence are kept
    memory_budget_mb: float = Field(512, gt=0)


def line_hashes(texts: list[str], min_chars: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hash of every line (``text.split("\\n")``) of every text, whether the line counts (its normalized
    form has at least ``min_chars`` characters), and the number of lines of each text."""
    lines = pc.split_pattern(pa.array(texts, type=pa.large_string()), "\n")
    digits = pc.replace_substring_regex(pc.utf8_lower(lines.flatten()), r"\p{N}", "0")
    normalized = pc.utf8_trim(pc.replace_substring_regex(digits, r"[^\p{L}\p{N}]+", " "), " ")
    counts = pc.greater_equal(pc.utf8_length(normalized), min_chars).to_numpy(zero_copy_only=False)
    return string_hashes(normalized), counts, np.diff(lines.offsets.to_numpy())


def _host(url: str | None) -> str:
    if not url:
        return ""
    try:
        return urlsplit(url).hostname or ""
    except ValueError:
        return ""


def _spill_lines(files: list[Path], writer: PartitionWriter) -> None:
    """Map step: a (line, host) record per distinct line of each document."""
    for batch in collected_batches(files):
        records = np.empty(batch.num_rows, dtype=_ENTRY)
        records["key"] = batch.column("line_hash").to_numpy()
        records["host"] = batch.column("host_hash").to_numpy()
        writer.write(records)


def _count_partition(paths: list[Path], out: Path, min_documents: int, min_hosts: int) -> int:
    """Reduce step: write the sorted hashes of this partition's repeated lines; returns their number."""
    entries = read_partition(paths, _ENTRY)
    keys, documents = np.unique(entries["key"], return_counts=True)
    repeated = keys[documents >= min_documents]
    if min_hosts > 1 and len(repeated):
        pairs = np.unique(entries[np.isin(entries["key"], repeated)])
        hosts_keys, hosts = np.unique(pairs["key"], return_counts=True)
        repeated = hosts_keys[hosts >= min_hosts]
    repeated.astype(np.uint64).tofile(out)
    return len(repeated)


@register
class RepeatedLines(CorpusStage):
    name = "repeated_lines"
    Params = RepeatedLinesParams

    def __init__(self, params: RepeatedLinesParams | None = None, label: str | None = None) -> None:
        super().__init__(params, label)
        self._repeated = np.zeros(0, dtype=np.uint64)

    def signal_schema(self) -> dict[str, pa.DataType]:
        return {"repeated_lines": pa.int32()}

    def collect_schema(self) -> pa.Schema:
        return _KEYS

    def collect(self, docs: DocView) -> pa.Table:
        hashes, counts, per_doc = line_hashes(docs.texts, self.params.min_chars)
        hosts = np.array(
            [xxhash.xxh3_64_intdigest(_host(url).encode()) for url in docs.column("url")], np.uint64
        )
        doc = np.repeat(np.arange(len(docs), dtype=np.uint64), per_doc)[counts]
        lines = hashes[counts]
        # a line repeated inside one document counts once: one row per distinct (document, line)
        _, first = np.unique(splitmix64(lines ^ splitmix64(doc)), return_index=True)
        return pa.table(
            {"line_hash": pa.array(lines[first]), "host_hash": pa.array(hosts[doc[first]])},
            schema=_KEYS,
        )

    def plan(self, collected: Sequence[Path], workdir: Path, pool: PartitionPool) -> None:
        p = self.params
        files = [path for path in collected if path.exists()]
        estimated = sum(path.stat().st_size for path in files) // 8 + 1  # zstd barely shrinks hashes
        count = partition_count(
            estimated * _BYTES_PER_ENTRY_AT_WORK // 16, p.memory_budget_mb * 2**20, pool.workers
        )
        repeated = map_reduce(
            _spill_lines,
            _count_partition,
            files,
            workdir,
            "lines",
            count,
            _ENTRY,
            np.dtype(np.uint64),
            pool,
            p.min_documents,
            p.min_hosts,
        )
        np.save(workdir / "repeated_lines.npy", np.sort(repeated))

    def load_plan(self, workdir: Path) -> None:
        self._repeated = np.load(workdir / "repeated_lines.npy")

    def measure(self, docs: DocView) -> Measured:
        hashes, counts, per_doc = line_hashes(docs.texts, self.params.min_chars)
        repeated = counts.copy()
        if len(self._repeated):
            found = np.minimum(np.searchsorted(self._repeated, hashes), len(self._repeated) - 1)
            repeated &= self._repeated[found] == hashes
        else:
            repeated[:] = False
        line_of_doc = np.repeat(np.arange(len(docs)), per_doc)
        first_line = np.concatenate(([0], np.cumsum(per_doc)))
        removals: list[list[tuple[int, str]]] = [[] for _ in docs.texts]
        short = self.params.short_line_words
        hits = np.flatnonzero(repeated)
        for doc in np.unique(line_of_doc[hits]).tolist():
            lines = docs.texts[doc].split("\n")
            for index in (hits[line_of_doc[hits] == doc] - first_line[doc]).tolist():
                line = lines[index]
                if not (len(line.split()) < short and _SENTENCE_END.search(line)):
                    removals[doc].append((index, "repeated_line"))
        return Measured(signals={"repeated_lines": [len(r) for r in removals]}, line_removals=removals)
