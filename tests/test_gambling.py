"""Gambling stage: folding, line classifier, spam-line stripping, promotion removal, link-farm hosts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
import yaml

from saring.core.accounting import StageStats
from saring.core.batch import DocumentBatch, order_key
from saring.core.partitions import LocalPartitionPool
from saring.core.runner import RunOptions, apply_stage, collect_keys
from saring.stages.gambling.folding import code_points, fold
from saring.stages.gambling.hosts import GamblingHosts, host_of
from saring.stages.gambling.model import hashed_ngrams
from saring.stages.gambling.stage import Gambling, words_per_line
from saring.testing import run_stages

PAGES = yaml.safe_load((Path(__file__).parent / "fixtures" / "gambling" / "pages.yaml").read_text("utf-8"))


@pytest.fixture(scope="module")
def stage() -> Gambling:
    gambling = Gambling()
    gambling.setup()
    return gambling


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("𝔭𝔲𝔩𝔞𝔲𝟽𝟽𝟽", "pulau777"),
        ("s l o t g4cor", "slot gacor"),
        ("S.L.O.T", "slot"),
        ("P͓̽U͓̽L͓̽A͓̽U͓̽W͓̽I͓̽N͓̽", "pulauwin"),
        ("pυ͠l͠α͠υ͠ω͠ι͠ɴ͠", "pulauwin"),
        ("Ｐｕｌａｕ７７７", "pulau777"),
        ("🅿🆄🅻🅰🆄", "pulau"),
        ("m4xw1n", "maxwin"),
        ("Рulаu", "pulau"),
        ("s\u200bl\u200do\ufe0ft", "slot"),
        ("Café 2024", "cafe 2024"),
        ("ﬁnal ½ Ⅻ", "final 1 2 xii"),
        ("  kata\u00ad   dua  ", "kata dua"),
    ],
)
def test_fold_undoes_obfuscation(text: str, folded: str) -> None:
    assert fold(text).strip() == folded


def test_fold_keeps_lines_aligned() -> None:
    text = "Baris 𝐬𝐚𝐭𝐮\n\n— dua —\r\nTIGA"
    assert len(fold(text).split("\n")) == len(text.split("\n"))


def test_fold_trims_spaces_at_line_ends() -> None:
    assert fold(" Satu,  dua! \n\t tiga \n") == "satu dua\ntiga\n"


def test_words_per_line_counts_like_str_split() -> None:
    text = " Satu dua\n\n\tTiga\u3000empat\u00a0lima \n\u2028\nenam"
    assert words_per_line(code_points(text)).tolist() == [len(line.split()) for line in text.split("\n")]


def test_runtime_margins_match_training_features(stage: Gambling) -> None:
    lines = [fold(line) for line in PAGES["obfuscated_spam_lines"]] + ["", "a", "berita biasa hari ini"]
    model = stage.model
    line_index, bucket, weight = hashed_ngrams(lines, model.sizes, model.bits)
    expected = np.bincount(line_index, weights=model.weights[bucket] * weight, minlength=len(lines))
    assert model.margins(lines) == pytest.approx(expected + model.bias)


def test_batch_scores_do_not_depend_on_neighbours(stage: Gambling) -> None:
    texts = [PAGES["article_with_tail_spam"], "", PAGES["news_about_gambling"], "\n\nSLOT GACOR\n"]
    together = run_stages([stage], texts)
    for i, text in enumerate(texts):
        alone = run_stages([stage], [text])
        for name in ("doc_score", "max_line_score", "line_scores", "spam_lines", "clean_words"):
            assert together.signals[f"gambling.{name}"][i] == alone.signals[f"gambling.{name}"][0]


def test_obfuscated_spam_lines_score_high(stage: Gambling) -> None:
    scored = stage.score_lines(PAGES["obfuscated_spam_lines"])
    assert len(scored.scores) == len(PAGES["obfuscated_spam_lines"])
    assert all(scored.scores >= 0.5)


def test_news_about_gambling_is_kept_whole(stage: Gambling) -> None:
    batch = run_stages([stage], [PAGES["news_about_gambling"]])
    assert batch.status(0) == "kept"
    assert not batch.columns["removed_lines"][0]
    assert batch.signals["gambling.doc_score"][0] < 0.5
    assert len(batch.signals["gambling.line_scores"][0]) == 5


def test_tail_spam_is_stripped_and_article_kept(stage: Gambling) -> None:
    text = PAGES["article_with_tail_spam"]
    batch = run_stages([stage], [text])
    assert batch.status(0) == "kept"
    removed = [entry["line"] for entry in batch.columns["removed_lines"][0]]
    assert removed == text.split("\n")[4:]
    assert {entry["reason"] for entry in batch.columns["removed_lines"][0]} <= {
        "gambling_spam_line",
        "gambling_spam_edge",
    }
    assert batch.texts[0] == "\n".join(text.split("\n")[:4])
    assert batch.signals["gambling.spam_lines"][0] == 3


GLUED_PARAGRAPH = (
    "Kepala Dinas Kesehatan mengimbau orang tua untuk segera membawa anaknya ke puskesmas atau posyandu "
    "terdekat. Vaksin diberikan secara gratis dan aman untuk anak yang sudah pernah mendapatkan imunisasi."
)
GLUED_SPAM = "Daftar sekarang di situs slot88 gacor hari ini gampang menang maxwin terpercaya."


def test_spam_glued_onto_an_article_paragraph_costs_only_the_spam_sentence(stage: Gambling) -> None:
    lead = "Dinas Kesehatan Kota Surabaya menggelar vaksinasi polio massal untuk anak di seluruh puskesmas."
    batch = run_stages([stage], [f"{lead}\n\n{GLUED_PARAGRAPH} {GLUED_SPAM}"])
    assert batch.status(0) == "kept"
    assert [e["line"] for e in batch.columns["removed_lines"][0]] == [GLUED_SPAM]
    assert batch.texts[0] == f"{lead}\n\n{GLUED_PARAGRAPH}"


def test_two_glued_paragraphs_in_one_page_each_lose_only_their_spam(stage: Gambling) -> None:
    second = GLUED_PARAGRAPH.replace("Kepala Dinas", "Sekretaris Dinas")
    text = f"Pembuka.\n{GLUED_PARAGRAPH} {GLUED_SPAM}\nKalimat tengah.\n{second} {GLUED_SPAM}\nPenutup."
    batch = run_stages([stage], [text])
    assert [e["line"] for e in batch.columns["removed_lines"][0]] == [GLUED_SPAM, GLUED_SPAM]
    assert batch.texts[0] == f"Pembuka.\n{GLUED_PARAGRAPH}\nKalimat tengah.\n{second}\nPenutup."


def test_a_spam_comment_opening_with_a_brand_is_stripped_whole(stage: Gambling) -> None:
    comment = (
        "💜𝗣𝗟𝗨𝗧𝗢88💜Isi kontennya sederhana tapi powerful banget. Yang paling aku suka adalah bagaimana kamu "
        "bikin penonton merasa nyaman dan gak dihakimi. Jaga terus kualitasnya ya kak."
    )
    batch = run_stages([stage], [f"{GLUED_PARAGRAPH}\n{GLUED_PARAGRAPH}\n{comment}"])
    assert [e["line"] for e in batch.columns["removed_lines"][0]] == [comment]


def test_promotion_page_is_removed(stage: Gambling) -> None:
    batch = run_stages([stage], [PAGES["promotion_page"]])
    assert batch.columns["removed_reason"][0] == "gambling_promotion"
    assert batch.signals["gambling.doc_score"][0] >= 0.5


def test_dry_run_records_lines_without_stripping(stage: Gambling) -> None:
    text = PAGES["article_with_tail_spam"]
    batch = run_stages([stage], [text], dry_run=True)
    assert batch.texts[0] == text
    assert len(batch.columns["removed_lines"][0]) == 3


def test_decide_uses_thresholds_only(stage: Gambling) -> None:
    signals = {"doc_score": [0.9, 0.1, 0.1], "spam_lines": [0, 2, 2], "clean_words": [100, 100, 3]}
    assert stage.decide(signals) == ["gambling_promotion", None, "gambling_promotion"]


def _batch(shard: int, texts: list[str], urls: list[str]) -> DocumentBatch:
    return DocumentBatch.from_rows(
        {
            "id": f"d{shard}-{i}",
            "text": t,
            "url": u,
            "source": "t",
            "metadata": "{}",
            "order": order_key(shard, i),
        }
        for i, (t, u) in enumerate(zip(texts, urls, strict=True))
    )


def test_link_farm_host_is_flagged(stage: Gambling, tmp_path: Path) -> None:
    clean = PAGES["news_about_gambling"]
    spam = PAGES["promotion_page"]
    texts = [spam, spam + "\nlagi", clean, spam + "\nsatu", clean + "\ny", clean + "\nx"]
    urls = [
        "https://farm.example/a",
        "https://www.farm.example/b",
        "https://news.example/1",
        "https://farm.example/c",
        "https://farm.example/d",
        "https://news.example/2",
    ]
    hosts = GamblingHosts()
    options = RunOptions()
    batches, paths = [], []
    for shard, part in enumerate([slice(0, 3), slice(3, 6)]):
        batch = _batch(shard, texts[part], urls[part])
        apply_stage(stage, batch, StageStats(), options)
        keys = collect_keys(hosts, batch, StageStats(), options)
        path = tmp_path / f"keys-{shard}.arrow"
        with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_stream(sink, hosts.collect_schema()) as writer:
            writer.write_table(keys)
        batches.append(batch)
        paths.append(path)
    hosts.plan(paths, tmp_path, LocalPartitionPool(1))
    hosts.load_plan(tmp_path)
    merged = DocumentBatch.from_arrow(pa.concat_tables([b.to_arrow() for b in batches]))
    apply_stage(hosts, merged, StageStats(), options)
    assert [merged.status(i) for i in range(6)] == [
        "removed",
        "removed",
        "kept",
        "removed",
        "removed",
        "kept",
    ]
    assert merged.columns["removed_reason"][4] == "gambling_link_farm"
    assert merged.signals["gambling_hosts.host_promotion_share"][4] == pytest.approx(0.75)
    assert merged.signals["gambling_hosts.host_promotion_share"][5] == 0.0


def test_host_of() -> None:
    assert host_of("https://www.Example.co.id/a?b") == "example.co.id"
    assert host_of(None) is None


def test_article_lines_without_a_gambling_cue_need_the_strict_threshold(stage: Gambling) -> None:
    article = [
        "Pemerintah daerah mempromosikan wisata bahari di Kepulauan Riau kepada wisatawan mancanegara.",
        "Pulau Bintan dan pulau-pulau sekitarnya menjadi tujuan wisata favorit warga Singapura"
        " setiap akhir pekan.",
        "Dinas pariwisata menambah jadwal kapal feri dari Batam selama musim libur sekolah tahun ini.",
        "Pengelola hotel mengatakan tingkat hunian naik hingga delapan puluh persen pada bulan lalu.",
    ]
    island = article[1]
    score = float(stage.score_lines([island]).scores[0])
    assert stage.params.line_threshold <= score < stage.params.reporting_threshold  # the model alone errs
    kept = run_stages([stage], ["\n".join(article)])
    assert kept.columns["removed_lines"][0] is None and kept.texts[0] == "\n".join(article)
    strict = Gambling(Gambling.Params(require_cue=False))
    stripped = run_stages([strict], ["\n".join(article)])
    assert [e["line"] for e in stripped.columns["removed_lines"][0]] == [island]


def test_malaysian_casino_spam_at_a_page_tail_is_stripped(stage: Gambling) -> None:
    article = (
        "Kerajaan akan memperkenalkan skim bantuan baharu untuk peniaga kecil yang terjejas akibat kenaikan "
        "kos operasi, kata Menteri Kewangan dalam satu kenyataan hari ini.\n"
        "Menurut beliau, peruntukan sebanyak RM500 juta akan disalurkan melalui agensi kerajaan bermula "
        "bulan depan dan permohonan boleh dibuat secara dalam talian."
    )
    tails = ["918kiss Malaysia trusted online casino", "slot online malaysia free credit", "judi talian"]
    batch = run_stages([stage], [article + "\n" + "\n".join(tails)])
    assert batch.texts[0] == article
    assert [e["line"] for e in batch.columns["removed_lines"][0]] == tails


@pytest.mark.parametrize("tag", ["PRU15 Malaysia", "MH370 Malaysia", "COVID19 dalam talian"])
def test_malaysian_news_tags_at_a_page_tail_are_kept(stage: Gambling, tag: str) -> None:
    article = (
        "Kerajaan akan memperkenalkan skim bantuan baharu untuk peniaga kecil yang terjejas akibat kenaikan "
        "kos operasi, kata Menteri Kewangan dalam satu kenyataan hari ini."
    )
    assert run_stages([stage], [f"{article}\n{tag}"]).texts[0] == f"{article}\n{tag}"
