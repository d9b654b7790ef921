"""Personal data: find e-mail addresses, phone numbers, NIK, NPWP, other national ID numbers (MyKad,
Thai ID), card numbers, IP addresses and bank account numbers and replace each with a typed placeholder
(``<PHONE>``) or a keyed hash (``<PHONE:1f0c9a2b77de>``).

Only the matched spans change; every other character of the text is kept as it was. Numbers that
look like personal data but fail validation (a 16-digit invoice number, a Luhn-invalid "card", a
price, a date, a version string) are left alone. Private, loopback and documentation IP addresses
are not personal and are kept unless ``ip_scope: all``. Counts per kind are recorded as signals; no
document is removed unless ``max_items`` is set.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import pyarrow as pa
from pydantic import Field

from saring.core.registry import register
from saring.core.stage import Count, DocView, Measured, Stage, StageParams
from saring.stages.pii.detectors import KINDS, Detectors, Finding

Kind = Literal["email", "phone", "nik", "npwp", "national_id", "card", "ip", "bank_account"]
DEFAULT_PLACEHOLDERS = {kind: f"<{kind.upper()}>" for kind in KINDS}


class PiiParams(StageParams):
    kinds: tuple[Kind, ...] = KINDS
    #: "placeholder": ``placeholders[kind]``; "hash": HMAC-SHA256 of the normalized value, keyed by the
    #: environment variable ``hash_key_env``, truncated to ``hash_length`` hex digits.
    replacement: Literal["placeholder", "hash"] = "placeholder"
    placeholders: dict[Kind, str] = Field(default_factory=dict)  # overrides of ``<EMAIL>``, ...
    hash_key_env: str = "SARING_PII_KEY"
    hash_length: int = Field(12, ge=8, le=64)
    hash_format: str = "<{KIND}:{digest}>"
    #: Regions tried, in order, for numbers written without a country code.
    phone_regions: tuple[str, ...] = ("ID", "MY", "SG", "PH", "TH", "VN")
    #: "global": redact only globally routable addresses; "all": also private and reserved ones.
    ip_scope: Literal["global", "all"] = "global"
    #: Remove documents with more findings than this (leaked contact lists); None removes nothing.
    max_items: Count | None = None


@register
class Pii(Stage):
    name = "pii"
    Params = PiiParams
    decide_params = frozenset({"max_items"})

    def __init__(self, params: PiiParams | None = None, label: str | None = None) -> None:
        super().__init__(params, label)
        self._placeholders = DEFAULT_PLACEHOLDERS | dict(self.params.placeholders)
        self._detectors: Detectors | None = None
        self._key = b""

    def signal_schema(self) -> dict[str, pa.DataType]:
        return {kind: pa.int32() for kind in (*KINDS, "total")}

    def setup(self) -> None:
        p = self.params
        if p.replacement == "hash":
            key = os.environ.get(p.hash_key_env, "")
            if not key:
                raise ValueError(f"pii: replacement 'hash' needs a secret key in ${p.hash_key_env}")
            self._key = key.encode("utf-8")
        self._detectors = Detectors(p.kinds, p.phone_regions, p.ip_scope)

    def token(self, finding: Finding) -> str:
        """What replaces a finding."""
        if self.params.replacement == "placeholder":
            return self._placeholders[finding.kind]
        message = f"{finding.kind}:{finding.value}".encode()
        digest = hmac.new(self._key, message, hashlib.sha256).hexdigest()[: self.params.hash_length]
        return self.params.hash_format.format(KIND=finding.kind.upper(), kind=finding.kind, digest=digest)

    def redact(self, text: str) -> tuple[str, list[Finding]]:
        """The text with every finding replaced, and the findings (spans refer to the input text)."""
        if self._detectors is None:
            self.setup()
        findings = self._detectors.find(text)
        if not findings:
            return text, findings
        parts: list[str] = []
        position = 0
        for finding in findings:
            parts += [text[position : finding.start], self.token(finding)]
            position = finding.end
        parts.append(text[position:])
        return "".join(parts), findings

    def measure(self, docs: DocView) -> Measured:
        counts: dict[str, list[int]] = {kind: [] for kind in (*KINDS, "total")}
        texts: list[str] = []
        for text in docs.texts:
            redacted, findings = self.redact(text)
            texts.append(redacted)
            for kind in KINDS:
                counts[kind].append(sum(f.kind == kind for f in findings))
            counts["total"].append(len(findings))
        return Measured(signals=counts, texts=texts)

    def decide(self, signals: Mapping[str, Sequence[Any]]) -> list[str | None]:
        limit = self.params.max_items
        return [None if limit is None or total <= limit else "too_much_pii" for total in signals["total"]]

    def thresholds(self) -> dict[str, float]:
        return {} if self.params.max_items is None else {"total": self.params.max_items}
