"""Readers: input files -> rows (documents or quarantined records), streamed with bounded memory.

Every record a reader meets becomes exactly one row: a document, or a quarantined record carrying
its source (file and line, row or offset), the error and a printable prefix of the raw bytes.
"""

from __future__ import annotations

import base64
import csv
import io
import posixpath
import sys
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import fsspec
import orjson
import xxhash

from saring.config import ConfigError, FieldMap, InputSpec, LimitsSpec
from saring.core.batch import DocumentBatch, order_key
from saring.io.streams import BoundedReader, InputError

FORMAT_SUFFIXES = {
    ".jsonl": "jsonl",
    ".json": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
    ".csv": "csv",
    ".tsv": "tsv",
    ".txt": "text",
    ".text": "text",
    ".md": "text",
    ".warc": "warc",
}
COMPRESSION_SUFFIXES = (".gz", ".zst", ".zstd", ".bz2")
RAW_PREFIX = 200
UTF8_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class Shard:
    """One input file: the unit of parallel work and of output sharding."""

    index: int
    path: str
    format: str
    spec: InputSpec


def detect_format(path: str) -> str | None:
    name = path.lower()
    for suffix in COMPRESSION_SUFFIXES:
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    for suffix, fmt in FORMAT_SUFFIXES.items():
        if name.endswith(suffix):
            return fmt
    return None


@dataclass(frozen=True)
class InputPlan:
    """The shards to read, and the files found in input folders that are not read, with why."""

    shards: list[Shard]
    ignored: dict[str, str]


def plan_shards(inputs: Iterable[InputSpec], output: str | None = None) -> InputPlan:
    """Expand input paths (files, folders, globs; any fsspec URL) into sorted shards. Files of no known
    format in folders, and files inside the ``output`` folder that a folder or a glob expands to (a run's
    own output under its input folder), are not read; they are listed in ``ignored``."""
    found: dict[str, InputSpec] = {}
    ignored: dict[str, str] = {}
    output_fs, output_root = fsspec.core.url_to_fs(output) if output else (None, "")
    output_prefix = posixpath.normpath(output_root) + "/"
    for spec in inputs:
        fs, _, paths = fsspec.get_fs_token_paths(spec.path)
        protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
        same_fs = output_fs is not None and type(fs) is type(output_fs)
        matched: list[str] = []
        for path in paths:
            folder = fs.isdir(path)
            # a file named on its own is read; files a folder or a glob expands to are vetted
            expanded = folder or any(char in spec.path for char in "*?[")
            for file in fs.find(path) if folder else [path] if fs.exists(path) else []:
                if expanded and same_fs and posixpath.normpath(file).startswith(output_prefix):
                    ignored[file] = "inside the output folder"
                elif folder and spec.format == "auto" and detect_format(file) is None:
                    ignored[file] = "unknown format (set 'format' for it)"
                else:
                    matched.append(file)
        if not matched:
            raise ConfigError(f"input {spec.path!r}: no such file, or no readable files in that folder")
        for path in matched:
            url = path if protocol in ("file", "local") else f"{protocol}://{path.lstrip('/')}"
            found.setdefault(url, spec)
    shards = []
    for index, path in enumerate(sorted(found)):
        spec = found[path]
        fmt = spec.format if spec.format != "auto" else detect_format(path)
        if fmt is None:
            raise ConfigError(f"input {path!r}: cannot tell its format from the name; set 'format' for it")
        shards.append(Shard(index, path, fmt, spec))
    return InputPlan(shards, {path: why for path, why in sorted(ignored.items()) if path not in found})


def _json_value(value: Any) -> Any:
    """Metadata values JSON has no type for (Parquet binary, decimal, ...): bytes as base64, the rest as
    text."""
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    return str(value)


def printable_prefix(raw: bytes | str) -> str:
    """A short, safely printable excerpt of unreadable input."""
    if isinstance(raw, str):
        return raw[:RAW_PREFIX]
    return raw[:RAW_PREFIX].decode("utf-8", "backslashreplace")


class _Rows:
    """Builds rows for one shard and numbers them."""

    def __init__(self, shard: Shard, limits: LimitsSpec) -> None:
        self.shard = shard
        self.fields: FieldMap = shard.spec.fields
        self.limits = limits
        self.count = 0
        self.skipped: Counter[str] = Counter()  # input records that are not documents, by kind

    def _next_order(self) -> int:
        order = order_key(self.shard.index, self.count)
        self.count += 1
        return order

    def quarantined(
        self, where: str, error: str, raw: bytes | str = b"", doc_id: Any = None
    ) -> dict[str, Any]:
        return {
            "id": str(doc_id) if doc_id is not None else None,
            "text": "",
            "source": f"{self.shard.path}{where}",
            "order": self._next_order(),
            "quarantine_stage": "read",
            "quarantine_error": error,
            "raw": printable_prefix(raw),
        }

    def document(self, where: str, text: str, doc_id: Any = None, url: Any = None, meta: Any = None) -> dict:
        size = len(text.encode("utf-8", "surrogatepass"))
        if size > self.limits.max_document_bytes:
            return self.quarantined(
                where, f"document of {size:,} bytes exceeds limits.max_document_bytes", text[:RAW_PREFIX]
            )
        source = f"{self.shard.path}{where}"
        return {
            "id": str(doc_id) if doc_id is not None else source,
            "text": text,
            "url": str(url) if url is not None else None,
            "source": source,
            "metadata": orjson.dumps(meta or {}, default=_json_value, option=orjson.OPT_SORT_KEYS).decode(),
            "order": self._next_order(),
        }

    def from_object(self, where: str, obj: Any, raw: bytes | str) -> dict[str, Any]:
        if not isinstance(obj, dict):
            return self.quarantined(where, f"expected a JSON object, got {type(obj).__name__}", raw)
        fields = self.fields
        text, doc_id = obj.get(fields.text), obj.get(fields.id)
        if text is None:
            problem = "is null" if fields.text in obj else "is missing"
            return self.quarantined(where, f"text field {fields.text!r} {problem}", raw, doc_id)
        if isinstance(text, bytes):  # a Parquet binary column: text if it is UTF-8
            try:
                text = text.decode("utf-8")
            except UnicodeDecodeError as error:
                problem = f"invalid UTF-8 in text field {fields.text!r} ({error})"
                return self.quarantined(where, problem, raw, doc_id)
        if not isinstance(text, str):
            problem = f"text field {fields.text!r} is {type(text).__name__}, not text"
            return self.quarantined(where, problem, raw, doc_id)
        meta = {k: v for k, v in obj.items() if k not in (fields.text, fields.id, fields.url)}
        try:
            return self.document(where, text, doc_id, obj.get(fields.url), meta)
        except (TypeError, orjson.JSONEncodeError) as error:
            return self.quarantined(where, f"unusable metadata: {error}", raw, doc_id)


def _open(shard: Shard, limits: LimitsSpec) -> BoundedReader:
    raw = fsspec.open(shard.path, "rb").open()
    return BoundedReader(raw, shard.path, limits.max_decompressed_bytes, limits.max_compression_ratio)


def _skip_line(stream: io.BufferedReader, chunk: int = 1 << 20) -> int:
    """Skip to the end of the current line; returns the bytes skipped."""
    skipped = 0
    while True:
        part = stream.readline(chunk)
        skipped += len(part)
        if not part or part.endswith(b"\n"):
            return skipped


def _read_jsonl(rows: _Rows, stream: io.BufferedReader) -> Iterator[dict[str, Any]]:
    limit = rows.limits.max_document_bytes * 2 + 1024  # JSON escaping can double the text
    line_no = 0
    unread = 1  # the first line not read whole: where an unreadable rest of the file starts
    try:
        while line := stream.readline(limit + 1):
            line_no += 1
            where = f":{line_no}"
            if line_no == 1:
                line = line.removeprefix(UTF8_BOM)
            if len(line) > limit and not line.endswith(b"\n"):
                skipped = len(line) + _skip_line(stream)  # a bomb inside the line fails here: on this line
                unread = line_no + 1
                yield rows.quarantined(where, f"record of {skipped:,} bytes exceeds the line limit", line)
                continue
            unread = line_no + 1
            if not line.strip():
                continue
            try:
                obj = orjson.loads(line)
            except orjson.JSONDecodeError as error:
                kind = "invalid UTF-8" if "utf-8" in str(error).lower() else "malformed JSON"
                yield rows.quarantined(where, f"{kind}: {error}", line)
                continue
            yield rows.from_object(where, obj, line)
    except InputError as error:
        yield rows.quarantined(f":{unread}", f"unreadable from line {unread} on: {error}")


def _file_checksum(path: str) -> tuple[int, str | None]:
    """Size and xxh64 of a file read whole (as streamed inputs are hashed while read), or (0, None)."""
    digest, size = xxhash.xxh64(), 0
    try:
        with fsspec.open(path, "rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
                size += len(chunk)
    except OSError:
        return 0, None
    return size, digest.hexdigest()


def _read_parquet(rows: _Rows) -> Iterator[dict[str, Any]]:
    import pyarrow.parquet as pq

    row_no = 0
    try:
        with fsspec.open(rows.shard.path, "rb") as handle:
            for batch in pq.ParquetFile(handle).iter_batches(batch_size=1024):
                for obj in _parquet_rows(batch):
                    where = f"#row={row_no}"
                    row_no += 1
                    if isinstance(obj, UnicodeDecodeError):
                        yield rows.quarantined(where, f"invalid UTF-8 in a text column: {obj}", obj.object)
                    else:
                        yield rows.from_object(where, obj, repr(obj)[:RAW_PREFIX])
    except (OSError, ValueError) as error:
        yield rows.quarantined(f"#row={row_no}", f"unreadable Parquet from row {row_no} on: {error}")


def _parquet_rows(batch: Any) -> list[dict[str, Any] | UnicodeDecodeError]:
    """The batch's rows as dicts; a row with invalid UTF-8 in a string column becomes its error (the
    other rows of the batch are converted one by one)."""
    try:
        return batch.to_pylist()
    except UnicodeDecodeError:
        out: list[dict[str, Any] | UnicodeDecodeError] = []
        for index in range(batch.num_rows):
            try:
                out.append(batch.slice(index, 1).to_pylist()[0])
            except UnicodeDecodeError as error:
                out.append(error)
        return out


Record = tuple[int, dict[str, Any] | None, str, str | None]  # line, row, raw excerpt, problem


#: Lines one quoted TSV field may run over (more: the quote is taken for a stray one; this bounds the
#: rereading a stray quote costs).
MAX_TSV_RECORD_LINES = 1000


class _Lines:
    """Numbered lines of a text stream, each ``(number, text, whole)``, that can be put back; a line over
    ``max_chars`` characters is skipped to its end and comes with its start only (``whole`` False)."""

    def __init__(self, text: io.TextIOWrapper, max_chars: int) -> None:
        self._text = text
        self.max_chars = max_chars
        self._back: list[tuple[int, str, bool]] = []
        self._number = 0

    def __iter__(self) -> Iterator[tuple[int, str, bool]]:
        return self

    def __next__(self) -> tuple[int, str, bool]:
        if self._back:
            return self._back.pop()
        line = self._text.readline(self.max_chars + 1)
        if not line:
            raise StopIteration
        self._number += 1
        whole = len(line) <= self.max_chars or line.endswith(("\n", "\r"))
        while not whole and (rest := self._text.readline(1 << 20)) and not rest.endswith(("\n", "\r")):
            pass
        return self._number, line, whole

    def put_back(self, lines: list[tuple[int, str, bool]]) -> None:
        self._back.extend(reversed(lines))


def _ambiguous(header: Sequence[str], mapped: set[str]) -> str | None:
    """The problem with a header that names a mapped field (text, id, url) twice, or None."""
    twice = sorted(name for name in mapped if list(header).count(name) > 1)
    return f"unreadable from line 1 on: the header names {twice} more than once" if twice else None


def _tsv_records(text: io.TextIOWrapper, max_chars: int, mapped: set[str]) -> Iterator[Record]:
    """The records of a TSV file. Fields may be quoted CSV-style (pandas writes tabs, quotes and line
    breaks inside quotes). A quoted field may run over several lines only if the record it ends then has
    the header's number of fields and stays within ``max_chars`` and ``MAX_TSV_RECORD_LINES``; otherwise
    the quote is a stray one: its line alone is quarantined and reading goes on at the next line, so it
    cannot swallow the rows after it (as it does when the file is read as CSV). An unreadable header line
    makes the rest of the file unreadable (each row would be misread)."""
    lines = _Lines(text, max_chars)
    header: list[str] | None = None
    for number, line, whole in lines:
        if not whole:
            yield number, None, line, f"line longer than {max_chars:,} characters"
            continue
        if not line.strip("\r\n"):
            continue
        consumed: list[tuple[int, str, bool]] = []
        fields = _quoted_fields(line, lines, consumed, header)
        if fields is None:
            lines.put_back(consumed)
            if header is None:
                yield number, None, line, f"unreadable from line {number} on: an unclosed quote in the header"
                return
            yield number, None, line, "unreadable line: a quote that does not close on it or on a whole row"
        elif header is None:
            header = fields
            if (problem := _ambiguous(header, mapped)) is not None:
                yield number, None, line, problem
                return
        elif len(fields) > len(header):
            yield number, None, line, "more fields than the header names"
        else:
            row = dict(zip(header, fields + [None] * (len(header) - len(fields)), strict=True))
            yield number, row, line, None


def _quoted_fields(
    line: str, lines: _Lines, consumed: list[tuple[int, str, bool]], header: list[str] | None
) -> list[str] | None:
    """The fields of the record starting with ``line``, taking continuation lines from ``lines`` into
    ``consumed`` while a quoted field is open; None if the record is unreadable."""
    size = len(line)

    def feed() -> Iterator[str]:
        nonlocal size
        yield line
        for entry in lines:
            consumed.append(entry)
            size += len(entry[1])
            if not entry[2] or size > lines.max_chars or len(consumed) > MAX_TSV_RECORD_LINES:
                return
            yield entry[1]

    try:
        fields = next(csv.reader(feed(), delimiter="\t", strict=True))
    except (csv.Error, StopIteration):
        return None
    if consumed and (header is None or len(fields) > len(header) or _row_inside(consumed, header)):
        return None  # a multi-line record must be one row, not rows glued by a stray quote
    return fields


def _row_inside(consumed: list[tuple[int, str, bool]], header: list[str]) -> bool:
    """Whether a continuation line has the header's number of tab-separated fields: a row of its own
    (``Layar TV 32"`` closing a stray quote rows above), not a paragraph of a quoted field."""
    return len(header) > 1 and any(line.count("\t") + 1 == len(header) for _, line, _ in consumed)


def _csv_records(text: io.TextIOWrapper, mapped: set[str]) -> Iterator[Record]:
    """The records of a CSV file (quoted fields may span lines), each at the line it starts on."""
    reader = csv.DictReader(text)
    if (problem := _ambiguous(reader.fieldnames or [], mapped)) is not None:
        yield 1, None, repr(reader.fieldnames), problem
        return
    end = 1  # the header's line
    for obj in reader:
        start, end = end + 1, reader.line_num
        problem = "more fields than the header names" if None in obj else None
        yield start, None if problem else obj, repr(obj), problem


def _read_csv(rows: _Rows, stream: io.BufferedReader, delimiter: str) -> Iterator[dict[str, Any]]:
    # Larger fields are read and quarantined one by one (``rows.document``); only a field beyond eight
    # times the document limit (a runaway quoted field) ends the file.
    max_chars = rows.limits.max_document_bytes * 8 + 1024
    csv.field_size_limit(min(sys.maxsize, max_chars))
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="surrogateescape", newline="")
    mapped = {rows.fields.text, rows.fields.id, rows.fields.url}
    records = _tsv_records(text, max_chars, mapped) if delimiter == "\t" else _csv_records(text, mapped)
    line = 0
    try:
        for line, obj, raw, problem in records:
            where = f":{line}"
            if obj is None:
                yield rows.quarantined(where, problem or "unreadable", raw[:RAW_PREFIX])
                continue
            values = [v for v in obj.values() if isinstance(v, str)]
            bad = next((v for v in values if any("\udc80" <= c <= "\udcff" for c in v)), None)
            if bad is not None:
                yield rows.quarantined(
                    where, "invalid UTF-8 in this row", bad.encode("utf-8", "surrogateescape")
                )
                continue
            yield rows.from_object(where, obj, raw[:RAW_PREFIX])
    except (InputError, csv.Error) as error:
        yield rows.quarantined(f":{line + 1}", f"unreadable from line {line + 1} on: {error}")


def _read_text(rows: _Rows, stream: io.BufferedReader) -> Iterator[dict[str, Any]]:
    try:
        data = stream.read(rows.limits.max_document_bytes + 1)
        if len(data) > rows.limits.max_document_bytes:
            yield rows.quarantined("", "document exceeds limits.max_document_bytes", data)
            return
        if b"\x00" in data:
            yield rows.quarantined("", f"binary content (NUL byte at offset {data.index(0)})", data)
            return
        text = data.decode("utf-8")
    except InputError as error:
        yield rows.quarantined("", f"unreadable: {error}")
        return
    except UnicodeDecodeError as error:
        yield rows.quarantined(
            f"@{error.start}", f"invalid UTF-8 at byte offset {error.start}", data[error.start :]
        )
        return
    yield rows.document("", text, doc_id=rows.shard.path)


class ShardReader:
    """Reads one shard: its rows in file order, grouped in batches; then its byte counts and checksum."""

    def __init__(self, shard: Shard, limits: LimitsSpec, record_seconds: float) -> None:
        self.shard = shard
        self.record_seconds = record_seconds
        self.rows = _Rows(shard, limits)
        self.checksum: str | None = None
        self._stream: BoundedReader | None = None
        self._file_bytes = 0  # of a file not read through a stream (Parquet)

    @property
    def bytes_read(self) -> int:
        """Raw (compressed) bytes read so far; for progress and the manifest."""
        return self._stream.raw_bytes if self._stream is not None else self._file_bytes

    def _read(self) -> Iterator[dict[str, Any]]:
        shard, rows = self.shard, self.rows
        if shard.format == "parquet":  # columnar and seekable: read directly, not through a stream
            yield from _read_parquet(rows)
            self._file_bytes, self.checksum = _file_checksum(shard.path)
            return
        try:
            reader = _open(shard, rows.limits)
        except (OSError, InputError) as error:
            yield rows.quarantined("", f"cannot open: {error}")
            return
        self._stream = reader
        with reader:
            stream = io.BufferedReader(reader, buffer_size=1 << 20)
            if shard.format == "jsonl":
                yield from _read_jsonl(rows, stream)
            elif shard.format in ("csv", "tsv"):
                yield from _read_csv(rows, stream, "," if shard.format == "csv" else "\t")
            elif shard.format == "text":
                yield from _read_text(rows, stream)
            else:
                from saring.io.warc import read_warc

                yield from read_warc(rows, stream, self.record_seconds, reader)
            self.checksum = reader.checksum

    def batches(self, batch_size: int) -> Iterator[DocumentBatch]:
        pending: list[dict[str, Any]] = []
        for row in self._read():
            pending.append(row)
            if len(pending) >= batch_size:
                yield DocumentBatch.from_rows(pending)
                pending = []
        if pending:
            yield DocumentBatch.from_rows(pending)
