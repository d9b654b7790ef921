"""WARC reading with HTML-to-text extraction, resynchronizing after broken records.

Documents are ``response`` records (HTTP 2xx, HTML or plain text) and ``resource`` records of those
types; other records (warcinfo, request, metadata, redirects, images) are counted as skipped.

A record's ``Content-Length`` is checked against the framing: the block must be followed by the blank
lines that end a record and then the next ``WARC/`` line (or the end of the file). A length that
overstates the block, and so swallows the start of the next record, is caught there: the record is
quarantined and reading goes on at the next record's ``WARC/`` line inside the block. A length that
understates it (or any other mismatch) quarantines the record and resumes at the next ``WARC/`` line.
"""

from __future__ import annotations

import contextlib
import io
import zlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from saring.core.limits import RecordTimeout, time_limit
from saring.io.streams import BoundedReader, InputError

if TYPE_CHECKING:
    from saring.io.readers import _Rows

MAX_HEADER_BYTES = 64 * 1024
DOCUMENT_TYPES = (b"text/html", b"application/xhtml", b"text/plain")


class BrokenRecord(Exception):
    """A record whose framing is wrong; reading resumes at the next ``WARC/`` line. ``consumed``: the
    bytes of its header already read (so that later records keep their true offsets)."""

    def __init__(self, message: str, consumed: int = 0) -> None:
        super().__init__(message)
        self.consumed = consumed


class _PushbackReader:
    """A binary stream that bytes already read can be put back in front of (``unread``)."""

    def __init__(self, stream: io.BufferedReader) -> None:
        self._stream = stream
        self._front = b""
        self._error: InputError | None = None  # met while looking ahead; raised when reading gets there

    def _more(self, size: int, line: bool = False) -> bytes:
        if self._error is not None:
            raise self._error
        return self._stream.readline(size) if line else self._stream.read(size)

    def unread(self, data: bytes) -> None:
        self._front = data + self._front

    def readline(self, limit: int) -> bytes:
        if not self._front:
            return self._more(limit, line=True)
        end = self._front.find(b"\n", 0, limit)
        if end >= 0 or len(self._front) >= limit:
            cut = end + 1 if end >= 0 else limit
            line, self._front = self._front[:cut], self._front[cut:]
            return line
        line, self._front = self._front, b""
        return line + self._more(limit - len(line), line=True)

    def read(self, size: int) -> bytes:
        front, self._front = self._front[:size], self._front[size:]
        return front + self._more(size - len(front)) if len(front) < size else front

    def peek(self, size: int) -> bytes:
        """At least ``size`` bytes ahead (fewer only at the end of the file), not consumed: unlike
        ``BufferedReader.peek``, which stops at its buffer's end (a check of the next record's ``WARC/``
        line must not see just ``WA``)."""
        while len(self._front) < size and self._error is None:
            try:
                more = self._stream.read(size - len(self._front))
            except InputError as error:  # the record before is whole: hand it out, fail after it
                self._error = error
                break
            if not more:
                break
            self._front += more
        return self._front


def _headers(stream: _PushbackReader) -> tuple[dict[str, str], int]:
    headers: dict[str, str] = {}
    consumed = 0
    while True:
        line = stream.readline(MAX_HEADER_BYTES)
        consumed += len(line)
        if not line:
            raise BrokenRecord("the file ends inside the record header", consumed)
        if consumed > MAX_HEADER_BYTES:
            raise BrokenRecord("record header longer than 64 KiB", consumed)
        if line in (b"\r\n", b"\n"):
            return headers, consumed
        name, sep, value = line.partition(b":")
        if not sep:
            raise BrokenRecord(f"malformed header line {line[:80]!r}", consumed)
        headers[name.strip().decode("latin-1").lower()] = value.strip().decode("latin-1")


def _dechunk(body: bytes) -> bytes:
    out, pos = [], 0
    while pos < len(body):
        end = body.find(b"\r\n", pos)
        if end < 0:
            break
        size = int(body[pos:end].split(b";")[0] or b"0", 16)
        if size == 0:
            break
        out.append(body[end + 2 : end + 2 + size])
        pos = end + 2 + size + 2
    return b"".join(out)


def _http_payload(block: bytes, limit: int) -> tuple[int, bytes, bytes]:
    """Status, content type and decoded body of an HTTP response block."""
    split = block.find(b"\r\n\r\n")
    head, body = (block[:split], block[split + 4 :]) if split >= 0 else (block, b"")
    lines = head.split(b"\r\n")
    parts = lines[0].split()
    status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    fields = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        fields[name.strip().lower()] = value.strip().lower()
    if b"chunked" in fields.get(b"transfer-encoding", b""):
        body = _dechunk(body)
    encoding = fields.get(b"content-encoding", b"")
    if encoding in (b"gzip", b"deflate", b"x-gzip"):
        # undecodable bodies are left as they are; the extractor then finds little text
        with contextlib.suppress(zlib.error):
            body = zlib.decompressobj(wbits=47).decompress(body, limit)
    return status, fields.get(b"content-type", b""), body


def _extract(html: bytes, extractor: str, content_type: bytes) -> str:
    from resiliparse.parse.encoding import bytes_to_str, detect_encoding

    charset = content_type.partition(b"charset=")[2].split(b";")[0].strip().decode("latin-1")
    text = bytes_to_str(html, charset or detect_encoding(html))
    if content_type.startswith(b"text/plain"):
        return text
    if extractor == "trafilatura":
        import trafilatura

        return trafilatura.extract(text, include_comments=False, include_tables=True) or ""
    from resiliparse.extract.html2text import extract_plain_text

    return extract_plain_text(text, main_content=True, alt_texts=False, links=False, form_fields=False)


def _resync(stream: _PushbackReader) -> int:
    """Skip to the next line that starts a WARC record; returns the bytes skipped."""
    skipped = 0
    while True:
        peek = stream.peek(8)[:8]
        if not peek or peek.startswith(b"WARC/1."):
            return skipped
        skipped += len(stream.readline(1 << 20))


def read_warc(
    rows: _Rows, stream: io.BufferedReader, record_seconds: float, source: BoundedReader | None = None
) -> Iterator[dict[str, Any]]:
    """Rows of a WARC file. A record's place (``@N``) is its byte offset in the file: for a .warc.gz
    written one gzip member per record (as crawlers write them, and Common Crawl's indexes point to),
    the offset of its member (``source``, the file's decompressing reader, knows them); for one written
    as a single gzip stream, the offset in the decompressed stream."""
    limits = rows.limits
    stream = _PushbackReader(stream)
    offset = 0
    try:
        while True:
            line = stream.readline(MAX_HEADER_BYTES)
            if not line:
                return
            start = offset
            offset += len(line)
            if not line.strip():
                continue
            member = source.member_at(start) if source is not None else None
            where = f"@{start if member is None else member}"
            try:
                if not line.startswith(b"WARC/"):
                    raise BrokenRecord(f"expected a 'WARC/' version line, found {line[:40]!r}")
                headers, size = _headers(stream)
                offset += size
                length = _content_length(headers)
            except BrokenRecord as error:
                offset += error.consumed + _resync(stream)
                yield rows.quarantined(where, f"broken WARC record: {error}", line)
                continue
            record_type = headers.get("warc-type", "")
            if length > limits.max_document_bytes * 4:
                # not read: skipped to the next record's WARC/ line (its length may be a wrong one)
                offset += _resync(stream)
                if record_type in ("response", "resource"):
                    yield rows.quarantined(where, f"WARC record of {length:,} bytes exceeds the record limit")
                continue
            block = stream.read(length)
            offset += len(block)
            if len(block) < length or not _record_ends(stream):
                next_record = block.find(b"\nWARC/1.")
                if next_record >= 0:  # the length overstates the block: read the next record from there
                    stream.unread(block[next_record + 1 :])
                    offset -= len(block) - next_record - 1
                    problem = f"the next record starts after {next_record + 1:,} of its {length:,} bytes"
                elif len(block) < length:
                    yield rows.quarantined(
                        where, f"truncated WARC record: {len(block):,} of {length:,} bytes", block
                    )
                    return
                else:
                    offset += _resync(stream)
                    problem = f"no record boundary after its {length:,} bytes"
                yield rows.quarantined(where, f"broken WARC record: wrong Content-Length ({problem})", block)
                continue
            try:
                document = _document(rows, where, headers, block, record_seconds)
            except Exception as error:  # a malformed HTTP payload is this record's problem, not the file's
                document = rows.quarantined(
                    where, f"unreadable WARC payload: {type(error).__name__}: {error}", block
                )
            if document is not None:
                yield document
    except InputError as error:
        if source is not None and source.compression == "gzip":
            offset = source.member_start  # the file offset of the gzip member that could not be read
        yield rows.quarantined(f"@{offset}", f"unreadable from offset {offset:,} on: {error}")


def _content_length(headers: dict[str, str]) -> int:
    value = headers.get("content-length", "")
    if not (value.isascii() and value.isdigit()):  # not "5²": Latin-1 superscripts are digits to isdigit
        raise BrokenRecord(f"missing or invalid Content-Length {value[:20]!r}")
    return int(value)


def _record_ends(stream: _PushbackReader) -> bool:
    """Whether what follows a block is the end of a record: blank lines, then a ``WARC/`` line or the end
    of the file (within the next 64 bytes)."""
    rest = stream.peek(64)[:64].lstrip(b"\r\n")
    return not rest or rest.startswith(b"WARC/")


def _document(
    rows: _Rows, where: str, headers: dict[str, str], block: bytes, record_seconds: float
) -> dict[str, Any] | None:
    """The document in a record, a quarantined row, or None for records that are not documents."""
    record_type = headers.get("warc-type", "")
    limit = rows.limits.max_html_bytes
    if record_type == "response":
        status, content_type, body = _http_payload(block, limit)
        if status == 0:  # no "HTTP/1.1 200 ..." status line: the payload is broken, not a non-document
            return rows.quarantined(where, "unreadable WARC payload: no HTTP status line", block)
        if not 200 <= status < 300:
            rows.skipped[f"warc: HTTP status {status // 100}xx"] += 1
            return None
    elif record_type == "resource":
        content_type, body = headers.get("content-type", "").lower().encode("latin-1"), block
    else:
        rows.skipped[f"warc: {record_type or 'untyped'} record"] += 1
        return None
    if not content_type.startswith(DOCUMENT_TYPES):
        rows.skipped["warc: not HTML or text"] += 1
        return None
    try:
        with time_limit(record_seconds):
            text = _extract(body[:limit], rows.shard.spec.html_extractor, content_type)
    except RecordTimeout:
        return rows.quarantined(where, f"HTML extraction exceeded the time limit of {record_seconds:g} s")
    except Exception as error:
        return rows.quarantined(where, f"HTML extraction failed: {type(error).__name__}: {error}"[:1000])
    meta = {"warc_date": headers.get("warc-date"), "content_type": content_type.decode("latin-1")}
    return rows.document(where, text, headers.get("warc-record-id"), headers.get("warc-target-uri"), meta)
