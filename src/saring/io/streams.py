"""Bounded, checksummed byte streams: decompression that detects truncation and bombs."""

from __future__ import annotations

import bz2
import io
import zlib
from typing import BinaryIO

import xxhash
import zstandard

CHUNK = 64 * 1024
GZIP_MEMBER_START = b"\x1f\x8b\x08"  # the magic bytes and the deflate method of a gzip member header
BOMB_CHECK_AFTER = 64 * 2**20


class InputError(Exception):
    """Input that cannot be read any further (the rest of the file is lost and accounted for)."""


MAX_OUT = 16 * CHUNK


class _Decoder:
    """One compressed member/frame. ``wants_input`` is False while output is still pending."""

    def __init__(self) -> None:
        self.eof = False
        self.unused_data = b""

    @property
    def wants_input(self) -> bool:
        return True

    def step(self, data: bytes) -> bytes:
        return data


class _Zlib(_Decoder):
    def __init__(self) -> None:
        super().__init__()
        self._obj = zlib.decompressobj(wbits=47)

    @property
    def wants_input(self) -> bool:
        return not self._obj.unconsumed_tail

    def step(self, data: bytes) -> bytes:
        self.given = self._obj.unconsumed_tail + data  # kept to find the next member after an error
        out = self._obj.decompress(self.given, MAX_OUT)
        self.eof, self.unused_data = self._obj.eof, self._obj.unused_data
        return out


class _Bz2(_Decoder):
    def __init__(self) -> None:
        super().__init__()
        self._obj = bz2.BZ2Decompressor()

    @property
    def wants_input(self) -> bool:
        return self._obj.needs_input

    def step(self, data: bytes) -> bytes:
        out = self._obj.decompress(data, MAX_OUT)
        self.eof = self._obj.eof
        self.unused_data = self._obj.unused_data if self.eof else b""
        return out


class _Zstd(_Decoder):
    """Fed in small steps: one zstd block can inflate 4 bytes to 128 KiB."""

    STEP = 1024

    def __init__(self) -> None:
        super().__init__()
        self._obj = zstandard.ZstdDecompressor().decompressobj()
        self._pending = b""

    @property
    def wants_input(self) -> bool:
        return not self._pending

    def step(self, data: bytes) -> bytes:
        data = self._pending + data
        self._pending = data[self.STEP :]
        out = self._obj.decompress(data[: self.STEP])
        self.eof = self._obj.eof
        if self.eof:
            self.unused_data = self._obj.unused_data + self._pending
            self._pending = b""
        return out


_DECODERS: dict[str, type[_Decoder]] = {"gzip": _Zlib, "bz2": _Bz2, "zstd": _Zstd, "none": _Decoder}


def sniff_compression(head: bytes) -> str:
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith(b"\x28\xb5\x2f\xfd"):
        return "zstd"
    if head.startswith(b"BZh"):
        return "bz2"
    return "none"


class BoundedReader(io.RawIOBase):
    """Reads a (possibly compressed, possibly multi-member) stream with limits.

    Raises :class:`InputError` when the compressed stream ends early (truncated file) or the output
    exceeds ``max_bytes`` or ``max_ratio`` (a decompression bomb). Counts and hashes the raw bytes.
    """

    def __init__(self, raw: BinaryIO, name: str, max_bytes: int, max_ratio: float) -> None:
        super().__init__()
        self._raw = raw
        self.name = name
        self._max_bytes = max_bytes
        self._max_ratio = max_ratio
        self._hash = xxhash.xxh64()
        head = raw.read(CHUNK)
        self.compression = sniff_compression(head)
        self._decoder = _DECODERS[self.compression]()
        self._input = head
        self._fed = False
        self._raw_eof = False
        self.raw_bytes = len(head)
        self.out_bytes = 0
        self._hash.update(head)
        self._buffer = b""
        self._error: InputError | None = None
        #: decompressed offset -> file offset of each gzip member not yet looked up (:meth:`member_at`)
        self._members: dict[int, int] = {0: 0} if self.compression == "gzip" else {}
        self.member_start = 0  # file offset of the gzip member being read
        #: after a corrupt gzip member, go on at the next member (a .warc.gz holds one record a member)
        self.skip_corrupt_members = False
        self._corrupt_members: list[tuple[int, str]] = []

    @property
    def checksum(self) -> str:
        return self._hash.hexdigest()

    def readable(self) -> bool:
        return True

    def _next_input(self) -> bytes:
        if self._input:
            data, self._input = self._input, b""
            return data
        data = self._raw.read(CHUNK)
        if not data:
            self._raw_eof = True
        self.raw_bytes += len(data)
        self._hash.update(data)
        return data

    def _produce(self) -> bytes:
        """Next decompressed chunk, b"" at the end of the stream."""
        if self._error is not None:
            raise self._error
        while True:
            decoder = self._decoder
            if decoder.eof:  # a member/frame ended; another may follow
                self._input = decoder.unused_data + self._input
                if self._only_zero_padding_left():
                    return b""
                if self.compression == "gzip":
                    self.member_start = self.raw_bytes - len(self._input)
                    self._members[self.out_bytes] = self.member_start
                decoder = self._decoder = _DECODERS[self.compression]()
                self._fed = False
            data = self._next_input() if decoder.wants_input else b""
            if not data and decoder.wants_input:
                if self._fed and self.compression != "none":
                    raise InputError(
                        f"truncated {self.compression} stream: it ends before its end marker"
                        f" (after {self.raw_bytes:,} compressed bytes)"
                    )
                return b""
            self._fed = True
            try:
                out = decoder.step(data)
            except (zlib.error, OSError, EOFError, ValueError, zstandard.ZstdError) as error:
                message = f"corrupt {self.compression} data after {self.raw_bytes:,} bytes: {error}"
                # only in a file seen to hold several members: in one gzip stream, "members" found by
                # their magic bytes would be chance matches inside the compressed data
                resumable = self.skip_corrupt_members and isinstance(decoder, _Zlib) and self.member_start > 0
                if resumable and self._next_member(decoder, message):
                    continue
                raise InputError(message) from None
            if out:
                try:
                    self._check_limits(len(out))
                except InputError as error:  # hand out this chunk first; the next read fails
                    self._error = error
                return out

    def _next_member(self, decoder: _Zlib, message: str) -> bool:
        """Go on at the gzip member after a corrupt one (remembered with ``message``); False if none
        follows. The bytes the failed step was given, then the rest of the input, are searched."""
        buffer = decoder.given
        start = self.raw_bytes - len(self._input) - len(buffer)  # file offset of buffer[0]
        found = buffer.find(GZIP_MEMBER_START, 1)  # not the corrupt member's own header
        while found < 0:
            more = self._next_input()
            if not more:
                return False
            keep = buffer[-2:]  # a header may straddle two reads
            start += len(buffer) - len(keep)
            buffer = keep + more
            found = buffer.find(GZIP_MEMBER_START)
        self._corrupt_members.append((self.member_start, message))
        self._input = buffer[found:] + self._input
        self.member_start = start + found
        self._members[self.out_bytes] = self.member_start
        self._decoder, self._fed = _Zlib(), False
        return True

    def corrupt_members(self, before: int | None = None, at: int | None = None) -> list[tuple[int, str]]:
        """The corrupt gzip members skipped (file offset, error) that start before ``before``, or at
        ``at``, or all of them; those returned are forgotten."""
        def wanted(offset: int) -> bool:
            return offset == at if at is not None else before is None or offset < before

        found = [(offset, error) for offset, error in self._corrupt_members if wanted(offset)]
        self._corrupt_members = [entry for entry in self._corrupt_members if not wanted(entry[0])]
        return found

    def member_start_in(self, low: int, high: int) -> int | None:
        """The first decompressed offset in ``[low, high)`` where a gzip member starts, or None."""
        return min((start for start in self._members if low <= start < high), default=None)

    def member_at(self, offset: int) -> int | None:
        """The file offset of the gzip member whose data starts at decompressed ``offset`` (a WARC.gz
        record, written one member per record), or None; members before ``offset`` are forgotten."""
        for start in [start for start in self._members if start < offset]:
            del self._members[start]
        return self._members.pop(offset, None)

    def _only_zero_padding_left(self) -> bool:
        """Whether nothing but NUL bytes follows the last member (tape or block padding, which gzip
        itself ignores); they are consumed. A compressed member never starts with a NUL byte."""
        if self.compression != "gzip":
            return False
        while True:
            self._input = self._input.lstrip(b"\x00")
            if self._input:
                return False
            self._input = self._next_input()
            if not self._input:
                return True

    def _check_limits(self, produced: int) -> None:
        self.out_bytes += produced
        if self.out_bytes > self._max_bytes:
            raise InputError(f"decompressed size exceeds limits.max_decompressed_bytes={self._max_bytes:,}")
        if (
            self.compression != "none"
            and self.out_bytes > BOMB_CHECK_AFTER
            and self.out_bytes > self._max_ratio * max(self.raw_bytes, 1)
        ):
            raise InputError(
                f"decompression bomb: {self.out_bytes:,} bytes from {self.raw_bytes:,} compressed bytes"
                f" exceeds limits.max_compression_ratio={self._max_ratio:g}"
            )

    def readinto(self, target: bytearray | memoryview) -> int:  # type: ignore[override]
        if not self._buffer:
            self._buffer = self._produce()
        n = min(len(target), len(self._buffer))
        target[:n] = self._buffer[:n]
        self._buffer = self._buffer[n:]
        return n

    def close(self) -> None:
        self._raw.close()
        super().close()
