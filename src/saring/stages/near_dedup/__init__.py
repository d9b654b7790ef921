"""Near-duplicate documents over the whole corpus: MinHash, LSH banding, verification, union-find.

collect (per batch, in the workers): shingle the normalized text and compute a MinHash signature.
plan (once per run, in the engine's partition pool: local processes or Ray tasks): groups of key
files are spilled to hash partitions of band keys on disk; each partition groups documents by band
key and verifies candidate pairs with the Jaccard similarity estimated from the full signatures;
verified pairs are joined by a union-find; every cluster keeps one representative (first seen,
longest, or best by a quality signal) and the others are removed with the cluster id, the
representative's id and their similarity to it. Memory stays within ``memory_budget_mb`` apart from
a few bytes per document for the union-find (see ``plan.json``).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field, model_validator

from saring.core.partitions import PartitionPool, PartitionWriter, partition_count, read_partition, spill
from saring.core.registry import register
from saring.core.stage import CorpusStage, DocView, Measured, PositiveCount, StageParams, collected_batches
from saring.stages.near_dedup.banding import Banding, band_keys, choose_banding
from saring.stages.near_dedup.clusters import UnionFind
from saring.stages.near_dedup.minhash import permutations, shingle, signatures

_ENTRY = np.dtype([("key", "<u8"), ("doc", "<u4")])
_EDGE = np.dtype([("left", "<u4"), ("right", "<u4")])
_PLAN = pa.schema(
    [
        ("order", pa.int64()),
        ("cluster_id", pa.string()),
        ("cluster_size", pa.int32()),
        ("duplicate_of", pa.string()),
        ("similarity", pa.float32()),
    ]
)
_BYTES_PER_ENTRY_AT_WORK = 48
_PAGE = 4096  # an entry (12 bytes) plus sort indices and group arrays while grouping


class NearDedupParams(StageParams):
    shingle: Literal["word", "char"] = "word"  # word n-grams or character n-grams of the normalized text
    ngram: int = Field(5, ge=1, le=64)
    num_perm: int = Field(128, ge=8, le=4096)
    #: Jaccard similarity at and above which two documents are near-duplicates
    threshold: float = Field(0.5, gt=0.0, le=1.0)
    bands: int | None = None  # bands x rows; derived from the threshold when not given
    rows: int | None = None
    #: candidate probability at the threshold when deriving bands x rows
    recall_at_threshold: float = Field(0.99, gt=0.0, lt=1.0)
    verify: bool = True  # check candidate pairs with the similarity estimated from full signatures
    keep: Literal["first", "longest", "quality"] = "first"  # the representative of each cluster
    quality_signal: str | None = None  # with keep=quality: an earlier stage's signal, higher is better
    #: documents of one bucket linked by verification (larger ones: the first)
    max_bucket: PositiveCount = 10_000
    memory_budget_mb: float = Field(1024, gt=0)
    seed: int = 42

    @model_validator(mode="after")
    def _check(self) -> NearDedupParams:
        if (self.bands is None) != (self.rows is None):
            raise ValueError("give both bands and rows, or neither")
        if self.bands is not None and self.bands * self.rows > self.num_perm:
            raise ValueError("bands x rows must not exceed num_perm")
        if self.keep == "quality" and not self.quality_signal:
            raise ValueError("keep: quality needs quality_signal (e.g. quality.score)")
        return self


def _collect_schema(num_perm: int) -> pa.Schema:
    return pa.schema(
        [
            ("order", pa.int64()),
            ("id", pa.string()),
            ("length", pa.int64()),
            ("quality", pa.float64()),
            ("signature", pa.binary(4 * num_perm)),
        ]
    )


def _signature_matrix(column: pa.ChunkedArray | pa.Array, num_perm: int) -> np.ndarray:
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    data = np.frombuffer(array.buffers()[1], dtype=np.uint32)
    return data[array.offset * num_perm : (array.offset + len(array)) * num_perm].reshape(-1, num_perm)


def similarities(
    signature_path: Path, num_perm: int, left: np.ndarray, right: np.ndarray, budget_bytes: float
) -> np.ndarray:
    """Jaccard similarity estimated from full signatures (share of equal minima) for document pairs.

    The signature file is mapped afresh for each chunk of pairs: every row read maps a whole page, so a
    chunk is sized for its pages to fit the budget, and unmapping returns them.
    """
    out = np.empty(len(left), dtype=np.float32)
    step = max(1024, int(budget_bytes // (2 * (_PAGE + 4 * num_perm))))
    for start in range(0, len(left), step):
        signature_file = np.memmap(signature_path, dtype=np.uint32, mode="r").reshape(-1, num_perm)
        rows = slice(start, start + step)
        out[rows] = (signature_file[left[rows]] == signature_file[right[rows]]).mean(axis=1, dtype=np.float32)
        del signature_file
    return out


def _spill_bands(
    banding: Banding, num_perm: int, meta_schema: pa.Schema, files: list[Path], writer: PartitionWriter
) -> int:
    """Map step for a group of key files: its signatures (``<prefix>.u32``) and document metadata
    (``<prefix>.arrow``) in document order, and (band key, document number within the group) entries
    in the partitions. Returns the group's number of documents."""
    documents = 0
    last_order = -1
    stem = writer.directory / writer.prefix
    with (
        stem.with_suffix(".u32").open("wb") as signature_sink,
        pa.OSFile(str(stem.with_suffix(".arrow")), "wb") as meta_sink,
        pa.ipc.new_stream(meta_sink, meta_schema) as meta_writer,
    ):
        for batch in collected_batches(files):
            if batch.num_rows == 0:
                continue
            orders = batch.column("order").to_numpy()
            if orders[0] <= last_order or np.any(np.diff(orders) <= 0):
                raise ValueError("collected keys are not in document order")
            last_order = int(orders[-1])
            matrix = _signature_matrix(batch.column("signature"), num_perm)
            matrix.tofile(signature_sink)
            meta_writer.write_batch(batch.drop_columns(["signature"]))
            present = np.flatnonzero(matrix[:, 0] != np.uint32(0xFFFFFFFF))
            keys = band_keys(matrix[present], banding)
            entries = np.empty(keys.size, dtype=_ENTRY)
            entries["key"] = keys.ravel()
            entries["doc"] = np.repeat(present + documents, banding.bands)
            writer.write(entries)
            documents += batch.num_rows
    return documents


def _verified_edges(
    partition: list[Path],
    offsets: list[int],
    signature_path: Path,
    num_perm: int,
    threshold: float | None,
    max_bucket: int,
    budget_bytes: float,
    out: Path,
) -> int:
    """Reduce step: group one partition's entries by band key and write the verified pairs; returns
    their number. ``offsets`` turn each group's document numbers into the corpus's.

    In a bucket, each document is paired with the bucket's first document and with its predecessor
    (enough for connected components without all pairs).
    """
    parts = [read_partition([path], _ENTRY) for path in partition]
    for part, offset in zip(parts, offsets, strict=True):
        part["doc"] += np.uint32(offset)
    entries = np.concatenate(parts) if parts else np.zeros(0, _ENTRY)  # in document order
    entries = entries[np.argsort(entries["key"], kind="stable")]
    if len(entries) < 2:
        out.write_bytes(b"")
        return 0
    keys, docs = entries["key"], entries["doc"]
    same = keys[1:] == keys[:-1]
    starts = np.flatnonzero(np.concatenate(([True], ~same)))
    first = docs[starts][np.cumsum(np.concatenate(([True], ~same))) - 1]
    position = np.arange(len(docs)) - np.repeat(starts, np.diff(np.append(starts, len(docs))))
    member = position > 0
    pairs = [(first[member], docs[member])]
    chained = member & (position > 1) & (position < max_bucket)
    pairs.append((docs[np.flatnonzero(chained) - 1], docs[chained]))
    packed = np.unique(
        np.concatenate([(p[0].astype(np.uint64) << np.uint64(32)) | p[1].astype(np.uint64) for p in pairs])
    )
    edges = np.empty(len(packed), dtype=_EDGE)
    edges["left"], edges["right"] = packed >> np.uint64(32), packed & np.uint64(0xFFFFFFFF)
    if threshold is not None and len(edges):
        similarity = similarities(signature_path, num_perm, edges["left"], edges["right"], budget_bytes)
        edges = edges[similarity >= threshold]
    edges.tofile(out)
    return len(edges)


def _take_rows(paths: list[Path], rows: np.ndarray, schema: pa.Schema) -> pa.Table:
    """The given rows (sorted) of Arrow IPC streams read one after the other, batch by batch."""
    parts = []
    start = 0
    for path in paths:
        with pa.ipc.open_stream(pa.OSFile(str(path))) as source:
            for batch in source:
                end = start + batch.num_rows
                inside = rows[np.searchsorted(rows, start) : np.searchsorted(rows, end)] - start
                if len(inside):
                    parts.append(batch.take(pa.array(inside)))
                start = end
    return pa.Table.from_batches(parts, schema=schema)


@register
class NearDedup(CorpusStage):
    name = "near_dedup"
    Params = NearDedupParams

    def __init__(self, params: NearDedupParams | None = None, label: str | None = None) -> None:
        super().__init__(params, label)
        p = self.params
        self.banding = (
            Banding(p.bands, p.rows, p.threshold)
            if p.bands is not None
            else choose_banding(p.num_perm, p.threshold, p.recall_at_threshold)
        )
        self._a, self._b = permutations(p.num_perm, p.seed)
        self._plan_orders = np.zeros(0, dtype=np.int64)
        self._plan_rows: dict[str, list[Any]] = {}

    def describe(self) -> str:
        p = self.params
        b = self.banding.describe()
        return (
            f"near_dedup: {p.shingle} {p.ngram}-grams, {p.num_perm} permutations, {b['bands']} bands x "
            f"{b['rows']} rows, threshold {p.threshold}; candidate probability at the threshold "
            f"{b['candidate_probability_at_threshold']:.4f}, false positive probability "
            f"{b['false_positive_probability']:.4f}, false negative probability "
            f"{b['false_negative_probability']:.4f}; verify={p.verify}"
        )

    def signal_schema(self) -> dict[str, pa.DataType]:
        return {n: _PLAN.field(n).type for n in ("cluster_id", "cluster_size", "duplicate_of", "similarity")}

    def collect_schema(self) -> pa.Schema:
        return _collect_schema(self.params.num_perm)

    def collect(self, docs: DocView) -> pa.Table:
        p = self.params
        matrix = signatures(shingle(docs.texts, p.shingle, p.ngram), self._a, self._b)
        quality = docs.signal(p.quality_signal) if p.quality_signal else [None] * len(docs)
        schema = self.collect_schema()
        columns = [
            pa.array(docs.column("order"), pa.int64()),
            pa.array(docs.column("id"), pa.string()),
            pa.array([len(t) for t in docs.texts], pa.int64()),
            pa.array(quality, pa.float64()),
            pa.FixedSizeBinaryArray.from_buffers(
                schema.field("signature").type, len(docs), [None, pa.py_buffer(matrix.tobytes())]
            ),
        ]
        return pa.Table.from_arrays(columns, schema=schema)

    # -- plan -----------------------------------------------------------------------------------

    def plan(self, collected: Sequence[Path], workdir: Path, pool: PartitionPool) -> None:
        p = self.params
        budget = p.memory_budget_mb * 2**20
        files = [path for path in collected if path.exists()]
        estimated_docs = sum(path.stat().st_size for path in files) // (4 * p.num_perm) + 1
        count = partition_count(
            estimated_docs * self.banding.bands * _BYTES_PER_ENTRY_AT_WORK, budget, pool.workers
        )
        meta_schema = self.collect_schema().remove(self.collect_schema().get_field_index("signature"))
        to_partitions = partial(_spill_bands, self.banding, p.num_perm, meta_schema)
        spilled = spill(to_partitions, files, workdir, "bands", count, _ENTRY, pool)
        offsets = np.concatenate(([0], np.cumsum(spilled.results, dtype=np.int64))).tolist()
        documents = offsets[-1]
        stems = [workdir / prefix for prefix in spilled.prefixes]
        signature_path = workdir / "signatures.u32"
        with signature_path.open("wb") as sink:  # the groups' signatures, in document order
            for stem in stems:
                with stem.with_suffix(".u32").open("rb") as chunk:
                    shutil.copyfileobj(chunk, sink)
                stem.with_suffix(".u32").unlink()
        threshold = p.threshold if p.verify else None
        edge_paths = [workdir / f"bands-{index:05d}.edges" for index in range(count)]
        arguments = [
            (
                paths,
                offsets[:-1],
                signature_path,
                p.num_perm,
                threshold,
                p.max_bucket,
                budget / max(pool.workers, 1),
                out,
            )
            for paths, out in zip(spilled.partitions, edge_paths, strict=True)
        ]
        edge_counts = pool.map(_verified_edges, arguments)
        spilled.remove()
        union = UnionFind(documents)
        for path in edge_paths:
            edges = np.fromfile(path, dtype=_EDGE)
            union.union(edges["left"].astype(np.int64), edges["right"].astype(np.int64))
            path.unlink()
        roots = union.all_roots()
        self._write_plan(
            workdir, roots, signature_path, [stem.with_suffix(".arrow") for stem in stems], meta_schema
        )
        signature_path.unlink()
        summary = {
            **self.banding.describe(),
            "documents": documents,
            "partitions": count,
            "verified_pairs": int(sum(edge_counts)),
            "memory_budget_mb": p.memory_budget_mb,
            "union_find_bytes_per_document": roots.itemsize,
        }
        (workdir / "plan.json").write_text(json.dumps(summary, indent=2))

    def _write_plan(
        self, workdir: Path, roots: np.ndarray, signature_path: Path, metas: list[Path], schema: pa.Schema
    ) -> None:
        """One row per document in a cluster of two or more: its cluster and representative."""
        sizes = np.bincount(roots, minlength=len(roots))
        members = np.flatnonzero(sizes[roots] > 1)
        meta = _take_rows(metas, members, schema)
        for path in metas:
            path.unlink()
        member_roots = roots[members]
        representative = self._representatives(members, member_roots, meta)
        # index of each member's cluster root and representative within ``members``
        root_index = np.searchsorted(members, member_roots)
        rep_index = np.searchsorted(members, representative)
        ids = meta.column("id")
        is_rep = members == representative
        budget = self.params.memory_budget_mb * 2**20
        similarity = similarities(signature_path, self.params.num_perm, members, representative, budget)
        table = pa.table(
            {
                "order": meta.column("order"),
                "cluster_id": ids.take(pa.array(root_index)),
                "cluster_size": pa.array(sizes[member_roots], pa.int32()),
                "duplicate_of": pc.if_else(
                    pa.array(is_rep), pa.nulls(len(members), pa.string()), ids.take(pa.array(rep_index))
                ),
                "similarity": pa.array(similarity, pa.float32()),
            },
            schema=_PLAN,
        )
        with pa.OSFile(str(workdir / "clusters.arrow"), "wb") as sink, pa.ipc.new_file(sink, _PLAN) as writer:
            writer.write_table(table)

    def _representatives(self, members: np.ndarray, member_roots: np.ndarray, meta: pa.Table) -> np.ndarray:
        """For each member, the document index of its cluster's representative."""
        keep = self.params.keep
        if keep == "first":
            return member_roots
        if keep == "longest":
            score = meta.column("length").to_numpy().astype(np.float64)
        else:
            score = meta.column("quality").fill_null(-np.inf).to_numpy()
        # best score first, then the earliest document
        ranking = np.lexsort((members, -score, member_roots))
        sorted_roots = member_roots[ranking]
        starts = np.concatenate(([True], sorted_roots[1:] != sorted_roots[:-1]))
        best_of_root = dict(
            zip(sorted_roots[starts].tolist(), members[ranking][starts].tolist(), strict=True)
        )
        return np.array([best_of_root[r] for r in member_roots.tolist()], dtype=np.int64)

    def load_plan(self, workdir: Path) -> None:
        table = pa.ipc.open_file(pa.memory_map(str(workdir / "clusters.arrow"))).read_all()
        self._plan_orders = table.column("order").to_numpy()
        self._plan_rows = {name: table.column(name).to_pylist() for name in _PLAN.names[1:]}

    # -- apply ------------------------------------------------------------------------------------

    def measure(self, docs: DocView) -> Measured:
        orders = np.asarray(docs.column("order"), dtype=np.int64)
        found = np.searchsorted(self._plan_orders, orders)
        found = np.minimum(found, max(len(self._plan_orders) - 1, 0))
        hit = (self._plan_orders[found] == orders) if len(self._plan_orders) else np.zeros(len(orders), bool)
        signals: dict[str, list[Any]] = {}
        for name, values in self._plan_rows.items():
            signals[name] = [
                values[i] if h else None for i, h in zip(found.tolist(), hit.tolist(), strict=True)
            ]
        if not self._plan_rows:
            signals = {name: [None] * len(docs) for name in _PLAN.names[1:]}
        signals["cluster_size"] = [s if s is not None else 1 for s in signals["cluster_size"]]
        return Measured(signals=signals)

    def decide(self, signals: Mapping[str, Sequence[Any]]) -> list[str | None]:
        return [None if d is None else "near_duplicate" for d in signals["duplicate_of"]]
