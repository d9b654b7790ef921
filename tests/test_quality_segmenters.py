"""Khmer and Burmese word segmentation, and the quality presets that use it."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from saring.stages.quality import Quality, QualityParams
from saring.stages.quality.presets import load_preset
from saring.stages.quality.words import segmenter
from saring.testing import run_stages

FIXTURES = Path(__file__).parent / "fixtures" / "quality"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def signal(batch, name: str):
    return batch.signals[f"quality.{name}"][0]


def test_khmer_sentence_is_split_into_words() -> None:
    pytest.importorskip("khmercut")
    # "Cambodia lies in Southeast Asia and borders Thailand, Laos and Vietnam." (no spaces inside phrases)
    words = segmenter("khmer")("ប្រទេសកម្ពុជាស្ថិតនៅក្នុងតំបន់អាស៊ីអាគ្នេយ៍ ហើយមានព្រំដែនជាប់នឹងប្រទេសថៃ ឡាវ និងវៀតណាម។")
    assert 14 <= len(words) <= 22
    assert {"កម្ពុជា", "ប្រទេស", "ហើយ", "មាន", "និង", "វៀតណាម"} <= set(words)
    assert words[-1] == "។"  # the Khmer full stop is a token of its own
    assert "".join(words) == "ប្រទេសកម្ពុជាស្ថិតនៅក្នុងតំបន់អាស៊ីអាគ្នេយ៍ហើយមានព្រំដែនជាប់នឹងប្រទេសថៃឡាវនិងវៀតណាម។"


def test_khmer_keeps_latin_words_and_numbers_whole() -> None:
    pytest.importorskip("khmercut")
    words = segmenter("khmer")("ក្រុមហ៊ុន Apple បានជួលបុគ្គលិក ៥០០ នាក់ នៅឆ្នាំ 2024។")
    assert "Apple" in words and "៥០០" in words and "2024" in words and "បុគ្គលិក" in words


def test_burmese_sentence_is_split_into_words() -> None:
    pytest.importorskip("nlpo3")
    pytest.importorskip("burmesenlp")
    # "Yangon is the largest city of the country and also its economic hub."
    words = segmenter("burmese")("ရန်ကုန်မြို့သည် နိုင်ငံ၏ အကြီးဆုံးမြို့ဖြစ်ပြီး စီးပွားရေး အချက်အချာ နေရာလည်း ဖြစ်သည်။")
    assert 12 <= len(words) <= 20
    assert {"ရန်ကုန်", "သည်", "၏", "အကြီးဆုံး", "စီးပွားရေး", "ဖြစ်"} <= set(words)
    assert words[-1] == "။"


def test_burmese_words_never_cut_a_syllable() -> None:
    pytest.importorskip("nlpo3")
    pytest.importorskip("burmesenlp")
    # Transliterated names outside the word list: plain newmm cuts "ဂ|ျာ", "လ|ိ|ဂ|်", "ဖ|ေ့|စ|်".
    words = segmenter("burmese")("ဂျာကာတာ ပရီမီယာလိဂ် ဖေ့စ်ဘွတ်ခ် ကိုဗစ်")
    assert "ဂျာ" in words and "လိဂ်" in words and "ဖေ့စ်" in words and "ဗစ်" in words
    for word in words:
        assert not unicodedata.category(word[0]).startswith("M"), word  # no dependent sign first
        assert word[1:2] not in ("\u103a", "\u1039") and not word.endswith("\u1039"), word  # nor a killed
        # or stacked consonant, nor a virama last


@pytest.mark.parametrize(
    ("preset", "name", "package"),
    [("khm_Khmr", "khm_article.txt", "khmercut"), ("mya_Mymr", "mya_article.txt", "burmesenlp")],
)
def test_presets_measure_words_where_und_measures_phrases(preset: str, name: str, package: str) -> None:
    pytest.importorskip(package)
    text = fixture(name)
    batch = run_stages([Quality(QualityParams(preset=preset))], [text])
    assert batch.columns["removed_reason"] == [None]
    assert 3 <= signal(batch, "mean_word_length") <= 7
    assert signal(batch, "word_count") >= 100
    assert signal(batch, "stop_words") >= 8
    # The default preset splits only at spaces and punctuation: whole phrases count as words.
    und = run_stages([Quality(QualityParams(preset="und", filters={"fineweb": False}))], [text], dry_run=True)
    assert signal(und, "mean_word_length") > 12
    assert signal(und, "stop_words") == 0


def test_presets_cite_fineweb2() -> None:
    khmer, burmese = load_preset("khm_Khmr"), load_preset("mya_Mymr")
    assert (khmer.word_segmenter, burmese.word_segmenter) == ("khmer", "burmese")
    assert "configs/khm_Khmr.yml" in khmer.source and "configs/mya_Mymr.yml" in burmese.source
    assert khmer.thresholds["max_mean_word_length"] == 13 and burmese.thresholds["max_mean_word_length"] == 21
    assert len(khmer.stop_words) == 14 and "ក្នុង" in khmer.stop_words
    assert len(burmese.stop_words) == 17 and "၏" in burmese.stop_words


@pytest.mark.parametrize(("name", "package"), [("khmer", "khmercut"), ("burmese", "burmesenlp")])
def test_zero_width_spaces_break_words_without_being_words(name: str, package: str) -> None:
    """Khmer and Burmese writers often mark word breaks with U+200B: no token of its own, same words."""
    pytest.importorskip(package)
    text = fixture("khm_article.txt" if name == "khmer" else "mya_article.txt").split("\n")[0]
    plain = segmenter(name)(text)
    marked = segmenter(name)("\u200b".join(plain))
    assert marked == plain
    assert not any("\u200b" in token for token in segmenter(name)(text.replace(" ", "\u200b")))


def test_khmer_model_skips_lines_without_khmer() -> None:
    pytest.importorskip("khmercut")
    english = "The U.S.A. and Cambodia signed 2 agreements."
    words = segmenter("khmer")("ក្រុមហ៊ុន Apple បានជួលបុគ្គលិក\n" + english)
    assert words[-9:] == segmenter("unicode")(english)  # the CRF would cut U.S.A into letters
