"""The quality stage: filters on handmade documents, presets, Thai words, signals, n-gram exactness."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from pydantic import ValidationError

from saring.core.accounting import StageStats
from saring.core.runner import RunOptions, apply_stage
from saring.core.stage import DocView
from saring.stages.quality import Quality, QualityParams
from saring.stages.quality.presets import RULES, load_preset, preset_for_language
from saring.stages.quality.repetition import ngram_signals
from saring.stages.quality.words import segmenter, tokenize
from saring.testing import make_batch, run_stages

FIXTURES = Path(__file__).parent / "fixtures" / "quality"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def signals_of(batch, name: str) -> list:
    return batch.signals[f"quality.{name}"]


def test_indonesian_documents_get_the_right_decision() -> None:
    texts = [
        fixture(n) for n in ("good_ind.txt", "spam_repetitive.txt", "link_list.txt", "no_stop_words.txt")
    ]
    batch = run_stages([Quality(QualityParams(preset="ind_Latn"))], texts)
    assert batch.columns["removed_reason"] == [
        None,
        "gopher_repetition:dup_line_frac",
        "fineweb:line_punct_ratio",
        "gopher_quality:stop_words",
    ]
    assert signals_of(batch, "stop_words")[0] >= 5
    assert signals_of(batch, "stop_words")[3] == 0
    assert signals_of(batch, "dup_line_frac")[1] == pytest.approx(18 / 21)  # 20 lines + the final empty one
    assert signals_of(batch, "line_punct_ratio")[2] == 0.0


def test_dry_run_records_every_signal_and_the_reason() -> None:
    stage = Quality(QualityParams(preset="ind_Latn"))
    batch = run_stages([stage], [fixture("good_ind.txt"), fixture("spam_repetitive.txt")], dry_run=True)
    assert batch.columns["removed_reason"] == [None, None]
    assert batch.columns["would_remove"][1] == ["quality:gopher_repetition:dup_line_frac"]
    recorded = {key.removeprefix("quality.") for key in batch.signals}
    assert recorded == set(stage.signal_schema())
    assert {rule.signal for rule in RULES} <= recorded
    assert batch.signal_types["quality.word_count"] == pa.int32()
    assert signals_of(batch, "word_count")[0] == 95
    assert signals_of(batch, "c4_sentences") == [None, None]  # C4 is off for Indonesian


def test_decisions_can_be_retaken_from_stored_signals() -> None:
    strict = Quality(QualityParams(preset="ind_Latn"))
    batch = run_stages([strict], [fixture("spam_repetitive.txt")])
    stored = {key.removeprefix("quality."): values for key, values in batch.signals.items()}
    loose = Quality(QualityParams(preset="ind_Latn", thresholds={"max_dup_line_frac": None}))
    assert loose.decide(stored) == ["gopher_repetition:top_4gram_frac"]
    off = Quality(QualityParams(preset="ind_Latn", filters={"gopher_repetition": False, "fineweb": False}))
    assert off.decide(stored) == [None]


def test_unknown_threshold_is_a_config_error() -> None:
    with pytest.raises(ValidationError, match="max_dup_lines"):
        QualityParams(thresholds={"max_dup_lines": 0.3})


def test_thresholds_for_the_report() -> None:
    lines = Quality(QualityParams(preset="ind_Latn")).thresholds()
    assert lines["dup_line_frac"] == 0.241
    assert lines["language_score"] == 0.685
    assert lines["mean_word_length"] == 3  # the lower bound where a signal has two
    assert "c4_sentences" not in lines  # C4 is off for Indonesian


def _with_language(
    texts: list[str],
    labels: list[str | None],
    scores: list[float | None],
    resolved_by: list[str] | None = None,
    shares: list[float] | None = None,
):
    batch = make_batch(texts)
    rows = list(range(len(texts)))
    batch.set_signal("langid.language", pa.string(), rows, labels)
    batch.set_signal("langid.score", pa.float32(), rows, scores)
    if resolved_by is not None:
        batch.set_signal("langid.resolved_by", pa.string(), rows, resolved_by)
        batch.set_signal("langid.main_language_share", pa.float32(), rows, shares)
    return batch


def _run(stage: Quality, batch):
    stage.setup()
    apply_stage(stage, batch, StageStats(), RunOptions())
    return batch


def test_auto_preset_follows_the_language_signal() -> None:
    good = fixture("good_ind.txt")
    batch = _with_language(
        [good, good, good, good], ["ind_Latn", "zsm_Latn", "xyz_Latn", None], [0.9, 0.9, 0.9, None]
    )
    stage = Quality()
    stage.setup()
    apply_stage(stage, batch, StageStats(), RunOptions())
    assert signals_of(batch, "preset") == ["ind_Latn", "zsm_Latn", "und", "und"]
    assert signals_of(batch, "language_score") == [0.9, 0.9, 0.0, None]
    assert batch.columns["removed_reason"] == [None, None, None, None]
    assert preset_for_language("../ind_Latn", "und") == "und"  # a label is never a path


def test_fixed_preset_checks_the_language_score_of_its_language() -> None:
    good = fixture("good_ind.txt")
    batch = _with_language([good, good, good], ["ind_Latn", "ind_Latn", "zsm_Latn"], [0.9, 0.5, 0.99])
    stage = Quality(QualityParams(preset="ind_Latn"))
    stage.setup()
    apply_stage(stage, batch, StageStats(), RunOptions())
    assert signals_of(batch, "preset") == ["ind_Latn"] * 3
    assert batch.columns["removed_reason"] == [None, "language:language_score", "language:language_score"]


def test_presets_cite_fineweb2_and_merge_over_the_default() -> None:
    indonesian = load_preset("ind_Latn")
    assert "fineweb-2" in indonesian.source
    assert indonesian.stop_words == {
        "dan",
        "yang",
        "di",
        "pada",
        "dari",
        "ini",
        "dengan",
        "adalah",
        "untuk",
        "dalam",
    }
    assert indonesian.thresholds["min_stop_words"] == 2
    assert indonesian.thresholds["min_word_count"] == 50  # from the default preset
    assert indonesian.filters["c4"] is False
    assert load_preset("eng_Latn").filters["c4"] is True
    with pytest.raises(KeyError):
        load_preset("qqq_Latn")


def test_thai_is_segmented_into_dictionary_words() -> None:
    pytest.importorskip("nlpo3")
    pytest.importorskip("pythainlp")
    text = fixture("thai_news.txt")
    words = segmenter("thai")(text)
    assert "กรุงเทพมหานคร" in words and "เศรษฐกิจ" in words and "เป็น" in words
    assert len(words) > 40  # the text has only 5 spaces
    batch = run_stages([Quality(QualityParams(preset="tha_Thai"))], [text], dry_run=True)
    assert signals_of(batch, "stop_words")[0] >= 5
    assert 2 <= signals_of(batch, "mean_word_length")[0] <= 10


def test_c4_rules_for_english() -> None:
    text = fixture("lorem_eng.txt")
    stage = Quality(QualityParams(preset="eng_Latn", filters={"gopher_quality": False}))
    batch = run_stages([stage], [text])
    assert batch.columns["removed_reason"] == ["c4:c4_lorem_ipsum"]
    assert signals_of(batch, "c4_lorem_ipsum") == [1]
    assert batch.columns["removed_lines"][0] is None and batch.texts[0] == text  # removed: leaves whole
    dry = run_stages([stage], [text], dry_run=True)  # a dry run records the line it would strip
    assert [entry["reason"] for entry in dry.columns["removed_lines"][0]] == ["c4_javascript"]


def test_tokens_split_words_and_punctuation() -> None:
    assert segmenter("latin")('Harga "Rp10.000" naik, kata-nya (ANTARA).') == [
        "Harga",
        '"',
        "Rp10.000",
        '"',
        "naik",
        ",",
        "kata-nya",
        "(",
        "ANTARA",
        ")",
        ".",
    ]


def _reference_ngram_fractions(words: list[str], text_length: int, n: int) -> tuple[float | None, float]:
    """The Gopher definitions written plainly (as datatrove's GopherRepetitionFilter computes them)."""
    grams = [" ".join(words[i : i + n]) for i in range(len(words) - n + 1)]
    top = None
    if grams:
        gram, count = Counter(grams).most_common(1)[0]
        top = len(gram) * count / text_length
    seen, repeated, i = set(), 0, 0
    while i < len(words) - n + 1:
        gram = "".join(words[i : i + n])
        if gram in seen:
            repeated += len(gram)
            i += n
        else:
            seen.add(gram)
            i += 1
    return top, repeated / text_length


def test_batch_ngram_signals_equal_the_plain_definitions() -> None:
    rng = random.Random(7)
    vocabulary = ["a", "bb", "ccc", "dddd", "ee", "f", "ggg", ",", "."]
    texts = []
    for _ in range(60):
        words = [rng.choice(vocabulary[: rng.randint(2, len(vocabulary))]) for _ in range(rng.randint(0, 80))]
        texts.append(" ".join(words))
    tokens = tokenize(texts, ["latin"] * len(texts))
    lengths = np.array([len(t) for t in texts])
    signals = ngram_signals(tokens, lengths, (2, 3, 4), (5, 6, 7, 8, 9, 10))
    for d, text in enumerate(texts):
        words = segmenter("latin")(text)
        for n in range(2, 11):
            top, dup = _reference_ngram_fractions(words, max(len(text), 1), n)
            if n <= 4:
                expected = np.nan if top is None else top
                assert signals[f"top_{n}gram_frac"][d] == pytest.approx(expected, nan_ok=True), (d, n)
            else:
                assert signals[f"dup_{n}gram_frac"][d] == pytest.approx(dup), (d, n)


def test_lao_is_segmented_into_dictionary_words() -> None:
    pytest.importorskip("nlpo3")
    pytest.importorskip("laonlp")
    words = segmenter("lao")("ພາສາລາວເປັນພາສາທາງການຂອງປະເທດລາວ ແລະ ໃຊ້ໃນໂຮງຮຽນ.")
    assert words[:6] == ["ພາສາລາວ", "ເປັນ", "ພາສາ", "ທາງການ", "ຂອງ", "ປະເທດລາວ"]
    assert words[-1] == "."


def test_empty_documents_anywhere_in_a_batch() -> None:
    stage = Quality(QualityParams(preset="ind_Latn"))
    stage.setup()
    batch = make_batch(["", "hello world", "   ", ""])
    measured = stage.measure(DocView.of(batch, np.arange(4)))  # directly: no row-by-row retry hides errors
    assert measured.signals["word_count"] == [0, 2, 0, 0]
    assert measured.signals["mean_word_length"] == [None, 5.0, None, None]
    # "hello world" is its own top bigram: 11 of 11 characters
    assert stage.decide(measured.signals) == [
        "gopher_quality:word_count",
        "gopher_repetition:top_2gram_frac",
        "gopher_quality:word_count",
        "gopher_quality:word_count",
    ]


def test_clean_indonesian_news_with_numbers_is_kept() -> None:
    """Dates, amounts and quotes lower the share of tokens with a letter below FineWeb-2's 0.805."""
    news = fixture("news_numbers_ind.txt")
    batch = run_stages([Quality(QualityParams(preset="ind_Latn"))], [news])
    assert 0.70 <= signals_of(batch, "alpha_words_ratio")[0] < 0.805
    assert batch.columns["removed_reason"] == [None]
    published = load_preset("ind_Latn").published
    assert published == {"min_alpha_words_ratio": 0.805}
    strict = run_stages([Quality(QualityParams(preset="ind_Latn", thresholds=published))], [news])
    assert strict.columns["removed_reason"] == ["gopher_quality:alpha_words_ratio"]


def test_discriminator_labels_are_scored_by_the_close_group_share() -> None:
    """ind 0.6 / zsm 0.4 from the discriminator is sure Malay-or-Indonesian text: kept; the same score
    from lid.176 itself, or a page whose text lid.176 mostly puts outside the group, is not."""
    news = fixture("news_numbers_ind.txt")
    batch = _with_language(
        [news] * 4,
        ["ind_Latn", "ind_Latn", "ind_Latn", "zsm_Latn"],
        [0.6, 0.6, 0.6, 0.6],
        resolved_by=["discriminator", "fasttext", "discriminator", "discriminator"],
        shares=[1.0, 1.0, 0.3, 1.0],
    )
    _run(Quality(), batch)
    assert signals_of(batch, "language_score") == pytest.approx([1.0, 0.6, 0.3, 1.0])
    assert batch.columns["removed_reason"] == [
        None,
        "language:language_score",
        "language:language_score",
        None,
    ]
    fixed = _with_language([news], ["zsm_Latn"], [0.99], resolved_by=["discriminator"], shares=[1.0])
    assert _run(Quality(QualityParams(preset="ind_Latn")), fixed).columns["removed_reason"] == [
        "language:language_score"  # a fixed preset still wants its own language
    ]


def test_junk_is_still_removed_with_sure_group_text() -> None:
    texts = [fixture(n) for n in ("spam_repetitive.txt", "link_list.txt", "no_stop_words.txt")]
    for code in ("ind_Latn", "zsm_Latn"):
        batch = _with_language(
            texts, [code] * 3, [0.55] * 3, resolved_by=["discriminator"] * 3, shares=[1.0] * 3
        )
        assert None not in _run(Quality(), batch).columns["removed_reason"]


CHINESE_NEWS = (
    "北京是中华人民共和国的首都，也是全国的政治、文化和国际交往中心。北京历史悠久，有三千多年的建城史。"
    "城市中有许多著名的古迹，例如故宫、天坛和长城。每年都有大量的游客从世界各地来到这里参观。"
    "近年来，北京的交通和环境不断改善，地铁线路已经覆盖了城市的大部分地区。政府还在推动绿色发展。"
)


def test_chinese_is_counted_per_character_and_kept_by_its_preset() -> None:
    from saring.testing import run_stages

    kept = run_stages([Quality(QualityParams(preset="cmn_Hani"))], [CHINESE_NEWS])
    assert kept.columns["removed_reason"] == [None]
    assert kept.signals["quality.word_count"][0] > 100  # one word per Han character, not one per sentence
    default = run_stages([Quality(QualityParams(preset="und"))], [CHINESE_NEWS])
    assert default.columns["removed_reason"] == ["gopher_quality:mean_word_length"]


def test_lorem_ipsum_filler_is_removed_in_any_language_and_real_latin_kept() -> None:
    filler = (
        "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore "
        "et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut "
        "aliquip ex ea commodo consequat. Duis aute irure dolor in reprehenderit in voluptate velit esse "
        "cillum dolore eu fugiat nulla pariatur. Excepteur sint occaecat cupidatat non proident, sunt in "
        "culpa qui officia deserunt mollit anim id est laborum."
    )
    article = fixture("good_ind.txt")
    latin = (
        "Gallia est omnis divisa in partes tres, quarum unam incolunt Belgae, aliam Aquitani, tertiam qui "
        "ipsorum lingua Celtae, nostra Galli appellantur. Hi omnes lingua, institutis, legibus inter se "
        "differunt. Gallos ab Aquitanis Garumna flumen, a Belgis Matrona et Sequana dividit. Horum omnium "
        "fortissimi sunt Belgae, propterea quod a cultu atque humanitate provinciae longissime absunt."
    )
    indonesian = "Pasukan elit TNI berjaga. Hubungan erat, dana minim."  # elit, erat, minim: not filler
    texts = [f"{filler}\n{filler}", f"{article}\n{filler}", latin, indonesian]
    batch = run_stages([Quality(QualityParams(preset="und"))], texts)
    ratios = signals_of(batch, "placeholder_words_ratio")
    assert ratios[0] > 0.5 and ratios[1] < 0.3 and ratios[2] < 0.05 and ratios[3] == 0
    assert batch.columns["removed_reason"][0] == "placeholder:placeholder_words_ratio"
    assert batch.columns["removed_reason"][2] != "placeholder:placeholder_words_ratio"
