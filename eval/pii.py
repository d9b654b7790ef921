"""Precision and recall of the pii stage per kind, and its speed on news articles.

Two labelled sets:

1. *Synthetic placements*: real sentences (Indonesian news scrape, NusaX, Malaysian news from
   ../shared/data) with generated values inserted at word boundaries in carrier phrases: valid values
   (NIK with real region codes and birth dates, NPWP with check digits, Luhn-valid cards with real
   network prefixes, phone numbers in many writings, e-mail addresses, public IPs) and look-alikes that
   must stay (invoice numbers, NIK shapes with impossible dates or regions, Luhn-invalid 16-digit
   numbers, NPWP with a wrong check digit, prices, dates, times, ISBNs, short/long numbers, private IPs,
   version strings, handles). Base sentences on which the stage already finds something are left out
   (their count and a sample are printed for review), so every finding is labelled.
2. *Hand-written*: tests/fixtures/pii/tricky.jsonl, ~50 sentences written for saring.

Scoring is by exact span and kind. Run: ``python eval/pii.py [--examples N] [--seed S]``.
"""

from __future__ import annotations

import argparse
import csv
import ipaddress
import json
import random
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import phonenumbers
import regex
from stdnum import luhn
from stdnum.id import nik as stdnum_nik
from stdnum.my import nric as stdnum_mykad
from stdnum.th import pin as stdnum_thai_id

from saring.resources import resource_path
from saring.stages.pii import Pii
from saring.stages.pii.detectors import KINDS

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
FIXTURE = ROOT / "tests" / "fixtures" / "pii" / "tricky.jsonl"
SENTENCE_END = regex.compile(r"(?<=[.!?])\s+")

Value = tuple[str | None, str]  # (kind or None for a look-alike, text to insert)


# ---------------------------------------------------------------- base sentences


def _csv_column(path: Path, column: str) -> list[str]:
    csv.field_size_limit(1 << 30)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [row[column] for row in csv.DictReader(handle)]


def news_articles() -> list[str]:
    return _csv_column(DATA / "id-news-raw-scrape" / "scrapping_news_2025-06-18.csv", "isi_berita")


def base_sentences(rng: random.Random) -> list[str]:
    texts = news_articles()
    texts += _csv_column(DATA / "lid-nusax-mt" / "train.csv", "indonesian")
    texts += _csv_column(DATA / "ms-my-news-mesolitica" / "ms_news_dev.csv", "text")
    sentences = [s.strip() for t in texts for s in SENTENCE_END.split(t)]
    sentences = [s for s in sentences if 40 <= len(s) <= 400 and "\n" not in s]
    rng.shuffle(sentences)
    return sentences


# ---------------------------------------------------------------- generators of valid values

FIRST = ["budi", "siti", "agus", "dewi", "rina", "andi", "putri", "wahyu", "nur", "ahmad", "ayu", "hendra"]
LAST = ["santoso", "rahayu", "pratama", "lestari", "hidayat", "saputra", "wijaya", "kusuma", "siregar"]
DOMAINS = ["gmail.com", "yahoo.co.id", "outlook.com", "ui.ac.id", "ugm.ac.id", "kemenkeu.go.id",
           "majujaya.co.id", "tokoku.id", "mail.com.my", "company.com.sg", "student.upm.edu.my"]  # fmt: skip
ID_MOBILE = ["811", "812", "813", "821", "822", "823", "851", "852", "853", "814", "815", "816", "855",
             "856", "857", "858", "817", "818", "819", "859", "877", "878", "831", "832", "838", "895",
             "896", "897", "898", "899", "881", "882", "887", "888"]  # fmt: skip
ID_AREA = {"21": 8, "22": 7, "31": 7, "24": 7, "61": 7, "274": 6, "361": 6, "411": 6, "711": 6, "341": 6}


def _digits(n: int, rng: random.Random) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def _group(digits: str, sizes: list[int], sep: str) -> str:
    parts, i = [], 0
    for size in sizes:
        parts.append(digits[i : i + size])
        i += size
    if i < len(digits):
        parts.append(digits[i:])
    return sep.join(p for p in parts if p)


def gen_email(rng: random.Random) -> str:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    local = rng.choice([f"{first}.{last}", f"{first}_{last}{rng.randint(1, 99)}", f"{first}{last[0]}", first])
    domain = rng.choice(DOMAINS)
    style = rng.random()
    if style < 0.08:
        return f"{local} [at] {domain}"
    if style < 0.14:
        return f"{local}(at){domain.replace('.', '(dot)')}"
    return f"{local}@{domain}"


def gen_phone(rng: random.Random) -> str:
    style = rng.random()
    if style < 0.55:  # Indonesian mobile
        national = rng.choice(ID_MOBILE) + _digits(rng.choice([7, 8]), rng)
        sep = rng.choice(["-", " ", ".", ""])
        grouped = _group(national, [3, 4, 4], sep)
        return rng.choice(
            [
                f"0{grouped}",
                f"0{grouped}",
                f"+62 {grouped}",
                f"+62{national}",
                f"62{national}",
                f"(+62) {grouped}",
                f"+62 (0){grouped}",
                f"wa.me/|62{national}",
            ]
        )
    if style < 0.75:  # Indonesian landline
        area = rng.choice(list(ID_AREA))
        subscriber = rng.choice("2345789") + _digits(ID_AREA[area] - 1, rng)
        return rng.choice([f"(0{area}) {subscriber}", f"0{area}-{subscriber}", f"+62 {area} {subscriber}",
                           f"(0{area}) {_group(subscriber, [3, 4], '-')}"])  # fmt: skip
    region = rng.choice(["MY", "SG", "PH", "TH", "VN"])  # neighbours: example number, new last digits
    example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    national = str(example.national_number)
    example.national_number = int(national[:-4] + _digits(4, rng))
    fmt = rng.choice([phonenumbers.PhoneNumberFormat.INTERNATIONAL, phonenumbers.PhoneNumberFormat.NATIONAL])
    return phonenumbers.format_number(example, fmt)


def _regions() -> list[str]:
    """Province+regency codes from stdnum's Indonesian location table (the real administrative codes)."""
    path = Path(stdnum_nik.__file__).parent / "loc.dat"
    codes, province = [], ""
    for line in path.read_text(encoding="utf-8").splitlines():
        if regex.match(r"[0-9]{2} ", line):
            province = line[:2]
        elif regex.match(r"  [0-9]{2} ", line):
            codes.append(province + line[2:4])
    return codes


REGIONS = _regions()


def gen_nik(rng: random.Random) -> str:
    day, month, year = rng.randint(1, 28), rng.randint(1, 12), rng.randint(1950, 2007)
    day += 40 if rng.random() < 0.5 else 0
    district, sequence = rng.randint(1, 30), rng.randint(1, 2999)
    number = f"{rng.choice(REGIONS)}{district:02d}{day:02d}{month:02d}{year % 100:02d}{sequence:04d}"
    return number if rng.random() < 0.9 else _group(number, [6, 6, 4], rng.choice([".", " "]))


def _mykad_digits(rng: random.Random) -> str:
    while True:
        birth = f"{rng.randint(0, 99):02d}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
        digits = birth + f"{rng.randint(1, 99):02d}" + _digits(4, rng)
        if stdnum_mykad.is_valid(digits):  # a place-of-birth code in use
            return digits


def _thai_id_digits(rng: random.Random) -> str:
    body = str(rng.randint(1, 8)) + _digits(11, rng)
    return body + stdnum_thai_id.calc_check_digit(body)


def gen_national_id(rng: random.Random) -> str:
    """A MyKad or Thai ID number: written with its separators, or plain after an ID word."""
    if rng.random() < 0.5:
        digits = _mykad_digits(rng)
        return _group(digits, [6, 2], "-") if rng.random() < 0.7 else f"No. K/P |{digits}"
    digits = _thai_id_digits(rng)
    return _group(digits, [1, 4, 5, 2], "-") if rng.random() < 0.7 else f"เลขประจำตัวประชาชน |{digits}"


def _npwp_digits(rng: random.Random) -> str:
    head = f"0{rng.randint(1, 9)}{_digits(6, rng)}"
    return (
        head + luhn.calc_check_digit(head) + f"{rng.randint(1, 999):03d}" + rng.choice(["000", "000", "001"])
    )


def _format_npwp(d: str) -> str:
    return f"{d[:2]}.{d[2:5]}.{d[5:8]}.{d[8]}-{d[9:12]}.{d[12:]}"


def gen_npwp(rng: random.Random) -> str:
    digits = _npwp_digits(rng)
    return _format_npwp(digits) if rng.random() < 0.85 else f"NPWP |{digits}"


CARD_PREFIXES = [("4", 16), ("51", 16), ("53", 16), ("55", 16), ("2221", 16), ("34", 15), ("37", 15),
                 ("3530", 16), ("6011", 16), ("65", 16), ("36", 14)]  # fmt: skip


def _card_digits(rng: random.Random) -> str:
    prefix, length = rng.choice(CARD_PREFIXES)
    body = prefix + _digits(length - 1 - len(prefix), rng)
    return body + luhn.calc_check_digit(body)


def _format_card(digits: str, rng: random.Random) -> str:
    if rng.random() < 0.4:
        return digits
    sizes = {15: [4, 6, 5], 14: [4, 6, 4]}.get(len(digits), [4, 4, 4, 4])
    return _group(digits, sizes, rng.choice([" ", "-"]))


def gen_card(rng: random.Random) -> str:
    while True:
        digits = _card_digits(rng)
        if not stdnum_nik.is_valid(digits):  # a structurally valid NIK is labelled as a NIK
            return _format_card(digits, rng)


#: Account-number lengths of banks of the region (BCA, BNI, BSI: 10; Mandiri, CIMB Niaga: 13; BRI: 15;
#: Maybank: 12) and how they are written. The first digit is never 0 (phone), 4, 3 or 5 (card networks).
ACCOUNT_LENGTHS = [10, 10, 10, 12, 13, 13, 15]


def gen_bank_account(rng: random.Random) -> str:
    digits = rng.choice("126789") + _digits(rng.choice(ACCOUNT_LENGTHS) - 1, rng)
    if len(digits) == 15 and rng.random() < 0.5:  # BRI: 0000-00-000000-00-0
        return _group(digits, [4, 2, 6, 2], "-")
    return digits if rng.random() < 0.7 else _group(digits, [3, 3, 4], rng.choice([" ", "-", "."]))


def gen_ip(rng: random.Random) -> str:
    while True:
        if rng.random() < 0.75:
            address = ipaddress.IPv4Address(rng.getrandbits(32))
        else:
            base = rng.choice([0x2400, 0x2401, 0x2404, 0x2001_4860, 0x2A00, 0x2406])
            shift = 112 if base < 0x10000 else 96
            address = ipaddress.IPv6Address((base << shift) | rng.getrandbits(64))
        if address.is_global:
            return address.compressed


# ---------------------------------------------------------------- look-alikes (must not be redacted)


def _luhn_invalid(digits: str) -> str:
    last = (int(digits[-1]) + 1 + random.Random(digits).randint(0, 8)) % 10
    return digits[:-1] + str(last)


def lookalike(rng: random.Random) -> str:
    makers: list[Callable[[], str]] = [
        lambda: f"nomor invoice {_digits(16, rng)}",
        lambda: f"{rng.choice(REGIONS)}01{rng.randint(1, 28):02d}{rng.randint(13, 99)}85{_digits(4, rng)}",
        lambda: (
            f"{rng.choice(['00', '10', '20', '99', '45'])}7101{rng.randint(1, 28):02d}0885{_digits(4, rng)}"
        ),
        lambda: _format_card(_luhn_invalid(_card_digits(rng)), rng),
        lambda: _format_npwp(_luhn_invalid(_npwp_digits(rng)[:9]) + _npwp_digits(rng)[9:]),
        lambda: f"no. resi {_npwp_digits(rng)}",
        lambda: f"{rng.randint(0, 99):02d}{rng.randint(13, 99)}{rng.randint(1, 28):02d}-14-{_digits(4, rng)}",
        lambda: _group(_luhn_invalid(_thai_id_digits(rng)), [1, 4, 5, 2], "-"),
        lambda: f"no. pesanan {_mykad_digits(rng)}",
        lambda: f"Rp {rng.randint(1, 999)}.{rng.randint(0, 999):03d}.{rng.randint(0, 999):03d}",
        lambda: f"Rp{rng.randint(1, 99)}.{rng.randint(0, 999):03d},00",
        lambda: f"RM{rng.randint(1, 99)},{rng.randint(0, 999):03d}",
        lambda: f"{rng.randint(1, 28):02d}-{rng.randint(1, 12):02d}-{rng.randint(1990, 2026)}",
        lambda: f"{rng.randint(1990, 2026)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        lambda: f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(1990, 2026)}",
        lambda: f"pukul {rng.randint(6, 12):02d}.{rng.choice(['00', '30'])}-{rng.randint(13, 22)}.00",
        lambda: f"{rng.randint(1, 9)}.{rng.randint(100, 999)}.{rng.randint(100, 999)} jiwa",
        lambda: f"ISBN 978-602-{rng.randint(10, 99)}-{rng.randint(1000, 9999)}-{rng.randint(0, 9)}",
        lambda: f"0{rng.choice(ID_MOBILE)}-{_digits(3, rng)}",
        lambda: f"0{rng.choice(ID_MOBILE)}-{_digits(4, rng)}-{_digits(4, rng)}-{_digits(3, rng)}",
        lambda: f"kode {_digits(8, rng)}",
        lambda: f"skor {rng.randint(1, 9)}{_digits(7, rng)} poin",
        lambda: (
            f"NIP {rng.randint(1960, 1999)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{_digits(10, rng)}"
        ),
        lambda: f"192.168.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
        lambda: f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
        lambda: f"versi {rng.randint(1, 20)}.{rng.randint(0, 20)}.{rng.randint(0, 9)}.{rng.randint(0, 99)}",
        lambda: f"{rng.randint(256, 999)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}",
        lambda: f"pukul {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}",
        lambda: f"fe80::{rng.getrandbits(16):x}:{rng.getrandbits(16):x}",
        lambda: f"@{rng.choice(FIRST)}_{rng.choice(LAST)}",
        lambda: f"logo@{rng.randint(2, 3)}x.png",
        lambda: f"{rng.choice(FIRST)}@localhost",
        lambda: f"{rng.randint(1, 99)}.{rng.randint(0, 9)}%",
        lambda: f"rekening senilai Rp {rng.randint(1, 999)}.{rng.randint(100, 999)}.{rng.randint(100, 999)}",
        lambda: f"{rng.randint(1, 99)}.{rng.randint(100, 999)}.{rng.randint(100, 999)} rekening baru",
        lambda: f"rekening per {rng.randint(1, 28):02d}-{rng.randint(1, 12):02d}-{rng.randint(1990, 2026)}",
        lambda: f"no rek {_digits(rng.randint(4, 6), rng)}",
    ]
    return rng.choice(makers)()


# ---------------------------------------------------------------- placement and scoring

CARRIERS = {
    "email": ["email {}", "surel: {}", "kirim ke {}", "({})", "{}", "e-mel {}"],
    "phone": ["hubungi {}", "(WA {})", "telp. {}", "di nomor {}", "{}", "HP: {}", "talian {}"],
    "nik": ["NIK {}", "NIK: {}", "nomor KTP {}", "({})", "{}"],
    "npwp": ["NPWP {}", "{}", "NPWP: {}", "nomor pokok wajib pajak {}"],
    "national_id": ["{}", "({})", "IC {}", "pemegang kad pengenalan {}", "บัตรประชาชน {}"],
    "card": ["kartu kredit {}", "nomor kartu {}", "{}", "card {}"],
    "ip": ["IP {}", "alamat IP {}", "dari {}", "{}"],
    "bank_account": [
        "no rek BCA {}",
        "rekening {}",
        "transfer ke BRI {}",
        "norek: {}",
        "akaun Maybank {}",
        "a/c {}",
        "rekening Bank Mandiri {} a.n. pemilik",
    ],
    None: ["{}", "nomor {}", "({})", "yaitu {}"],
}
GENERATORS = {"email": gen_email, "phone": gen_phone, "nik": gen_nik, "npwp": gen_npwp,
              "national_id": gen_national_id, "card": gen_card, "ip": gen_ip,
              "bank_account": gen_bank_account}  # fmt: skip


def make_example(sentence: str, values: list[Value], rng: random.Random) -> tuple[str, list[tuple]]:
    """Insert carrier phrases at distinct word boundaries; gold spans (start, end, kind).

    A value "context|value" puts the context (``NPWP ``, ``wa.me/``) before the labelled span.
    """
    words = sentence.split(" ")
    slots = sorted(rng.sample(range(len(words) + 1), min(len(values), len(words) + 1)))
    inserts = dict(zip(slots, values, strict=False))
    text, gold = "", []
    for i in range(len(words) + 1):
        if i in inserts:
            kind, value = inserts[i]
            carrier = rng.choice(CARRIERS[kind])
            before, after = carrier.split("{}")
            context, _, value = value.rpartition("|")  # "NPWP |0123...": context, then the value
            before += context
            text += (" " if text else "") + before
            if kind is not None:
                gold.append((len(text), len(text) + len(value), kind))
            text += value + after
        if i < len(words):
            text += (" " if text else "") + words[i]
    return text, gold


def score(rows: list[tuple[list[tuple], list[tuple]]]) -> dict[str, Counter]:
    counts = {kind: Counter() for kind in KINDS}
    for gold, found in rows:
        gold_set, found_set = set(gold), set(found)
        for span in found_set:
            counts[span[2]]["tp" if span in gold_set else "fp"] += 1
        for span in gold_set - found_set:
            counts[span[2]]["fn"] += 1
    return counts


def print_table(title: str, counts: dict[str, Counter]) -> None:
    print(f"\n{title}\n| kind | gold | found | precision | recall |\n|---|---:|---:|---:|---:|")
    for kind, c in counts.items():
        precision = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else float("nan")
        recall = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else float("nan")
        print(f"| {kind} | {c['tp'] + c['fn']} | {c['tp'] + c['fp']} | {precision:.4f} | {recall:.4f} |")


def spans(stage: Pii, text: str) -> list[tuple]:
    return [(f.start, f.end, f.kind) for f in stage.redact(text)[1]]


def synthetic(stage: Pii, n: int, rng: random.Random, show_errors: int) -> None:
    pool, skipped = [], []
    for sentence in base_sentences(rng):
        (skipped if spans(stage, sentence) else pool).append(sentence)
        if len(pool) >= n:
            break
    print(f"base sentences: {len(pool)} used, {len(skipped)} left out because the stage found something:")
    for sentence in skipped[:8]:
        found = [(sentence[s:e], k) for s, e, k in spans(stage, sentence)]
        print(f"  {found}  <- {sentence[:120]!r}")
    rows, errors = [], []
    for sentence in pool:
        values: list[Value] = []
        for _ in range(rng.randint(1, 3)):
            kind = rng.choice([*KINDS, None, None])
            values.append((kind, GENERATORS[kind](rng) if kind else lookalike(rng)))
        text, gold = make_example(sentence, values, rng)
        found = spans(stage, text)
        rows.append((gold, found))
        if set(gold) != set(found):
            errors.append((text, gold, found))
    print_table(f"Synthetic placements ({len(rows)} sentences)", score(rows))
    for text, gold, found in errors[:show_errors]:
        print(
            "  ERROR gold",
            [(text[s:e], k) for s, e, k in gold],
            "found",
            [(text[s:e], k) for s, e, k in found],
        )
        print("       ", repr(text[:400]))


def hand_written(stage: Pii) -> None:
    rows = []
    for line in FIXTURE.read_text(encoding="utf-8").splitlines():
        case = json.loads(line)
        text, gold, position = case["text"], [], 0
        for kind, value in case["pii"]:
            start = text.index(value, position)
            gold.append((start, start + len(value), kind))
            position = start + len(value)
        rows.append((gold, spans(stage, text)))
    print_table(f"Hand-written sentences ({len(rows)}, {FIXTURE.relative_to(ROOT)})", score(rows))


def speed(stage: Pii) -> None:
    articles = news_articles()
    chars = sum(map(len, articles))
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for article in articles:
            stage.redact(article)
        best = min(best, time.perf_counter() - start)
    print(
        f"\nSpeed: {len(articles)} news articles (mean {chars / len(articles):.0f} chars), best of 3: "
        f"{len(articles) / best:,.0f} docs/s, {chars / best / 1e6:.1f} M chars/s, one process"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--show-errors", type=int, default=15)
    args = parser.parse_args()
    if not DATA.exists():
        print(f"no data at {DATA}; skipping the pii evaluation")
        return 0
    stage = Pii()
    stage.setup()
    print(f"pii eval: seed {args.seed}, TLD list {resource_path('pii', 'tlds.txt').name}")
    synthetic(stage, args.examples, random.Random(args.seed), args.show_errors)
    hand_written(stage)
    speed(stage)
    return 0


if __name__ == "__main__":
    sys.exit(main())
