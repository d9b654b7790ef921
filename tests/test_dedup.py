"""Deduplication stages: near-duplicate clusters, repeated lines, exact duplicates."""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa

import saring
from saring.api import apply_overrides
from saring.config import parse_pipeline
from saring.core.accounting import StageStats
from saring.core.batch import DocumentBatch, order_key
from saring.core.partitions import LocalPartitionPool
from saring.core.runner import RunOptions, apply_stage, collect_keys
from saring.core.stage import CorpusStage, Stage
from saring.stages.exact_dedup import ExactDedup, ExactDedupParams
from saring.stages.length import Length
from saring.stages.near_dedup import NearDedup, NearDedupParams
from saring.stages.near_dedup.banding import candidate_probability, choose_banding
from tests.conftest import output_bytes, read_output, write_jsonl

VOCABULARY = [f"kata{i}" for i in range(5000)]


def words(seed: int, count: int) -> list[str]:
    generator = random.Random(seed)
    return [generator.choice(VOCABULARY) for _ in range(count)]


def chain_texts() -> dict[str, str]:
    """A ~ B ~ C (each pair shares ~55% of 5-grams) but A and C share little: one cluster by transitivity."""
    a = words(1, 200)
    b = a[:140] + words(2, 60)
    c = b[60:] + words(3, 60)
    return {"a": " ".join(a), "b": " ".join(b), "c": " ".join(c), "d": " ".join(words(4, 200))}


def run_in_memory(
    stage: CorpusStage, texts: list[str], workdir: Path, workers: int = 1, before: Sequence[Stage] = ()
) -> DocumentBatch:
    """(per-batch ``before`` stages,) collect (two shards) -> plan -> load_plan -> measure/decide."""
    options = RunOptions()
    half = len(texts) // 2
    batches, paths = [], []
    for shard, chunk in enumerate([texts[:half], texts[half:]]):
        batch = DocumentBatch.from_rows(
            {
                "id": f"doc-{shard}-{i}",
                "text": t,
                "url": None,
                "source": "test",
                "metadata": "{}",
                "order": order_key(shard, i),
            }
            for i, t in enumerate(chunk)
        )
        for earlier in before:
            apply_stage(earlier, batch, StageStats(), options)
        keys = collect_keys(stage, batch, StageStats(), options)
        path = workdir / f"collect-{shard}.arrow"
        with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_stream(sink, stage.collect_schema()) as writer:
            writer.write_table(keys.cast(stage.collect_schema()))
        batches.append(batch)
        paths.append(path)
    plan_dir = workdir / "plan"
    plan_dir.mkdir()
    stage.plan(paths, plan_dir, LocalPartitionPool(workers))
    stage.load_plan(plan_dir)
    merged = DocumentBatch.from_arrow(pa.concat_tables([b.to_arrow() for b in batches]))
    apply_stage(stage, merged, StageStats(), options)
    return merged


def pipeline_run(inputs: list[Path], out: Path, stages: str, workers: int) -> None:
    pipeline = parse_pipeline(f"output: {{format: jsonl}}\nstages:\n{stages}", "test pipeline")
    saring.run(apply_overrides(pipeline, inputs=[str(p) for p in inputs], output=str(out), workers=workers))


NEAR = "  - stage: near_dedup\n    threshold: 0.4\n    num_perm: 256\n"


def test_transitive_cluster_has_one_representative_and_is_identical_across_workers(tmp_path: Path) -> None:
    texts = chain_texts()
    inputs = [
        write_jsonl(
            tmp_path / "in-0.jsonl", [{"id": "a", "text": texts["a"]}, {"id": "d", "text": texts["d"]}]
        ),
        write_jsonl(
            tmp_path / "in-1.jsonl", [{"id": "b", "text": texts["b"]}, {"id": "c", "text": texts["c"]}]
        ),
    ]
    pipeline_run(inputs, tmp_path / "one", NEAR, workers=1)
    pipeline_run(inputs, tmp_path / "two", NEAR, workers=2)
    assert output_bytes(tmp_path / "one") == output_bytes(tmp_path / "two")
    kept = {r["id"]: r for r in read_output(tmp_path / "one", "kept")}
    removed = {r["id"]: r for r in read_output(tmp_path / "one", "removed")}
    assert set(kept) == {"a", "d"} and set(removed) == {"b", "c"}
    for record in removed.values():
        assert record["removed"] == {"stage": "near_dedup", "reason": "near_duplicate"}
        assert record["signals"]["near_dedup.duplicate_of"] == "a"
        assert record["signals"]["near_dedup.cluster_id"] == "a"
        assert record["signals"]["near_dedup.cluster_size"] == 3
    assert kept["a"]["signals"]["near_dedup.cluster_size"] == 3
    assert kept["d"]["signals"]["near_dedup.cluster_id"] is None


def cluster_signals(batch: DocumentBatch) -> list[tuple]:
    return list(
        zip(
            batch.columns["id"],
            batch.signals["near_dedup.cluster_id"],
            batch.signals["near_dedup.duplicate_of"],
            batch.signals["near_dedup.cluster_size"],
            strict=True,
        )
    )


def corpus_with_clusters(count: int = 60) -> list[str]:
    texts = []
    for i in range(count):
        base = words(100 + i % 20, 120)  # 20 articles, each three times with small edits
        edit = random.Random(i)
        for _ in range(3):
            base[edit.randrange(len(base))] = edit.choice(VOCABULARY)
        texts.append(" ".join(base))
    return texts


def test_small_memory_budget_splits_the_plan_and_gives_the_same_clusters(tmp_path: Path) -> None:
    texts = corpus_with_clusters()
    (tmp_path / "roomy").mkdir()
    roomy = run_in_memory(NearDedup(), texts, tmp_path / "roomy")
    (tmp_path / "tight").mkdir()
    tight_stage = NearDedup(NearDedupParams(memory_budget_mb=0.05))
    tight = run_in_memory(tight_stage, texts, tmp_path / "tight", workers=2)
    plan = json.loads((tmp_path / "tight" / "plan" / "plan.json").read_text())
    assert plan["partitions"] > 1
    assert cluster_signals(roomy) == cluster_signals(tight)
    assert sum(s is not None for s in roomy.signals["near_dedup.duplicate_of"]) == 40
    assert len(set(roomy.signals["near_dedup.cluster_id"])) == 20


def test_keep_longest_picks_the_longest_member(tmp_path: Path) -> None:
    base = words(7, 150)
    texts = [" ".join(base[:130]), " ".join(base), " ".join(words(8, 150))]
    batch = run_in_memory(NearDedup(NearDedupParams(keep="longest")), texts, tmp_path)
    ids = batch.columns["id"]
    longest = ids[texts.index(" ".join(base))]
    assert batch.signals["near_dedup.duplicate_of"][ids.index("doc-0-0")] == longest
    assert batch.signals["near_dedup.duplicate_of"][ids.index(longest)] is None
    assert batch.columns["removed_reason"][ids.index("doc-0-0")] == "near_duplicate"


def test_keep_quality_uses_an_earlier_signal(tmp_path: Path) -> None:
    base = words(9, 150)
    texts = [" ".join(base[:120]), " ".join(words(10, 150)), " ".join(base)]
    stage = NearDedup(NearDedupParams(keep="quality", quality_signal="length.chars"))
    batch = run_in_memory(stage, texts, tmp_path, before=[Length()])
    ids = batch.columns["id"]
    best = ids[texts.index(" ".join(base))]  # the most characters
    assert batch.signals["near_dedup.duplicate_of"][ids.index("doc-0-0")] == best
    assert 0.7 < batch.signals["near_dedup.similarity"][ids.index("doc-0-0")] < 0.9


def test_banding_reaches_the_asked_recall_at_the_threshold() -> None:
    banding = choose_banding(128, 0.5, 0.99)
    assert banding.bands * banding.rows <= 128
    assert candidate_probability(0.5, banding.bands, banding.rows) >= 0.99
    assert banding.false_negative_probability() < 0.01


def repeated_lines_corpus(tmp_path: Path, hosts: int) -> list[Path]:
    records = []
    for i in range(12):
        body = [f"Isi berita nomor {i} tentang {' '.join(words(200 + i, 12))}."]
        body += [
            "Baca Juga",
            "Terima kasih.",
            "Copyright 2025 Contoh Media. Hak cipta dilindungi undang-undang",
        ]
        body += ["Kalimat yang diulang di satu dokumen saja"] * 11 if i == 0 else []
        records.append(
            {"id": f"r{i}", "text": "\n".join(body), "url": f"https://site{i % hosts}.example/{i}"}
        )
    return [write_jsonl(tmp_path / "lines.jsonl", records)]


def test_repeated_lines_are_removed_with_guards(tmp_path: Path) -> None:
    inputs = repeated_lines_corpus(tmp_path, hosts=1)
    pipeline_run(inputs, tmp_path / "out", "  - stage: repeated_lines\n    min_documents: 10\n", workers=1)
    kept = {r["id"]: r for r in read_output(tmp_path / "out", "kept")}
    assert len(kept) == 12
    for record in kept.values():
        lines = record["text"].split("\n")
        assert lines[0].startswith("Isi berita nomor")  # unique content stays
        assert "Terima kasih." in lines  # a short sentence is not boilerplate
        assert "Baca Juga" not in lines and not any(line.startswith("Copyright") for line in lines)
        reasons = {(e["reason"], e["line"]) for e in record["removed_lines"]}
        assert ("repeated_line", "Baca Juga") in reasons
        assert record["signals"]["repeated_lines.repeated_lines"] == 2
    assert kept["r0"]["text"].count("Kalimat yang diulang") == 11  # repeats inside one document count once


def test_repeated_lines_can_require_several_hosts(tmp_path: Path) -> None:
    inputs = repeated_lines_corpus(tmp_path, hosts=1)
    stages = "  - stage: repeated_lines\n    min_documents: 10\n    min_hosts: 2\n"
    pipeline_run(inputs, tmp_path / "out", stages, workers=1)
    assert all(not r["removed_lines"] for r in read_output(tmp_path / "out", "kept"))


def test_exact_dedup_by_text_and_by_url(tmp_path: Path) -> None:
    records = [
        {"id": "x1", "text": "Satu dua tiga empat lima.", "url": "https://a.example/1"},
        {"id": "x2", "text": "  satu DUA tiga empat   lima.", "url": "https://a.example/2"},
        {"id": "x3", "text": "Teks yang lain sama sekali.", "url": "https://a.example/1"},
        {"id": "x4", "text": "Teks keempat berbeda.", "url": None},
    ]
    inputs = [write_jsonl(tmp_path / "exact.jsonl", records)]
    pipeline_run(inputs, tmp_path / "out", "  - stage: exact_dedup\n", workers=1)
    removed = {r["id"]: r for r in read_output(tmp_path / "out", "removed")}
    assert removed["x2"]["removed"]["reason"] == "duplicate_text"
    assert removed["x3"]["removed"]["reason"] == "duplicate_url"
    assert removed["x2"]["signals"]["exact_dedup.duplicate_of"] == "x1"
    assert {r["id"] for r in read_output(tmp_path / "out", "kept")} == {"x1", "x4"}


def test_exact_dedup_partitioned_plan_matches_the_single_partition(tmp_path: Path) -> None:
    texts = [f"Teks nomor {i % 37}" for i in range(300)]  # 37 distinct texts, many copies
    (tmp_path / "roomy").mkdir()
    (tmp_path / "tight").mkdir()
    roomy = run_in_memory(ExactDedup(), texts, tmp_path / "roomy")
    tight = run_in_memory(
        ExactDedup(ExactDedupParams(memory_budget_mb=0.001)), texts, tmp_path / "tight", workers=2
    )
    assert roomy.signals["exact_dedup.duplicate_of"] == tight.signals["exact_dedup.duplicate_of"]
    assert sum(s is None for s in roomy.signals["exact_dedup.duplicate_of"]) == 37
    first_of = {t: i for i, t in reversed(list(enumerate(texts)))}
    ids = roomy.columns["id"]
    for i, duplicate_of in enumerate(roomy.signals["exact_dedup.duplicate_of"]):
        assert duplicate_of in (None, ids[first_of[texts[i]]])
