"""The foundation's stages: normalize and length."""

from __future__ import annotations

import unicodedata

from saring.stages.length import Length
from saring.stages.normalize import Normalize
from saring.testing import run_stages


def test_normalize_repairs_mojibake_line_breaks_controls_and_composes() -> None:
    texts = [
        "Harga naik â€” kata pedagang, â€œmahalâ€\x9d",
        "baris satu\r\nbaris dua\rbaris tiga",
        "ada\x00 karakter\x07 kontrol\ufeff ter\u00adsebut",
        unicodedata.normalize("NFD", "Cà phê sữa đá"),
        "Teks biasa tanpa masalah.",
        "Cà phê “ngon” — Việt Nam",
    ]
    batch = run_stages([Normalize()], texts)
    assert batch.texts == [
        "Harga naik — kata pedagang, “mahal”",
        "baris satu\nbaris dua\nbaris tiga",
        "ada karakter kontrol tersebut",
        unicodedata.normalize("NFC", "Cà phê sữa đá"),
        "Teks biasa tanpa masalah.",
        "Cà phê “ngon” — Việt Nam",
    ]
    assert batch.signals["normalize.changed"] == [True, True, True, True, False, False]


def test_length_reasons_and_signals() -> None:
    stage = Length(Length.Params(min_words=3, max_chars=40))
    batch = run_stages([stage], ["  ", "dua kata", "ini cukup panjang sekali", "x " * 30])
    assert batch.columns["removed_reason"] == ["empty", "too_short", None, "too_long"]
    assert batch.signals["length.words"] == [0, 2, 4, 30]
