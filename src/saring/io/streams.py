"""Bounded, checksummed byte streams: decompression that detects truncation and bombs."""

from __future__ import annotations

import bz2
import io
import zlib
from typing import BinaryIO

import xxhash
import zstandard

CHUNK = 64 * 1024
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
        out = self._obj.decompress(self._obj.unconsumed_tail + data, MAX_OUT)
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
                raise InputError(
                    f"corrupt {self.compression} data after {self.raw_bytes:,} bytes: {error}"
                ) from None
            if out:
                try:
                    self._check_limits(len(out))
                except InputError as error:  # hand out this chunk first; the next read fails
                    self._error = error
                return out

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
