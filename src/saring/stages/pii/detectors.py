"""Find personal data: one candidate pattern per kind (compiled ``regex``), then a real validator.

A candidate becomes a finding only when its validator accepts it: phone numbers by ``phonenumbers``
metadata, NIK by region code and birth date (``stdnum.id.nik``), NPWP by its check digit
(``stdnum.id.npwp``), other national identity numbers (Malaysia's MyKad by birth date and place,
``stdnum.my.nric``; Thailand's personal ID by its check digit, ``stdnum.th.pin``), cards by Luhn and
network prefix/length, IP addresses by ``ipaddress``, e-mail domains by the IANA top-level-domain list.
Bank account numbers have no public check digit: an 8-16 digit number counts as one only after an
account word or a bank's name ("no. rek BCA", "akaun Maybank") and when it is no amount, date or other
kind of number. Each finding carries a normalized value (E.164 phone, digits, lower-case e-mail,
compressed IP) so a keyed hash maps one value to one token whatever its formatting.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import phonenumbers
import regex
from stdnum import luhn
from stdnum.id import nik as stdnum_nik
from stdnum.id import npwp as stdnum_npwp
from stdnum.my import nric as stdnum_mykad
from stdnum.th import pin as stdnum_thai_id

from saring.stages.pii.context import card_networks, context, top_level_domains

KINDS = ("email", "phone", "nik", "npwp", "national_id", "card", "ip", "bank_account")
#: Which kind wins when two findings cover the same span (earlier wins).
_PRIORITY_ORDER = ("email", "ip", "npwp", "nik", "national_id", "card", "phone", "bank_account")
PRIORITY = {kind: rank for rank, kind in enumerate(_PRIORITY_ORDER)}

# Anchors: every finding contains one. A long digit run (7+ digits joined by short separators, which
# covers every phone/NIK/NPWP/card writing) or a dotted quad, an "@" or "[at]", or "hex:hex:". A
# document without an anchor costs this one scan (the pre-check); otherwise the detailed patterns run
# only on windows around the anchors.
# (Separate scans: the ``regex`` module loses its fast first-character search on a mixed alternation.)
ANCHORS = {
    "number": regex.compile(r"[0-9](?:(?:[ .\-–()/]{0,3}[0-9]){6,}+|[0-9]{0,2}(?:\.[0-9]{1,3}){3})"),
    "at": regex.compile(r"@|[\[({<] ?[Aa][Tt] ?[\])}>]"),
    "colon": regex.compile(r":[0-9A-Fa-f]{0,4}:"),
}
# Characters a finding can extend before and after its anchor, plus what lookarounds need to see:
# a "(+62) " prefix before a number; a 64-character local part, a 253-character domain; an IPv6 address.
_WINDOW = {"number": (8, 2), "at": (72, 262), "colon": (46, 46)}

_BRACKET_AT = r"[ ]?[\[({<][ ]?(?i:at)[ ]?[\])}>][ ]?"
_BRACKET_DOT = r"[ ]?[\[({<][ ]?(?i:dot|titik)[ ]?[\])}>][ ]?"
EMAIL = regex.compile(
    rf"""
    (?<![\w.%+\-])
    (?P<local>[A-Za-z0-9](?:[A-Za-z0-9._%+\-]{{0,62}}[A-Za-z0-9_%+\-])?)
    (?:@|{_BRACKET_AT})
    (?P<domain>(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{{0,61}}[A-Za-z0-9])?(?:\.|{_BRACKET_DOT}))+
      (?P<tld>[A-Za-z]{{2,24}}))
    (?![\w\-]|\.[A-Za-z0-9])
    """,
    regex.X,
)
IPV4 = regex.compile(r"(?<![0-9.])(?:[0-9]{1,3}\.){3}[0-9]{1,3}(?![0-9]|\.[0-9])")
IPV6 = regex.compile(
    r"""
    (?<![\w:.])
    (?=[0-9A-Fa-f]{0,4}:[0-9A-Fa-f]{0,4}:)
    (?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9]{1,3}(?:\.[0-9]{1,3}){3}|[0-9A-Fa-f]{1,4})?
    (?![\w:]|\.[0-9])
    """,
    regex.X,
)
# Long numbers: not inside a longer number (a single "." or "-" between digits continues a number).
_NOT_AFTER_NUMBER = r"(?<![0-9]|[0-9][.\-])"
_NOT_BEFORE_NUMBER = r"(?![0-9]|[.\-][0-9])"
NIK = regex.compile(
    rf"{_NOT_AFTER_NUMBER}(?:[0-9]{{16}}|[0-9]{{6}}(?P<sep>[ .\-])[0-9]{{6}}(?P=sep)[0-9]{{4}})"
    + _NOT_BEFORE_NUMBER
)
NPWP = regex.compile(
    rf"""{_NOT_AFTER_NUMBER}
    (?:(?P<formatted>[0-9]{{2}}\.[0-9]{{3}}\.[0-9]{{3}}\.[0-9][.\-][0-9]{{3}}\.[0-9]{{3}})|[0-9]{{15,16}})
    {_NOT_BEFORE_NUMBER}""",
    regex.X,
)
# National identity numbers of the region other than the NIK: Malaysia's MyKad (YYMMDD-PB-###G) and
# Thailand's personal ID (1-2345-67890-12-3), written with their separators or as a plain digit run.
# One pattern for both (one scan): which group matched tells the country and whether it is formatted.
NATIONAL_ID = regex.compile(
    rf"""{_NOT_AFTER_NUMBER}
    (?:(?P<mykad_formatted>[0-9]{{6}}(?P<s1>[ \-])[0-9]{{2}}(?P=s1)[0-9]{{4}})
      |(?P<thai_formatted>[0-9](?P<s2>[ \-])[0-9]{{4}}(?P=s2)[0-9]{{5}}(?P=s2)[0-9]{{2}}(?P=s2)[0-9])
      |(?P<mykad>[0-9]{{12}})|(?P<thai>[0-9]{{13}}))
    {_NOT_BEFORE_NUMBER}""",
    regex.X,
)
_ID_VALIDATORS = {"mykad": stdnum_mykad.is_valid, "thai": stdnum_thai_id.is_valid}
# Cards: any following token may stand after a space (the network's fixed lengths end the number).
CARD = regex.compile(
    rf"""{_NOT_AFTER_NUMBER}
    (?:[0-9]{{12,19}}
      |[0-9]{{4}}(?P<sep>[ \-])(?:[0-9]{{4}}(?P=sep)[0-9]{{4}}(?P=sep)[0-9]{{4}}(?:(?P=sep)[0-9]{{3}})?
                                |[0-9]{{6}}(?P=sep)[0-9]{{4,5}}))
    {_NOT_BEFORE_NUMBER}""",
    regex.X,
)
# Bank account numbers: groups of 3-5 digits joined by single spaces (the last may be shorter), or digits
# joined by "." or "-" ("0023-01-012345-50-3").
BANK_ACCOUNT = regex.compile(
    rf"{_NOT_AFTER_NUMBER}(?:[0-9]{{3,5}}(?: [0-9]{{3,5}}){{0,3}} [0-9]{{2,5}}"
    rf"|[0-9]{{2,}}(?:[.\-][0-9]+){{0,5}}){_NOT_BEFORE_NUMBER}"
)
#: Digits of the account numbers of the region's banks (BCA and BNI 10, Mandiri 13, BRI 15, ...).
_ACCOUNT_DIGITS = range(8, 17)
# Numbers near a bank's name that are no accounts: spans of years ("2020-2025", "1445-1446 H") and
# compact dates ("20250618").
_NOT_ACCOUNT = regex.compile(
    r"(?:19|20|14)[0-9]{2}[ .\-–/](?:19|20|14)[0-9]{2}"
    r"|(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])"
)
# Phone numbers: an optional "+"/"00"/"(+62)" prefix, then digit groups joined by single separators,
# "(0)" or a parenthesized area code; the run is taken whole (not followed by more digits).
PHONE = regex.compile(
    r"""
    (?<![\w+]|[0-9][ .\-])
    (?:\+[ ]?|(?<![0-9])00[ ]?)?
    (?:\([ ]?\+?[0-9]{1,4}[ ]?\)[ ]?)?
    [0-9]++
    (?:(?:[ ]?\((?:0|[0-9]{2,4})\)[ ]?|[ .\-]|[ ]?[\-–][ ]?)[0-9]++)*+
    (?![\w]|[ .\-][0-9])
    """,
    regex.X,
)
# Shapes a digit run starts with that are never phone numbers: dates, time ranges, dotted quads, NPWP.
_NOT_PHONE = regex.compile(
    r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}(?![0-9])"
    r"|[0-9]{2}\.[0-9]{3}\.[0-9]{3}\.[0-9][.\-][0-9]{3}\.[0-9]{3}"
    r"|[0-9]{1,2}(?P<s>[.\-/])[0-9]{1,2}(?P=s)[0-9]{2,4}"
    r"|[0-9]{4}(?P<t>[.\-/])[0-9]{1,2}(?P=t)[0-9]{1,2}"
    r"|[0-2]?[0-9][.:][0-5][0-9][ ]?[\-–][ ]?[0-2]?[0-9][.:][0-5][0-9]"
)
# Amounts and ranges of amounts with thousands separators ("1.500.000", "1.800-4.500 rpm").
_AMOUNTS = regex.compile(
    r"[1-9][0-9]{0,2}(?:[.,][0-9]{3})+(?:[ ]?[\-–][ ]?[1-9][0-9]{0,2}(?:[.,][0-9]{3})+)?"
)
#: A phone number written with spaces has at most this many space-separated pieces ("+62 21 555 12 34").
_MAX_PHONE_PIECES = 6
#: Longest national number with its trunk 0 in the regions covered (Indonesia: 0 + 12 digits).
_MAX_NATIONAL_DIGITS = 13
# A short piece after a space, following "-"/"." grouping or a long digit group, is the next word
# ("0812-3456-7890 7 orang", "6281234567890 16 Juli").
_LOOSE_TAIL = regex.compile(r"(?:[.\-][0-9]+|[0-9]{7}) [0-9]{1,2}\Z")
# Runs that may hold several numbers: punctuated or long groups; plain groups ("5537 0423 7313 1145")
# are one number or none.
_SPLITTABLE = regex.compile(r"[0-9][.\-–()][0-9]|\+|[0-9]{7}")
_TRUNK_ZERO = regex.compile(r"\([ ]?0[ ]?\)")


@dataclass(frozen=True, slots=True)
class Finding:
    start: int
    end: int
    kind: str
    value: str  # normalized, for keyed hashes


def _digits(text: str) -> str:
    return "".join(c for c in text if "0" <= c <= "9")


class Detectors:
    """All detectors, configured once per stage."""

    def __init__(self, kinds: tuple[str, ...], phone_regions: tuple[str, ...], ip_scope: str) -> None:
        self.kinds = kinds
        self.phone_regions = phone_regions
        self.ip_scope = ip_scope
        self.context = context()
        self.networks = card_networks()
        self.tlds = top_level_domains()
        single = self._single
        scanners: dict[str, list[tuple[str, regex.Pattern, Callable[[str, regex.Match], list[Finding]]]]] = {
            "email": [("at", EMAIL, single(self._email))],
            "phone": [("number", PHONE, self._phones)],
            "nik": [("number", NIK, single(self._nik))],
            "npwp": [("number", NPWP, single(self._npwp))],
            "national_id": [("number", NATIONAL_ID, single(self._national_id))],
            "card": [("number", CARD, single(self._card))],
            "ip": [("number", IPV4, single(self._ip)), ("colon", IPV6, single(self._ip))],
            "bank_account": [("number", BANK_ACCOUNT, single(self._bank_account))],
        }
        self.scanners = [scanner for kind in kinds for scanner in scanners[kind]]
        self.families = sorted({family for family, _, _ in self.scanners})

    def find(self, text: str, windowed: bool = True) -> list[Finding]:
        """Non-overlapping findings in text order (longest span first, then by ``PRIORITY``).

        ``windowed=False`` scans the whole text with every pattern (the reference the windows must equal).
        """
        found = list(self._windowed(text) if windowed else self._candidates(text, None))
        found.sort(key=lambda f: (f.start, f.start - f.end, PRIORITY[f.kind]))
        kept: list[Finding] = []
        for finding in found:
            if not kept or finding.start >= kept[-1].end:
                kept.append(finding)
        return kept

    def _windowed(self, text: str) -> Iterator[Finding]:
        for family in self.families:
            before, after = _WINDOW[family]
            windows: list[list[int]] = []
            for anchor in ANCHORS[family].finditer(text):
                low, high = max(0, anchor.start() - before), min(len(text), anchor.end() + after)
                if windows and low <= windows[-1][1]:
                    windows[-1][1] = high
                else:
                    windows.append([low, high])
            for low, high in windows:
                yield from self._candidates(text, family, low, high)

    def _candidates(
        self, text: str, family: str | None, low: int = 0, high: int | None = None
    ) -> Iterator[Finding]:
        for scanner_family, pattern, validate in self.scanners:
            if family is None or scanner_family == family:
                for match in pattern.finditer(text, low, len(text) if high is None else high):
                    yield from validate(text, match)

    @staticmethod
    def _single(
        validate: Callable[[str, regex.Match], Finding | None],
    ) -> Callable[[str, regex.Match], list[Finding]]:
        def findings(text: str, match: regex.Match) -> list[Finding]:
            finding = validate(text, match)
            return [] if finding is None else [finding]

        return findings

    def _email(self, text: str, m: regex.Match) -> Finding | None:
        if m["tld"].lower() not in self.tlds:
            return None
        domain = regex.sub(_BRACKET_DOT, ".", m["domain"]).lower()
        return Finding(m.start(), m.end(), "email", f"{m['local'].lower()}@{domain}")

    def _ip(self, text: str, m: regex.Match) -> Finding | None:
        try:
            address = ipaddress.ip_address(m.group())
        except ValueError:
            return None
        if self.ip_scope == "global" and not address.is_global:
            return None
        if address.version == 4 and (
            self.context.has_directly_before("version", text, m.start())
            or self.context.has_directly_before("currency", text, m.start())
        ):
            return None
        return Finding(m.start(), m.end(), "ip", address.compressed)

    def _nik(self, text: str, m: regex.Match) -> Finding | None:
        digits = _digits(m.group())
        if digits[6:8] == "00" or digits[12:] == "0000" or not stdnum_nik.is_valid(digits):
            return None
        if self.context.has_directly_before("npwp", text, m.start()):
            return None  # a NIK used as a 16-digit NPWP; the NPWP detector takes it
        if self.context.has_near("card", text, m.start()) and self._is_card(digits):
            return None
        return Finding(m.start(), m.end(), "nik", digits)

    def _npwp(self, text: str, m: regex.Match) -> Finding | None:
        digits = _digits(m.group())
        if m["formatted"] is None and not self.context.has_near("npwp", text, m.start()):
            return None
        if (
            len(digits) == 16
            and digits[0] != "0"
            and not self.context.has_directly_before("npwp", text, m.start())
        ):
            return None  # a NIK, unless written right after "NPWP"
        if not stdnum_npwp.is_valid(digits):
            return None
        return Finding(m.start(), m.end(), "npwp", digits)

    def _national_id(self, text: str, m: regex.Match) -> Finding | None:
        """A plain digit run needs an ID word near it ("No. K/P", "MyKad", "เลขประจำตัวประชาชน"); a number
        written with the ID's own separators does not."""
        group = m.lastgroup or ""
        country, formatted = group.removesuffix("_formatted"), group.endswith("_formatted")
        if not formatted and not self.context.has_near("national_id", text, m.start()):
            return None
        digits = _digits(m.group())
        return Finding(m.start(), m.end(), "national_id", digits) if _ID_VALIDATORS[country](digits) else None

    def _is_card(self, digits: str) -> bool:
        return (
            len(set(digits)) > 1
            and luhn.is_valid(digits)
            and any(network.matches(digits) for network in self.networks)
        )

    def _card(self, text: str, m: regex.Match) -> Finding | None:
        digits = _digits(m.group())
        return Finding(m.start(), m.end(), "card", digits) if self._is_card(digits) else None

    def _bank_account(self, text: str, m: regex.Match) -> Finding | None:
        raw, digits = m.group(), _digits(m.group())
        if len(digits) not in _ACCOUNT_DIGITS or len(set(digits)) == 1:
            return None
        if _NOT_PHONE.fullmatch(raw) or _AMOUNTS.fullmatch(raw) or _NOT_ACCOUNT.fullmatch(raw):
            return None  # a date, a dotted quad, an NPWP, an amount, a span of years
        if not self.context.has_near("bank_account", text, m.start()):
            return None
        if self.context.has_near("phone", text, m.start()) and self._dialable(digits):
            return None  # "telepon BCA: 021-23588000", "WhatsApp Bank BRI 0812-...": the bank's phone
        if self.context.has_near("payment_code", text, m.start()):
            return None  # a virtual account: a payment's code, not a person's account
        if self.context.has_directly_before("currency", text, m.start()):
            return None
        return Finding(m.start(), m.end(), "bank_account", digits)

    def _dialable(self, digits: str) -> bool:
        """Whether the digits are a valid phone number with a trunk 0 or Indonesia's country code."""
        if digits.startswith("62"):
            return self._valid_number("+" + digits, None) is not None
        return digits.startswith("0") and any(self._valid_number(digits, r) for r in self.phone_regions)

    def _is_account(self, text: str, start: int, end: int) -> bool:
        """Whether ``text[start:end]``, right after an account word or a bank, is an account number."""
        if "bank_account" not in self.kinds:
            return False
        if not self.context.has_directly_before("bank_account", text, start):
            return False
        match = BANK_ACCOUNT.fullmatch(text, start, end)
        return match is not None and self._bank_account(text, match) is not None

    def _phones(self, text: str, m: regex.Match) -> list[Finding]:
        """The run as one number or, failing that, as several numbers separated by spaces."""
        whole = self._phone(text, m.start(), m.end())
        if whole is not None or not _SPLITTABLE.search(m.group()):
            return [] if whole is None else [whole]  # plain digit groups "5537 0423 7313 1145" stay whole
        cuts = [m.start() + k for k, char in enumerate(m.group()) if char == " "]
        starts, ends = [m.start()] + [cut + 1 for cut in cuts], [*cuts, m.end()]
        found: list[Finding] = []
        first = 0
        while first < len(starts):
            for last in range(min(len(ends) - 1, first + _MAX_PHONE_PIECES - 1), first - 1, -1):
                finding = self._phone(text, starts[first], ends[last])
                if finding is not None:
                    found.append(finding)
                    first = last
                    break
            first += 1
        return found

    def _phone(self, text: str, start: int, end: int) -> Finding | None:
        raw = text[start:end]
        if raw.startswith(" ") or raw.endswith(" "):
            return None
        if _NOT_PHONE.match(raw) or _LOOSE_TAIL.search(raw):
            return None
        if self.context.has_directly_before("currency", text, start):
            return None
        international = raw.lstrip("( ").startswith("+") or raw.startswith("00")
        if not international and self._is_account(text, start, end):
            return None  # "BRI 6256785551761": an account number, which the account detector reports
        digits = _digits(_TRUNK_ZERO.sub("", raw))
        if raw.startswith("00"):
            digits = digits[2:]
        if not 8 <= len(digits) <= 15:
            return None
        number = None
        if international or digits.startswith("62"):
            number = self._valid_number("+" + digits, None)
        elif digits.startswith("0"):
            if len(digits) <= _MAX_NATIONAL_DIGITS:
                number = next(filter(None, (self._valid_number(digits, r) for r in self.phone_regions)), None)
        elif not _AMOUNTS.fullmatch(raw) and self.context.has_directly_before("phone", text, start):
            # No prefix at all ("WA 8123 4567"): only with a phone keyword before it.
            candidates = [("+" + digits, None)] + [(digits, r) for r in self.phone_regions]
            number = next(filter(None, (self._valid_number(d, r) for d, r in candidates)), None)
        if number is None:
            return None
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        return Finding(start, end, "phone", e164)

    def _valid_number(self, digits: str, region: str | None) -> phonenumbers.PhoneNumber | None:
        try:
            number = phonenumbers.parse(digits, region)
        except phonenumbers.NumberParseException:
            return None
        if region is not None and number.country_code != phonenumbers.country_code_for_region(region):
            return None  # "015..." read as an international dialling prefix, not a national number
        return number if phonenumbers.is_valid_number(number) else None
