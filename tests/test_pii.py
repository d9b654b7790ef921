"""The pii stage: each kind with true and look-alike values, hashing, the no-other-change guarantee."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import regex

from saring.core.registry import stage_class
from saring.stages.pii import Pii, PiiParams
from saring.stages.pii.detectors import ANCHORS
from saring.testing import run_stages

FIXTURE = Path(__file__).parent / "fixtures" / "pii" / "tricky.jsonl"
CASES = [json.loads(line) for line in FIXTURE.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def stage() -> Pii:
    stage = Pii()
    stage.setup()
    return stage


def found(stage: Pii, text: str) -> list[tuple[str, str]]:
    _, findings = stage.redact(text)
    return [(f.kind, text[f.start : f.end]) for f in findings]


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("email", "budi.santoso@gmail.com"),
        ("email", "humas [at] unpad [dot] ac [dot] id"),
        ("phone", "0812-3456-7890"),
        ("phone", "0812 3456 7890"),
        ("phone", "0812.3456.7890"),
        ("phone", "+6281234567890"),
        ("phone", "+62 812-3456-7890"),
        ("phone", "(+62) 21 555 1234"),
        ("phone", "(021) 555-1234"),
        ("phone", "0274 512345"),
        ("phone", "+60 12-345 6789"),
        ("phone", "+63 917 123 4567"),
        ("phone", "0912 345 678"),
        ("nik", "3171015708450001"),
        ("nik", "317101.570845.0001"),
        ("npwp", "01.312.166.0-091.000"),
        ("national_id", "850612-14-5523"),  # MyKad
        ("national_id", "1-1037-00123-45-8"),  # Thai ID
        ("card", "4111 1111 1111 1111"),
        ("card", "4111-1111-1111-1111"),
        ("card", "378645428410365"),
        ("ip", "8.26.56.26"),
        ("ip", "2404:6800:4003:c00::64"),
    ],
)
def test_finds_each_kind(stage: Pii, kind: str, value: str) -> None:
    assert found(stage, f"Data: {value}. Terima kasih.") == [(kind, value)]


@pytest.mark.parametrize(
    "look_alike",
    [
        "foto@2x.png",  # not a top-level domain
        "admin@localhost",
        "@akun_resmi",
        "Rp 1.500.000",  # prices, dates, times, counts
        "Rp1.250.000,00",
        "18-06-2025",
        "2025-06-18",
        "08.30-10.00",
        "1.234.567 jiwa",
        "0812-345",  # too short for a phone number
        "0812-3456-7890-1234",  # too long
        "12345678",  # no prefix and no phone keyword
        "978-602-03-1234-5",  # ISBN
        "3171013213450001",  # NIK shape, month 13
        "9971011708450001",  # NIK shape, unknown province
        "3171010000000000",  # NIK shape, day 0
        "01.312.166.1-091.000",  # NPWP with a wrong check digit
        "851332-14-5523",  # MyKad shape, month 13
        "850612-00-5523",  # MyKad shape, no such place of birth
        "850612145523",  # a valid MyKad number, but no ID word: just a number
        "1-1037-00123-45-6",  # Thai ID shape, wrong check digit
        "013121660091000",  # unformatted NPWP without the word NPWP: just a number
        "4111 1111 1111 1112",  # Luhn fails
        "1234567890123456",  # Luhn fails
        "9000000000000001",  # Luhn passes, no card network starts with 9
        "192.168.1.1",  # private, loopback, documentation addresses
        "127.0.0.1",
        "203.0.113.5",
        "2001:db8::1",
        "999.1.1.1",
        "versi 1.2.3.4",
        "12:30:45",
    ],
)
def test_leaves_look_alikes(stage: Pii, look_alike: str) -> None:
    text = f"Catatan {look_alike} di sini."
    assert stage.redact(text) == (text, [])


@pytest.mark.parametrize(
    ("text", "account"),
    [
        ("Transfer ke rekening BCA 7391024856 a.n. Budi.", "7391024856"),
        ("Rek BRI 0023-01-012345-50-3 atas nama Siti.", "0023-01-012345-50-3"),
        ("Sumbangan boleh disalurkan ke akaun Maybank 1122 3344 5566 sekarang.", "1122 3344 5566"),
        ("Kirim ke BRI 6256785551761 sebelum jam 12.", "6256785551761"),  # not a +62 phone number
        ("Chuyển khoản STK 0071001234567 Vietcombank.", "0071001234567"),
        ("โอนเงินเข้า เลขบัญชี 123-4-56789-0 ธนาคารกสิกรไทย", "123-4-56789-0"),
    ],
)
def test_bank_accounts_after_an_account_word_or_a_bank(stage: Pii, text: str, account: str) -> None:
    assert found(stage, text) == [("bank_account", account)]


@pytest.mark.parametrize(
    "text",
    [
        "Bank Mandiri mencatat laba Rp 12.345.678 juta, naik dari 11.234.567 juta.",
        "Jumlah rekening baru mencapai 12.345.678 rekening pada 2024.",
        "Rekening itu dibuka pada 12-05-2023 di cabang Jakarta.",
        "Usaha mandiri 73910248 sudah terdaftar.",  # "mandiri" alone is a word, not the bank
        "Nomor rekening virtual 7391024856123 berlaku 24 jam.",  # a payment code
        "Saldo rekening BCA Rp 73910248 per hari ini.",
        "Direktur Utama BNI periode 2020-2025 dilantik kemarin.",  # years, dates
        "Laporan tahunan BSI 1445-1446 H dan siaran pers BCA No. 20250618.",
    ],
)
def test_numbers_near_banks_that_are_no_accounts(stage: Pii, text: str) -> None:
    assert stage.redact(text) == (text, [])


@pytest.mark.parametrize(
    ("text", "phone"),
    [
        ("Hubungi kantor cabang BRI (0274) 512345 pada jam kerja.", "(0274) 512345"),
        ("Bayar lewat virtual account atau hubungi BCA 0812-3456-7890.", "0812-3456-7890"),
        ("Nomor telepon BCA: 021-23588000.", "021-23588000"),
        ("WhatsApp Bank BRI 0812-1214-0177.", "0812-1214-0177"),
    ],
)
def test_a_banks_phone_number_stays_a_phone_number(stage: Pii, text: str, phone: str) -> None:
    assert found(stage, text) == [("phone", phone)]


def test_an_id_word_makes_a_plain_digit_run_a_national_id(stage: Pii) -> None:
    assert found(stage, "No. K/P: 850612145523") == [("national_id", "850612145523")]
    assert found(stage, "เลขประจำตัวประชาชน 1103700123458") == [("national_id", "1103700123458")]
    assert found(stage, "nomor pesanan 1103700123458") == []


def test_context_decides_unformatted_npwp_and_card_versus_nik(stage: Pii) -> None:
    assert found(stage, "NPWP: 013121660091000") == [("npwp", "013121660091000")]
    assert found(stage, "tercatat 013121660091000") == []
    # 3529... is a valid NIK region code (Sumenep) and, with this check digit, a Luhn-valid JCB number.
    both = "3529014512900009"
    assert found(stage, f"NIK {both}") == [("nik", both)]
    assert found(stage, f"kartu kredit JCB {both}") == [("card", both)]


@pytest.mark.parametrize("case", CASES, ids=[c["text"][:40] for c in CASES])
def test_hand_written_sentences(stage: Pii, case: dict) -> None:
    assert found(stage, case["text"]) == [tuple(p) for p in case["pii"]]


def _outside(text: str, spans: list[str]) -> list[str]:
    """The pieces of text around the expected spans, in order."""
    pieces, position = [], 0
    for span in spans:
        start = text.index(span, position)
        pieces.append(text[position:start])
        position = start + len(span)
    return [*pieces, text[position:]]


def test_nothing_outside_the_spans_changes(stage: Pii) -> None:
    token = regex.compile(r"<(?:EMAIL|PHONE|NIK|NPWP|NATIONAL_ID|CARD|IP|BANK_ACCOUNT)>")
    for case in CASES:
        redacted, _ = stage.redact(case["text"])
        assert token.split(redacted) == _outside(case["text"], [value for _, value in case["pii"]])


def test_keyed_hash_is_stable_across_formats_and_keyed(monkeypatch: pytest.MonkeyPatch) -> None:
    params = PiiParams(replacement="hash", hash_length=10)
    monkeypatch.setenv("SARING_PII_KEY", "first-secret")
    stage = Pii(params)
    stage.setup()
    redacted, _ = stage.redact("HP 0812-3456-7890, WA +62 812 3456 7890, lain 0813-1111-2222")
    tokens = regex.findall(r"<PHONE:[0-9a-f]{10}>", redacted)
    assert len(tokens) == 3 and tokens[0] == tokens[1] != tokens[2]
    monkeypatch.setenv("SARING_PII_KEY", "second-secret")
    other = Pii(params)
    other.setup()
    assert other.redact("HP 0812-3456-7890")[0] != stage.redact("HP 0812-3456-7890")[0]


def test_hash_mode_without_key_fails_at_setup(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SARING_PII_KEY", raising=False)
    with pytest.raises(ValueError, match="SARING_PII_KEY"):
        Pii(PiiParams(replacement="hash")).setup()


def test_custom_placeholders_and_kinds() -> None:
    stage = Pii(PiiParams(kinds=("email",), placeholders={"email": "[surel]"}))
    stage.setup()
    assert stage.redact("a@contoh.id 0812-3456-7890")[0] == "[surel] 0812-3456-7890"


def test_precheck_skips_documents_without_candidates(stage: Pii, monkeypatch: pytest.MonkeyPatch) -> None:
    detectors = stage._detectors

    def fail(*args: object) -> None:
        raise AssertionError("scanned a document without candidates")

    monkeypatch.setattr(detectors, "_candidates", fail)
    assert detectors.find("Harga naik 5 persen pada 2024, kata menteri di Jakarta.") == []
    with pytest.raises(AssertionError):
        detectors.find("Hubungi 0812-3456-7890.")


def test_windows_around_anchors_find_what_a_full_scan_finds(stage: Pii) -> None:
    texts = [case["text"] for case in CASES]
    texts.append(" ".join(texts))  # several anchors per document, windows that merge
    for text in texts:
        findings = stage._detectors.find(text)
        assert findings == stage._detectors.find(text, windowed=False)
        for finding in findings:
            span = text[finding.start : finding.end]
            assert any(anchor.search(span) for anchor in ANCHORS.values()), span


def test_stage_in_a_pipeline() -> None:
    stage = stage_class("pii")()
    texts = ["Email saya budi@contoh.co.id, HP 0812-3456-7890.", "Tidak ada data pribadi.", ""]
    batch = run_stages([stage], texts)
    assert batch.texts == ["Email saya <EMAIL>, HP <PHONE>.", "Tidak ada data pribadi.", ""]
    assert batch.signals["pii.email"] == [1, 0, 0]
    assert batch.signals["pii.phone"] == [1, 0, 0]
    assert batch.signals["pii.total"] == [2, 0, 0]
    assert batch.columns["removed_reason"] == [None, None, None]


def test_max_items_removes_contact_dumps() -> None:
    dump = " ".join(f"0812-3456-78{i:02d}" for i in range(10))
    batch = run_stages([Pii(PiiParams(max_items=5))], [dump, "HP 0812-3456-7890"])
    assert batch.columns["removed_reason"] == ["too_much_pii", None]
