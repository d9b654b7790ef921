"""Boilerplate stage: in-article boilerplate lines removed with auditable reasons."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from saring.stages.boilerplate.stage import Boilerplate, BoilerplateParams
from saring.testing import run_stages

PAGE = yaml.safe_load((Path(__file__).parent / "fixtures" / "gambling" / "pages.yaml").read_text("utf-8"))[
    "boilerplate_page"
]


def test_boilerplate_lines_removed_with_reasons() -> None:
    batch = run_stages([Boilerplate()], [PAGE])
    reasons = [(e["line"], e["reason"]) for e in batch.columns["removed_lines"][0]]
    assert reasons == [
        ("Baca Juga", "boilerplate:baca_juga"),
        ("Advertisement", "boilerplate:advertisement"),
        ("SCROLL TO CONTINUE WITH CONTENT", "boilerplate:scroll"),
        ("Baca juga: Harga Bawang Merah Turun di Sejumlah Daerah", "boilerplate:baca_juga"),
        ("[Gambas:Video 20detik]", "boilerplate:video"),
        ("(abc)", "boilerplate:byline"),
    ]
    kept = batch.texts[0].split("\n")
    assert len(kept) == 3 and kept[1].startswith("Pedagang")
    assert batch.signals["boilerplate.lines_removed"][0] == 6
    assert batch.status(0) == "kept"


def test_article_sentences_are_not_boilerplate() -> None:
    text = "Iklan rokok dilarang tayang di televisi pada jam anak-anak menonton, kata pejabat itu."
    batch = run_stages([Boilerplate()], [text])
    assert batch.texts[0] == text


def test_unknown_language_is_an_error() -> None:
    with pytest.raises(ValueError, match="xyz_Latn"):
        Boilerplate(BoilerplateParams(languages=("xyz_Latn",))).setup()


def test_glued_trailer_is_broken_off_and_removed_article_sentence_kept() -> None:
    text = (
        "Jalan itu ditutup dua pekan, kata kepala dinas.Ikuti Whatsapp Channel Republikasumber : Antara\n"
        "Artikel ini sudah lebih dulu tayang di detikjogja. Selengkapnya klik disini.\n"
        "Warga diminta memakai jalur alternatif. Jadwal selengkapnya diumumkan di sini pekan depan."
    )
    batch = run_stages([Boilerplate()], [text])
    removed = batch.columns["removed_lines"][0]
    assert [e["reason"] for e in removed] == ["boilerplate:follow", "boilerplate:republished"]
    assert [e["line"] for e in removed] == [
        "Ikuti Whatsapp Channel Republikasumber : Antara",
        "Artikel ini sudah lebih dulu tayang di detikjogja. Selengkapnya klik disini.",
    ]
    assert batch.texts[0] == (
        "Jalan itu ditutup dua pekan, kata kepala dinas.\n"
        "Warga diminta memakai jalur alternatif. Jadwal selengkapnya diumumkan di sini pekan depan."
    )
    assert batch.signals["boilerplate.lines_removed"][0] == 2


def test_dry_run_breaks_the_glued_line_but_keeps_the_trailer() -> None:
    text = "Harga cabai turun pekan ini.Ikuti Whatsapp Channel Republika"
    batch = run_stages([Boilerplate()], [text], dry_run=True)
    assert batch.texts[0] == "Harga cabai turun pekan ini.\nIkuti Whatsapp Channel Republika"
    assert [e["reason"] for e in batch.columns["removed_lines"][0]] == ["boilerplate:follow"]


MALAY_BOILERPLATE = [
    ("Berita berkaitan", "boilerplate:related"),
    ("[ARTIKEL BERKAITAN] : Harga minyak naik lagi minggu depan", "boilerplate:related"),
    ("Klik di sini untuk terus membaca", "boilerplate:click_here"),
    ("Sertai saluran Telegram kami untuk berita terkini", "boilerplate:follow"),
    ("Dapatkan berita terkini di Telegram kami", "boilerplate:follow"),
    ("Gambar hiasan", "boilerplate:photo_credit"),
    ("Oleh: Ahmad Faizal Ismail", "boilerplate:byline"),
    ("-- BERNAMA", "boilerplate:outlet_trailer"),
]


INDONESIAN_FURNITURE = [
    ("Berita Terkait", "boilerplate:related"),
    ("Artikel lainnya: Harga emas Antam hari ini turun", "boilerplate:related"),
    ("Halaman Selanjutnya", "boilerplate:pagination"),
    ("Halaman 2 dari 3", "boilerplate:pagination"),
    ("1 2 3 Selanjutnya", "boilerplate:pagination"),
    ("« 1 2 3 »", "boilerplate:pagination"),
    ("Loading...", "boilerplate:loading"),
    ("Laporan Wartawan Tribunnews.com, Rina Ayu", "boilerplate:byline"),
    ("Penulis: Dr. H. Ahmad Syafii Maarif, M.A.", "boilerplate:byline"),
    ("Reporter: Ahmad Fauzi, Dewi Sartika | Editor: Budi", "boilerplate:byline"),
    ("Baca juga Harga Emas Naik Lagi Hari Ini", "boilerplate:baca_juga"),
    ("Baca jugaMendagri Ungkap Alasan Pindahkan 4 Pulau", "boilerplate:baca_juga"),
    ("Tonton juga Video: Penerimaan Pajak Tembus Rp 1.000 T, Begini Rinciannya...", "boilerplate:baca_juga"),
    (
        "Dapatkan update berita pilihan dan breaking news setiap hari dari Kompas.com di Google News",
        "boilerplate:follow",
    ),
    ("Cek berita dan artikel yang lain di Google News", "boilerplate:follow"),
    ("Download aplikasi berita kami di Play Store dan App Store", "boilerplate:app_promo"),
    ("Unduh aplikasi Suara.com di Google Play", "boilerplate:app_promo"),
]


#: Each furniture line after an article sentence of its language.
FURNITURE = [
    (lead, *case)
    for lead, cases in (
        ("Pemerintah akan mengumumkan bantuan baru bagi pedagang kecil pekan ini.", INDONESIAN_FURNITURE),
        ("Kerajaan akan mengumumkan bantuan baharu kepada peniaga kecil minggu ini.", MALAY_BOILERPLATE),
    )
    for case in cases
]


@pytest.mark.parametrize(("lead", "line", "reason"), FURNITURE)
def test_news_furniture_is_removed(lead: str, line: str, reason: str) -> None:
    removed = run_stages([Boilerplate()], [f"{lead}\n{line}"]).columns["removed_lines"][0]
    assert [(e["line"], e["reason"]) for e in removed] == [(line, reason)]


@pytest.mark.parametrize(
    "line",
    [
        # Indonesian
        "Halaman sekolah itu tergenang air setelah hujan deras semalam.",
        "Berita terkait kenaikan harga BBM membuat warga antre di SPBU sejak pagi.",
        "Laporan keuangan perusahaan menunjukkan laba naik 12 persen.",
        "Warga diminta mengunduh aplikasi PeduliLindungi sebelum masuk mal.",
        "Selanjutnya, polisi akan memeriksa tiga saksi lain.",
        "Cek fakta: pesan berantai di Telegram yang menyebut vaksin berbahaya adalah hoaks.",
        "Simak telegram Kapolri soal larangan anggota pamer kemewahan berikut ini.",
        "Laporan wartawan BBC menyebut ratusan warga mengungsi akibat banjir.",
        "Download aplikasi MyPertamina terlebih dahulu sebelum membeli Pertalite.",
        "Unduh aplikasi Sirekap di Play Store lalu masuk dengan akun Anda.",
        "2019 2020 2021",
        "0812 3456 7890",
        # Malay
        "Oleh itu, kerajaan akan menambah peruntukan kepada sekolah luar bandar.",
        "Berita lain yang menarik perhatian ialah kenaikan harga beras di Sabah.",
        "Gambar itu tular di media sosial sejak semalam.",
        "Dapatkan maklumat terkini mengenai paras air sungai melalui portal rasmi JPS.",
        "Artikel ini telah diperbarui pada Senin (18/6) untuk menambahkan keterangan polisi.",
        # instructions that start like a "Baca juga" heading, and a reader's reply that starts like a byline
        "Baca juga aturan pakai pada kemasan dengan teliti, karena dosisnya berbeda.",
        "Simak juga kebiasaan sederhana yang membantu mencegah maag kambuh, seperti makan teratur.",
        "Baca juga panduan yang dikeluarkan oleh kementerian kesihatan.",
        "Penulis: Bisa kok Kak Ani, malah hasilnya lebih lembut.",
        "Oleh: kerajaan negeri akan mengumumkan bantuan.",
        "Lihat pulau Komodo dari puncak bukit itu",
    ],
)
def test_sentences_like_furniture_are_not_boilerplate(line: str) -> None:
    assert run_stages([Boilerplate()], [line]).columns["removed_lines"][0] in (None, [])


def test_glued_rules_are_tried_only_on_texts_with_a_cue() -> None:
    stage = Boilerplate()
    stage.setup()
    assert stage.glued_cues is not None and "ikuti" in stage.glued_cues
    text = "Harga cabai turun pekan ini.Ikuti Whatsapp Channel Republika"
    assert stage.line_reasons(text)[1] == [(1, "boilerplate:follow")]
    stage.__dict__["glued_cues"] = ("tidak ada",)  # no cue in the text: not searched
    assert stage.line_reasons(text) == (text, [])


@pytest.mark.parametrize(
    "line",
    ["Penulis: " + "a" * 60 + "!", "Oleh: " + "ab, " * 60 + "!", "Baca juga " + "kata " * 45 + "."],
)
def test_rules_fail_fast_on_long_near_misses(line: str) -> None:
    """No rule backtracks catastrophically (the byline rule once took seconds on one 30-letter word)."""
    stage = Boilerplate()
    stage.setup()
    pattern, _ = stage.rules
    assert pattern.fullmatch(line, timeout=1.0) is None
