"""The run report: sections from a run's outputs, escaping of hostile text, bounded sampling."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import random
import re
from collections import Counter
from pathlib import Path

import numpy as np
import orjson
import pytest
import zstandard

import saring
from saring.core.registry import register
from saring.core.stage import Stage, StageParams
from saring.io.parts import ReadTally, read_budgeted
from saring.report import build_report, write_report
from saring.report.charts import histogram_of
from saring.report.markup import el
from saring.report.sampling import ClusterSample, Reservoir

FIXTURES = Path(__file__).parent / "fixtures" / "report"
HOSTILE = [json.loads(line) for line in (FIXTURES / "hostile.jsonl").read_text().splitlines()]
WORDS = [
    "pasar",
    "harga",
    "beras",
    "kota",
    "warga",
    "jalan",
    "sekolah",
    "rumah",
    "sakit",
    "kerja",
    "air",
    "hujan",
    "banjir",
    "laut",
    "kapal",
]


class ProbeParams(StageParams):
    min_score: float = 0.3


@register
class ReportProbe(Stage):
    """A stage known to the registry whose threshold the report must draw."""

    name = "report_probe"
    Params = ProbeParams

    def thresholds(self) -> dict[str, float]:
        return {"score": self.params.min_score}


def _document(index: int, rng: random.Random) -> dict:
    hostile = HOSTILE[index % len(HOSTILE)] if index % 5 == 0 else None
    words = rng.randint(2, 400) if index % 7 else rng.randint(3000, 9000)
    text = hostile["text"] if hostile else " ".join(rng.choice(WORDS) for _ in range(words))
    host = f"site{index % 9}.example" if index % 4 else "judi-online.example"
    first = rng.choice(["id", "ms", "id", "en", "jv"])
    language = "id" if first == "ms" and index % 3 else first
    signals = {
        "normalize.changed": index % 6 == 0,
        "length.chars": len(text),
        "length.words": len(text.split()),
        "report_probe.score": round(rng.random(), 3),
        "langid.first_pass": first,
        "langid.language": language,
        "langid.resolved_by": "discriminator" if first in ("id", "ms") else None,
        "gambling_hosts.host_promotion_share": 0.8 if host.startswith("judi") else 0.0,
        "near_dedup.cluster_id": f"c{index % 11}" if index % 3 == 0 else None,
        "near_dedup.cluster_size": 4 if index % 3 == 0 else 1,
        "near_dedup.duplicate_of": None,
    }
    record = {
        "id": f"doc-{index}",
        "text": text,
        "url": hostile["url"] if hostile else f"https://{host}/artikel/{index}",
        "source": f"memory:{index}",
        "metadata": {},
        "signals": signals,
        "removed_lines": [],
        "would_remove": [],
    }
    if index % 10 == 3:
        record["removed_lines"] = [
            {
                "stage": "boilerplate",
                "reason": "navigation",
                "line": "Beranda | Berita | <script>window.__pwned=1</script>",
            },
            {
                "stage": "boilerplate",
                "reason": "cookie_notice",
                "line": "Kami memakai cookie <img src=x onerror=alert(1)>",
            },
        ]
    if signals["report_probe.score"] < 0.3:
        record["removed"] = {"stage": "report_probe", "reason": "low_score"}
    elif signals["length.words"] < 5:
        record["removed"] = {"stage": "length", "reason": "too_short"}
    elif index % 3 == 0 and index % 11 != index % 33:
        signals["near_dedup.duplicate_of"] = f"doc-{index % 33}"
        record["removed"] = {"stage": "near_dedup", "reason": "near_duplicate"}
    return record


def synthetic_run(folder: Path, documents: int = 400, removed_format: str = "jsonl.gz") -> Path:
    """An output folder as a run of several stages (some not built yet) leaves it, hostile texts included."""
    rng = random.Random(7)
    records = [_document(i, rng) for i in range(documents)]
    kept = [r for r in records if "removed" not in r]
    removed = [r for r in records if "removed" in r]
    quarantined = [
        {
            "id": None,
            "source": "in.jsonl:9",
            "stage": "read",
            "error": "malformed JSON",
            "raw": '{"text": "<script>window.__pwned=1</script>',
        }
    ]
    labels = ["normalize", "length", "report_probe", "langid", "near_dedup", "boilerplate"]
    stages = {}
    active = list(records)
    for label in labels:
        leaving = [r for r in active if r.get("removed", {}).get("stage") == label]
        staying = [r for r in active if r not in leaving]
        lines = Counter(e["reason"] for r in staying for e in r["removed_lines"] if e["stage"] == label)
        stages[label] = {
            "docs_in": len(active),
            "docs_out": len(staying),
            "bytes_in": sum(len(r["text"]) for r in active),
            "bytes_out": sum(len(r["text"]) for r in staying),
            "words_in": sum(len(r["text"].split()) for r in active),
            "words_out": sum(len(r["text"].split()) for r in staying),
            "removed": dict(Counter(r["removed"]["reason"] for r in leaving)),
            "lines_removed": dict(lines),
            "would_remove": {},
            "quarantined": 0,
            "seconds": 0.01,
        }
        active = staying
    stats = {
        "documents": {"in": documents + 1, "kept": len(kept), "removed": len(removed), "quarantined": 1},
        "bytes": {"in": stages["normalize"]["bytes_in"], "kept": sum(len(r["text"]) for r in kept)},
        "stages": stages,
        "quarantine_reasons": {"read: malformed JSON <script>window.__pwned=1</script>": 1},
        "skipped_records": {},
        "inputs": {"in.jsonl": {"bytes": 1}},
        "run": {
            "seconds": 1.0,
            "workers": 1,
            "engine": "local",
            "dry_run": False,
            "docs_per_second": 400.0,
            "mb_per_second": 1.0,
        },
    }
    manifest = {
        "finished": "2026-01-01T00:00:00Z",
        "pipeline": {
            "dry_run": False,
            "stages": [
                {"stage": "normalize", "label": None, "params": {}},
                {"stage": "length", "label": None, "params": {"min_words": 5}},
                {"stage": "report_probe", "label": None, "params": {"min_score": 0.3}},
            ],
        },
    }
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "stats.json").write_bytes(orjson.dumps(stats))
    (folder / "manifest.json").write_bytes(orjson.dumps(manifest))
    lines = {
        kind: b"".join(orjson.dumps(r) + b"\n" for r in rs)
        for kind, rs in (("kept", kept), ("removed", removed), ("quarantine", quarantined))
    }
    for kind in lines:
        (folder / kind).mkdir(exist_ok=True)
    half = len(kept) // 2
    (folder / "kept/part-00000.jsonl.zst").write_bytes(
        zstandard.ZstdCompressor().compress(b"".join(orjson.dumps(r) + b"\n" for r in kept[:half]))
    )
    (folder / "kept/part-00001.jsonl").write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in kept[half:]))
    if removed_format == "jsonl.gz":
        (folder / "removed/part-00000.jsonl.gz").write_bytes(gzip.compress(lines["removed"], mtime=0))
    else:
        (folder / "removed/part-00000.jsonl").write_bytes(lines["removed"])
    (folder / "quarantine/part-00000.jsonl").write_bytes(lines["quarantine"])
    return folder


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    folder = synthetic_run(tmp_path_factory.mktemp("report") / "out")
    path = write_report(folder)
    return folder, path.read_text(encoding="utf-8")


def _section_ids(html: str) -> list[str]:
    return re.findall(r'<section id="([^"]+)"', html)


def test_every_section_appears_when_its_signals_exist(synthetic):
    _folder, html = synthetic
    assert _section_ids(html) == [
        "overview",
        "funnel",
        "removals",
        "signals",
        "languages",
        "hosts",
        "duplicates",
        "samples",
        "lines",
        "quarantine",
    ]
    assert "balanced" in html and "MISMATCH" not in html
    assert 'id="signal-report_probe.score"' in html and 'id="signal-length.words"' in html
    # thresholds() of report_probe (score) and length (chars, words)
    assert html.count('class="threshold"') == 3
    assert "min_score" not in html and "score = 0.3" in html
    assert "log scale" in html  # length.chars has a long tail
    assert "judi-online.example" in html  # link farm and top removal host
    assert "discriminator" in html and "First pass" in html
    assert "Lines removed, in their original order" in html and 'class="removed-line"' in html


def test_document_text_never_becomes_markup(synthetic):
    _folder, html = synthetic
    assert not re.search(r"<\s*(script|iframe|img|link|object|embed|form|base|svg onload)\b", html, re.I)
    assert "refresh" not in html.split("</head>")[0]
    assert not re.search(r"<[^>]*\son\w+\s*=", html, re.I)  # no event handler attribute anywhere
    assert 'href="#' in html and not re.search(r'href="(?!#)', html)  # only in-page links
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html
    assert "\x00" not in html and "\x08" not in html


def test_markup_escapes_children_and_attributes():
    hostile = '"><script>x</script>&lt;b&gt;\x00'
    assert el("pre", hostile, title=hostile) == (
        '<pre title="&quot;&gt;&lt;script&gt;x&lt;/script&gt;&amp;lt;b&amp;gt;\ufffd">'
        "&quot;&gt;&lt;script&gt;x&lt;/script&gt;&amp;lt;b&amp;gt;\ufffd</pre>"
    )
    assert el("p", el("b", "bold"), " & ", None, ["x", 1]) == "<p><b>bold</b> &amp; x1</p>"


def test_content_security_policy_allows_only_the_report_style(synthetic):
    _folder, html = synthetic
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html).group(1)
    policy = policy.replace("&#x27;", "'")
    assert "default-src 'none'" in policy and "script-src" not in policy
    style = re.search(r"<style>(.*?)</style>", html, re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in policy
    assert html.count("<style>") == 1


def test_sampling_is_bounded_stated_and_deterministic(tmp_path):
    folder = synthetic_run(tmp_path / "out")
    first = build_report(folder, max_documents=60)
    assert first == build_report(folder, max_documents=60)
    assert "a sample:" in first and "the first documents of every part file" in first
    kept, removed = (int(x) for x in re.search(r"kept ([\d,]+) of .*?removed ([\d,]+) of", first).groups())
    assert kept + removed <= 60 and kept > 0 and removed > 0
    assert "a sample:" not in build_report(folder)


def test_budget_is_spread_over_parts_and_unbounded_reads_all(tmp_path):
    sizes = {"part-00000.jsonl": 21, "part-00001.jsonl": 3, "part-00002.jsonl.gz": 9}
    for name, size in sizes.items():
        data = b"".join(orjson.dumps({"id": f"{name}-{i}"}) + b"\n" for i in range(size)) + b"{broken\n"
        (tmp_path / name).write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    files = sorted(tmp_path.iterdir())
    everything = ReadTally()
    assert len(list(read_budgeted(files, None, everything))) == 33 and everything.unreadable == 3
    some = ReadTally()
    ids = [r["id"] for r in read_budgeted(files, 12, some)]
    assert len(ids) == some.records == 12 and some.files_read == 3
    assert Counter(i.split("-")[1][:5] for i in ids) == {"00000": 4, "00001": 3, "00002": 5}


def test_report_of_a_real_default_run(tmp_path):
    template = (
        "Pemerintah {0} menyiapkan anggaran untuk memperbaiki {1} yang rusak di {2}.\n"
        "Kepala {3} mengatakan kepada wartawan bahwa pekerjaan di {2} dimulai pada {4}.\n"
        "Warga {2} berharap perbaikan {1} selesai sebelum {4} karena {1} itu dipakai {5}.\n"
        "{3} juga akan membersihkan {6} yang tersumbat agar {7} tidak terulang lagi.\n"
        "Anggaran perbaikan {1} berasal dari {8} yang disetujui {0} dalam rapat kemarin."
    )
    topics = [  # four different stories: exact copies of each, no near-duplicates across them
        (
            "kabupaten",
            "jalan desa",
            "Sleman",
            "dinas pekerjaan umum",
            "pekan depan",
            "anak sekolah",
            "saluran air",
            "genangan",
            "dana darurat",
        ),
        (
            "provinsi",
            "jembatan gantung",
            "Lombok",
            "balai jalan",
            "bulan Maret",
            "para petani",
            "gorong-gorong",
            "banjir bandang",
            "pinjaman daerah",
        ),
        (
            "kota",
            "pasar tradisional",
            "Medan",
            "dinas perdagangan",
            "akhir tahun",
            "pedagang sayur",
            "selokan pasar",
            "kebakaran",
            "anggaran perubahan",
        ),
        (
            "desa",
            "gedung sekolah",
            "Ende",
            "kantor pendidikan",
            "tahun ajaran baru",
            "murid kelas satu",
            "talang atap",
            "kebocoran",
            "dana desa",
        ),
    ]
    lines = [
        json.dumps({"id": f"d{i}", "text": template.format(*topics[i % 4]), "url": None}) for i in range(20)
    ]
    lines += [json.dumps(doc) for doc in HOSTILE] + ["not json <script>window.__pwned=1</script>"]
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(lines) + "\n")
    for fmt, dry_run in (("parquet", False), ("jsonl.zst", False), ("jsonl", True)):
        out = tmp_path / f"out-{fmt}"
        pipeline = saring.config.load_pipeline(None).model_copy(deep=True)
        pipeline.output.format = fmt
        saring.run(pipeline, inputs=[str(source)], output=str(out), workers=1, dry_run=dry_run)
        html = write_report(out).read_text()
        ids = _section_ids(html)
        assert "languages" in ids and "hosts" in ids
        assert {"funnel", "removals", "signals", "duplicates", "samples", "quarantine"} <= set(ids)
        assert "exact_dedup: duplicate_text" in html and "length.words" in html
        assert not re.search(r"<\s*script", html, re.I)
        assert ("Dry run" in html) == dry_run and ("would be removed by exact_dedup" in html) == dry_run
        if not dry_run:  # the kept first copy leads its cluster, its copies follow
            cluster = html[html.index('class="cluster"') :].split('class="fate"')
            assert cluster[1].startswith(">kept<") and ">removed by exact_dedup" in cluster[2]


def test_a_folder_without_a_finished_run_is_refused(tmp_path):
    with pytest.raises(FileNotFoundError, match="finished saring run"):
        write_report(tmp_path)
    assert not (tmp_path / "report.html").exists()


def test_histogram_axis_holds_the_threshold_and_bins():
    values = {"kept": np.array([1.0, 2, 3, 4]), "here": np.array([5.0])}
    hist = histogram_of(values, {"max": 20})
    assert hist.edges[0] <= 1 and hist.edges[-1] >= 20 and not hist.log
    assert len(hist.edges) == 21 and sum(int(c.sum()) for c in hist.counts.values()) == 5  # whole numbers
    tail = {"kept": np.concatenate([np.full(50, 10.0), [1e6]])}
    assert histogram_of(tail, {}).log
    spread = {"kept": np.concatenate([np.linspace(0, 1, 1000), [-1e9]])}
    hist = histogram_of(spread, {})
    assert 0 < hist.clipped <= 12 and hist.edges[0] > -1  # far outliers fall into the edge bars
    assert histogram_of({"kept": np.empty(0)}, {}) is None


def test_cluster_sample_chooses_the_same_clusters_whatever_the_order():
    members = [(f"c{i % 40}", f"d{i}") for i in range(400)]
    chosen = []
    for seed in (1, 2):
        random.Random(seed).shuffle(members)
        sample: ClusterSample[str] = ClusterSample(4, 100)
        for key, doc in members:
            sample.offer(key, doc, lambda doc=doc: doc)
        chosen.append(sorted(sorted(c) for c in sample.clusters()))
    assert chosen[0] == chosen[1] and len(chosen[0]) == 4 and all(len(c) == 10 for c in chosen[0])


def test_reservoir_is_uniform_and_deterministic():
    picks = Counter()
    for trial in range(300):
        reservoir: Reservoir[int] = Reservoir(5, f"t{trial}")
        for i in range(50):
            reservoir.offer(lambda i=i: i)
        picks.update(reservoir.items)
    again: Reservoir[int] = Reservoir(5, "t0")
    for i in range(50):
        again.offer(lambda i=i: i)
    first: Reservoir[int] = Reservoir(5, "t0")
    for i in range(50):
        first.offer(lambda i=i: i)
    assert again.items == first.items
    assert sum(picks.values()) == 1500 and min(picks[i] for i in range(50)) > 10  # every position is drawn
