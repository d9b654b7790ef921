"""Readers and bad input: nothing aborts the run, nothing is silently dropped."""

from __future__ import annotations

import gzip
import io
import json
import zlib
from pathlib import Path

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard
from conftest import article, basic_pipeline, read_output, write_jsonl

from saring.api import apply_overrides
from saring.config import parse_pipeline
from saring.core.registry import register
from saring.core.stage import DocView, Measured, Stage
from saring.engine.run import run_pipeline


def run(inputs: list[Path | str], out: Path, pipeline_text: str | None = None, **limits: object):
    if pipeline_text is None:
        pipeline = basic_pipeline([Path(p) for p in inputs], out)
    else:
        pipeline = apply_overrides(
            parse_pipeline(pipeline_text), inputs=[str(p) for p in inputs], output=str(out), workers=1
        )
    if limits:
        pipeline = pipeline.model_copy(update={"limits": pipeline.limits.model_copy(update=limits)})
    result = run_pipeline(pipeline, log=lambda m: None)
    assert result.stats.balanced
    return result.stats, read_output(out, "quarantine")


def test_bad_jsonl_lines_are_quarantined_with_their_line(tmp_path: Path) -> None:
    good = {"id": "good", "text": article(1)}
    path = write_jsonl(
        tmp_path / "bad.jsonl",
        [
            good,
            b'{"id": "x", "text": "no end',
            b'{"id": "utf", "text": "caf\xe9 \xff"}',
            {"id": "missing", "body": "no text field"},
            {"id": "null", "text": None},
            {"id": "number", "text": 42},
            b"[1, 2, 3]",
            b"\x00\x01\x02\x89PNG binary garbage \xff\xd8",
            {"id": "empty", "text": ""},
            {"id": "good2", "text": article(2)},
        ],
    )
    stats, quarantine = run([path], tmp_path / "out")
    by_line = {q["source"].rsplit(":", 1)[1]: q for q in quarantine}
    assert set(by_line) == {"2", "3", "4", "5", "6", "7", "8"}
    assert "malformed JSON" in by_line["2"]["error"]
    assert "invalid UTF-8" in by_line["3"]["error"] or "malformed" in by_line["3"]["error"]
    assert "missing" in by_line["4"]["error"] and "'text'" in by_line["4"]["error"]
    assert [by_line[n]["id"] for n in ("2", "4", "5", "6")] == [None, "missing", "null", "number"]  # if read
    assert stats.quarantine_reasons["read: malformed JSON"] >= 1
    assert "null" in by_line["5"]["error"]
    assert "int" in by_line["6"]["error"]
    assert "JSON object" in by_line["7"]["error"]
    assert by_line["2"]["raw"].startswith('{"id": "x"')
    assert stats.documents_in == 10 and stats.kept == 2 and stats.removed == 1 and stats.quarantined == 7


@pytest.mark.parametrize("compression", ["gz", "zst"])
def test_truncated_compressed_file_keeps_what_was_readable(tmp_path: Path, compression: str) -> None:
    records = [{"id": str(i), "text": article(i)} for i in range(300)]
    path = write_jsonl(tmp_path / f"t.jsonl.{compression}", records, compression)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 3])
    stats, quarantine = run([path], tmp_path / "out")
    assert len(quarantine) == 1
    assert "truncated" in quarantine[0]["error"] and "unreadable from line" in quarantine[0]["error"]
    assert 0 < stats.kept < 300
    assert stats.documents_in == stats.kept + stats.removed + 1


@pytest.mark.parametrize(("tail", "quarantined"), [(b"\x00" * 3000, 0), (b"garbage!", 1)])
def test_bytes_after_the_last_gzip_member(tmp_path: Path, tail: bytes, quarantined: int) -> None:
    """NUL padding (as gzip itself allows) ends the file cleanly; other trailing bytes are an error."""
    records = [{"id": str(i), "text": article(i)} for i in range(20)]
    path = write_jsonl(tmp_path / "t.jsonl.gz", records, "gz")
    path.write_bytes(path.read_bytes() + tail)
    stats, quarantine = run([path], tmp_path / "out")
    assert stats.documents_in == 20 + quarantined and len(quarantine) == quarantined


def test_decompression_bomb_is_cut_off(tmp_path: Path) -> None:
    compressor = zstandard.ZstdCompressor(level=19)
    bomb = compressor.compress(
        json.dumps({"id": "a", "text": article(3)}).encode() + b"\n" + b"\x00" * (300 << 20)
    )
    path = tmp_path / "bomb.jsonl.zst"
    path.write_bytes(bomb)
    stats, quarantine = run([path], tmp_path / "out", max_compression_ratio=50.0)
    assert stats.kept == 1
    bombs = [q for q in quarantine if "decompression bomb" in q["error"]]
    assert [q["source"].rsplit(":", 1)[1] for q in bombs] == ["2"]  # the line it is on
    assert bombs[0]["error"].startswith("unreadable from line 2 on")


def test_huge_document_is_quarantined_not_loaded_whole(tmp_path: Path) -> None:
    path = tmp_path / "huge.jsonl"
    with path.open("wb") as handle:
        handle.write(json.dumps({"id": "small", "text": article(4)}).encode() + b"\n")
        handle.write(b'{"id": "huge", "text": "' + b"kata " * (10 << 20) + b'"}\n')  # 50 MB
        handle.write(json.dumps({"id": "after", "text": article(5)}).encode() + b"\n")
    _stats, quarantine = run([path], tmp_path / "out", max_document_bytes=8 << 20)
    assert [r["id"] for r in read_output(tmp_path / "out", "kept")] == ["small", "after"]
    assert len(quarantine) == 1 and "exceeds the line limit" in quarantine[0]["error"]
    assert quarantine[0]["source"].endswith(":2")


def warc_record(
    uri: str,
    html: bytes,
    status: str = "200 OK",
    ctype: str = "text/html; charset=utf-8",
    extra_headers: str = "",
) -> bytes:
    http = f"HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\n{extra_headers}\r\n".encode() + html
    head = (
        f"WARC/1.0\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:{uri}>\r\nWARC-Target-URI: {uri}\r\n"
        f"Content-Type: application/http; msgtype=response\r\nContent-Length: {len(http)}\r\n\r\n"
    ).encode()
    return head + http + b"\r\n\r\n"


def test_warc_with_html_extraction_and_a_broken_record(tmp_path: Path) -> None:
    page = (
        "<html><head><title>t</title><script>var x=1;</script></head><body><nav>Beranda | Kontak</nav>"
        f"<article><h1>Judul</h1>{''.join(f'<p>{line}</p>' for line in article(6).splitlines())}</article>"
        "</body></html>"
    ).encode()
    info = b"WARC/1.0\r\nWARC-Type: warcinfo\r\nContent-Length: 4\r\n\r\ninfo\r\n\r\n"
    broken = b"WARC/1.0\r\nWARC-Type: response\r\nContent-Length: oops\r\n\r\nnoise noise\r\n\r\n"
    members = [
        info,
        warc_record("https://a.example/1", page),
        broken,
        warc_record("https://a.example/2", page),
    ]
    members.append(warc_record("https://a.example/3", b"moved", status="301 Moved"))
    members.append(warc_record("https://a.example/img", b"\x89PNG", ctype="image/png"))
    path = tmp_path / "crawl.warc.gz"
    path.write_bytes(b"".join(gzip.compress(m, mtime=0) for m in members))
    stats, quarantine = run([path], tmp_path / "out")
    kept = read_output(tmp_path / "out", "kept") + read_output(tmp_path / "out", "removed")
    assert [r["url"] for r in kept] == ["https://a.example/1", "https://a.example/2"]
    assert "Kalimat 6-0" in kept[0]["text"] and "var x" not in kept[0]["text"]
    assert len(quarantine) == 1 and "broken WARC record" in quarantine[0]["error"]
    assert quarantine[0]["source"].split("@")[1].isdigit()
    assert sum(stats.skipped.values()) == 3  # warcinfo, a redirect, an image


def test_warc_chunked_payloads_and_a_malformed_one(tmp_path: Path) -> None:
    page = f"<html><body><article><p>{article(8)}</p></article></body></html>".encode()
    chunked = b"".join(f"{len(part):x}\r\n".encode() + part + b"\r\n" for part in (page[:50], page[50:]))
    chunked += b"0\r\n\r\n"
    members = [
        warc_record("https://b.example/chunked", chunked, extra_headers="Transfer-Encoding: chunked\r\n"),
        warc_record(
            "https://b.example/bad", b"zz\r\nnot chunked", extra_headers="Transfer-Encoding: chunked\r\n"
        ),
        warc_record("https://b.example/plain", page),
    ]
    path = tmp_path / "chunked.warc"
    path.write_bytes(b"".join(members))
    stats, quarantine = run([path], tmp_path / "out")
    kept = read_output(tmp_path / "out", "kept") + read_output(tmp_path / "out", "removed")
    assert [r["url"] for r in kept] == ["https://b.example/chunked", "https://b.example/plain"]
    assert "Kalimat 8-0" in kept[0]["text"]
    assert len(quarantine) == 1 and quarantine[0]["error"].startswith("unreadable WARC payload")
    assert stats.documents_in == 3


@pytest.mark.parametrize(
    ("wrong_length", "problem"),
    [
        ("-1", "invalid Content-Length '-1'"),  # read as "to the end of the file", it swallowed the rest
        ("+1200", "the next record starts after"),  # overstated: the start of the next record inside
        ("50", "no record boundary after its 50 bytes"),  # understated
        ("+5000", "the next record starts after"),  # past the end of the file
        ("1000000000000", "exceeds the record limit"),  # skipped: the records after it are not
    ],
)
def test_a_warc_record_with_a_wrong_length_loses_no_other_record(
    tmp_path: Path, wrong_length: str, problem: str
) -> None:
    page = f"<html><body><article><p>{article(5)}</p></article></body></html>".encode()
    members = [warc_record(f"https://c.example/{i}", page) for i in range(4)]
    length = len(members[1].split(b"\r\n\r\n", 1)[1]) - 4
    wrong = str(length + int(wrong_length)) if wrong_length.startswith("+") else wrong_length
    members[1] = members[1].replace(f"Content-Length: {length}".encode(), f"Content-Length: {wrong}".encode())
    path = tmp_path / "lengths.warc"
    path.write_bytes(b"".join(members))
    stats, quarantine = run([path], tmp_path / "out")
    kept = read_output(tmp_path / "out", "kept") + read_output(tmp_path / "out", "removed")
    assert [r["url"] for r in kept] == ["https://c.example/0", "https://c.example/2", "https://c.example/3"]
    assert all(r["text"].count("Kalimat 5-0") == 1 for r in kept)  # no record merged into another
    data = path.read_bytes()
    assert [r["source"] for r in kept] == [f"{path}@{data.index(members[i])}" for i in (0, 2, 3)]
    assert len(quarantine) == 1 and problem in quarantine[0]["error"]
    assert stats.documents_in == 4


@pytest.mark.parametrize("into_next", [1, 3, 6])
def test_a_record_boundary_across_a_read_chunk_is_seen_whole(tmp_path: Path, into_next: int) -> None:
    """The reader's 64 KiB chunk ends inside the next record's "WARC/1.0" line: both records are read."""
    page = f"<html><body><article><p>{article(6)}</p></article></body></html>".encode()
    size = 65536 - into_next
    first = warc_record("https://f.example/0", b"a" * size, ctype="text/plain")
    first = warc_record("https://f.example/0", b"a" * (2 * size - len(first)), ctype="text/plain")
    assert len(first) == size
    path = tmp_path / "chunks.warc"
    path.write_bytes(first + warc_record("https://f.example/1", page))
    stats, quarantine = run([path], tmp_path / "out")
    assert stats.documents_in == 2 and quarantine == []


@pytest.mark.parametrize("length", ["-1", "5\xb2", "oops"])
def test_an_unreadable_content_length_is_quarantined(tmp_path: Path, length: str) -> None:
    page = f"<html><body><article><p>{article(2)}</p></article></body></html>".encode()
    good = warc_record("https://g.example/1", page)
    broken = good.replace(b"Content-Length: ", b"Content-Length: " + length.encode("latin-1") + b"\r\nX: ")
    path = tmp_path / "length.warc"
    path.write_bytes(broken + good)
    stats, quarantine = run([path], tmp_path / "out")
    assert stats.documents_in == 2 and len(quarantine) == 1
    assert "invalid Content-Length" in quarantine[0]["error"]


def test_a_corrupt_gzip_member_costs_the_records_from_it_on_not_the_one_before(tmp_path: Path) -> None:
    page = f"<html><body><article><p>{article(8)}</p></article></body></html>".encode()
    members = [gzip.compress(warc_record(f"https://i.example/{i}", page), mtime=0) for i in range(4)]
    members[2] = members[2][: len(members[2]) // 2] + b"\x00" * 8  # corrupt in the middle
    path = tmp_path / "corrupt.warc.gz"
    path.write_bytes(b"".join(members))
    _, quarantine = run([path], tmp_path / "out")
    kept = read_output(tmp_path / "out", "kept") + read_output(tmp_path / "out", "removed")
    assert [r["url"] for r in kept] == ["https://i.example/0", "https://i.example/1"]
    corrupt_at = len(members[0]) + len(members[1])
    assert [q["source"].rsplit("@", 1)[1] for q in quarantine] == [str(corrupt_at)]  # the member's place
    assert quarantine[0]["error"].startswith(f"unreadable from offset {corrupt_at:,} on")


def test_records_after_a_broken_header_keep_their_offsets(tmp_path: Path) -> None:
    page = f"<html><body><article><p>{article(9)}</p></article></body></html>".encode()
    bad = (
        b"WARC/1.0\r\nWARC-Type: response\r\nthis line has no colon\r\nContent-Length: 5\r\n\r\nhello\r\n\r\n"
    )
    records = [
        warc_record("https://j.example/0", page),
        bad,
        *(warc_record(f"https://j.example/{i}", page) for i in (2, 3)),
    ]
    path = tmp_path / "header.warc"
    path.write_bytes(b"".join(records))
    _, quarantine = run([path], tmp_path / "out")
    kept = read_output(tmp_path / "out", "kept") + read_output(tmp_path / "out", "removed")
    starts = [sum(len(r) for r in records[:i]) for i in range(4)]
    assert [int(r["source"].rsplit("@", 1)[1]) for r in kept] == [starts[0], starts[2], starts[3]]
    assert [int(q["source"].rsplit("@", 1)[1]) for q in quarantine] == [starts[1]]


def test_a_warc_gz_record_is_placed_at_its_gzip_member(tmp_path: Path) -> None:
    """As in Common Crawl's indexes: the offset is where the record's member starts in the file."""
    page = f"<html><body><article><p>{article(4)}</p></article></body></html>".encode()
    members = [gzip.compress(warc_record(f"https://e.example/{i}", page), mtime=0) for i in range(3)]
    path = tmp_path / "members.warc.gz"
    data = b"".join(members)
    path.write_bytes(data)
    run([path], tmp_path / "out")
    kept = read_output(tmp_path / "out", "kept") + read_output(tmp_path / "out", "removed")
    for record in kept:
        offset = int(record["source"].rsplit("@", 1)[1])
        member = zlib.decompressobj(wbits=47).decompress(data[offset:])
        assert member.startswith(b"WARC/1.0") and record["url"].encode() in member
    starts = [0, len(members[0]), len(members[0]) + len(members[1])]
    assert sorted(int(r["source"].rsplit("@", 1)[1]) for r in kept) == starts


def test_a_warc_response_without_an_http_status_line_is_quarantined(tmp_path: Path) -> None:
    page = f"<html><body><article><p>{article(3)}</p></article></body></html>".encode()
    broken = warc_record("https://d.example/bad", page, status="OK")  # "HTTP/1.1 OK"
    path = tmp_path / "status.warc"
    path.write_bytes(broken + warc_record("https://d.example/good", page))
    stats, quarantine = run([path], tmp_path / "out")
    assert stats.documents_in == 2 and not stats.skipped
    assert len(quarantine) == 1 and quarantine[0]["error"].endswith("no HTTP status line")


def test_csv_tsv_parquet_and_text_folders(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text(
        'doc,body,link\n1,"' + article(7).replace("\n", " ") + '",https://c/1\n', "utf-8"
    )
    (tmp_path / "b.tsv").write_text("id\ttext\n2\t" + article(8).replace("\n", " ") + "\n", "utf-8")
    table = pa.table({"id": ["3", "4"], "text": [article(9), article(10)], "lang": ["id", "id"]})
    pq.write_table(table, tmp_path / "c.parquet")
    folder = tmp_path / "texts"
    folder.mkdir()
    (folder / "d.txt").write_text(article(11), "utf-8")
    (folder / "e.txt").write_bytes(b"valid start \xff\xfe invalid")
    pipeline = (
        f"inputs:\n  - path: {tmp_path}/a.csv\n    fields: {{text: body, id: doc, url: link}}\n"
        f"  - {tmp_path}/b.tsv\n  - {tmp_path}/c.parquet\n  - {tmp_path}/texts\n"
        "stages:\n  - stage: length\n    min_words: 3\n"
    )
    out = tmp_path / "out"
    result = run_pipeline(
        apply_overrides(parse_pipeline(pipeline), output=str(out), workers=1), log=lambda m: None
    )
    kept = read_output(out, "kept")
    assert sorted(r["id"] for r in kept) == sorted(["1", "2", "3", "4", str(folder / "d.txt")])
    assert next(r for r in kept if r["id"] == "1")["url"] == "https://c/1"
    assert json.loads(next(r for r in kept if r["id"] == "3")["metadata"]) == {"lang": "id"}
    quarantine = read_output(out, "quarantine")
    assert len(quarantine) == 1 and "invalid UTF-8 at byte offset 12" in quarantine[0]["error"]
    assert result.stats.balanced
    parquet = result.stats.inputs[str(tmp_path / "c.parquet")]  # hashed like the streamed inputs
    assert parquet["bytes"] == (tmp_path / "c.parquet").stat().st_size and len(parquet["xxh64"]) == 16


def _kept_ids_and_errors(inputs: list[Path], out: Path, **limits: object) -> tuple[list[str], list[str]]:
    _, quarantine = run(inputs, out, **limits)
    kept = read_output(out, "kept") + read_output(out, "removed")
    errors = [f"{q['source'].rsplit('/', 1)[1]} {q['error']}" for q in quarantine]
    return sorted(r["id"] for r in kept), errors


def test_a_stray_quote_in_a_tsv_row_costs_that_row_only(tmp_path: Path) -> None:
    rows = [f"t{i}\t{article(i).replace(chr(10), ' ')}" for i in range(5)]
    rows[2] = 't2\t"' + rows[2].split("\t")[1]  # an opening quote that never closes
    rows[3] = 't3\t"quoted, with a\ttab"'  # quoting within a line still works
    path = tmp_path / "rows.tsv"
    path.write_text("id\ttext\n" + "\n".join(rows) + "\n", "utf-8")
    ids, errors = _kept_ids_and_errors([path], tmp_path / "out")
    assert ids == ["t0", "t1", "t3", "t4"]
    assert errors == ["rows.tsv:4 unreadable line: a quote that does not close on it or on a whole row"]
    kept = read_output(tmp_path / "out", "kept") + read_output(tmp_path / "out", "removed")
    assert next(r for r in kept if r["id"] == "t3")["text"] == "quoted, with a\ttab"


def test_tsv_quoted_fields_may_span_lines_when_they_close_on_a_whole_row(tmp_path: Path) -> None:
    body = article(3).replace("\n", " ")
    text = (
        f'id\ttext\turl\n1\t"{body}\nparagraf dua, dengan ""kutipan"""\thttps://x/1\n'  # as pandas writes it
        f"2\t{body}\thttps://x/2\n"
    )
    (tmp_path / "multi.tsv").write_text(text, "utf-8")
    ids, errors = _kept_ids_and_errors([tmp_path / "multi.tsv"], tmp_path / "out")
    kept = read_output(tmp_path / "out", "kept") + read_output(tmp_path / "out", "removed")
    assert ids == ["1", "2"] and errors == []
    assert next(r for r in kept if r["id"] == "1")["text"] == f'{body}\nparagraf dua, dengan "kutipan"'
    (tmp_path / "header.tsv").write_text(f'id\t"text\n1\t{body}\n2\t{body}\n', "utf-8")
    ids, errors = _kept_ids_and_errors([tmp_path / "header.tsv"], tmp_path / "out2")
    assert ids == [] and errors == ["header.tsv:1 unreadable from line 1 on: an unclosed quote in the header"]


def test_a_stray_tsv_quote_closed_by_an_inch_mark_rows_below_glues_no_rows(tmp_path: Path) -> None:
    body = article(5).replace("\n", " ")
    text = f'id\ttext\turl\n1\t{body}\thttps://x/1\n2\t"Harga TV murah\thttps://x/2\n3\tLayar TV 32"\thttps://x/3\n'
    (tmp_path / "inch.tsv").write_text(text + f'4\t"{body}\nparagraf dua"\n', "utf-8")  # short multi-line row
    ids, errors = _kept_ids_and_errors([tmp_path / "inch.tsv"], tmp_path / "out")
    assert ids == ["1", "3", "4"]
    assert errors == ["inch.tsv:3 unreadable line: a quote that does not close on it or on a whole row"]


def test_a_multi_line_csv_record_is_placed_at_its_first_line(tmp_path: Path) -> None:
    (tmp_path / "m.csv").write_text(f'id,text\n1,"{article(1)}"\n2,{article(2).splitlines()[0]}\n', "utf-8")
    run([tmp_path / "m.csv"], tmp_path / "out")
    kept = read_output(tmp_path / "out", "kept") + read_output(tmp_path / "out", "removed")
    assert [r["source"].rsplit(":", 1)[1] for r in kept] == ["2", str(2 + len(article(1).splitlines()))]


@pytest.mark.parametrize("suffix", ["csv", "tsv"])
def test_a_header_naming_the_text_column_twice_is_an_error(tmp_path: Path, suffix: str) -> None:
    sep = "," if suffix == "csv" else "\t"
    path = tmp_path / f"twice.{suffix}"
    path.write_text(sep.join(["id", "text", "text"]) + "\n" + sep.join(["1", "satu", "dua"]) + "\n", "utf-8")
    ids, errors = _kept_ids_and_errors([path], tmp_path / "out")
    problem = "unreadable from line 1 on: the header names ['text'] more than once"
    assert ids == [] and errors == [f"twice.{suffix}:1 {problem}"]


def test_an_oversized_csv_field_costs_its_row_only(tmp_path: Path) -> None:
    rows = [f"c{i},{article(i).replace(chr(10), ' ')}" for i in range(4)]
    rows[1] = "c1," + "panjang " * 2000
    path = tmp_path / "rows.csv"
    path.write_text("id,text\n" + "\n".join(rows) + "\n", "utf-8")
    ids, errors = _kept_ids_and_errors([path], tmp_path / "out", max_document_bytes=5000)
    assert ids == ["c0", "c2", "c3"]
    assert errors == ["rows.csv:3 document of 16,000 bytes exceeds limits.max_document_bytes"]


def test_a_byte_order_mark_is_not_part_of_the_first_field(tmp_path: Path) -> None:
    bom = "\ufeff"
    (tmp_path / "a.csv").write_text(f"{bom}text,id\n{article(1).replace(chr(10), ' ')},a1\n", "utf-8")
    write_jsonl(tmp_path / "b.jsonl", [bom.encode() + json.dumps({"id": "b1", "text": article(2)}).encode()])
    ids, errors = _kept_ids_and_errors([tmp_path / "a.csv", tmp_path / "b.jsonl"], tmp_path / "out")
    assert ids == ["a1", "b1"] and errors == []


def test_a_binary_parquet_text_column_is_read_as_utf8(tmp_path: Path) -> None:
    texts = [article(i).encode() for i in range(3)] + [b"\xff\xfe bukan teks"]
    table = pa.table({"id": ["a", "b", "c", "d"], "text": pa.array(texts, pa.large_binary())})
    pq.write_table(table, tmp_path / "binary.parquet")
    ids, errors = _kept_ids_and_errors([tmp_path / "binary.parquet"], tmp_path / "out")
    assert ids == ["a", "b", "c"] and len(errors) == 1 and "invalid UTF-8" in errors[0]


def test_parquet_rows_with_invalid_utf8_or_binary_metadata(tmp_path: Path) -> None:
    texts = [article(i).encode() for i in range(4)]
    texts[2] = b"abc \xff\xfe " + texts[2]
    broken = pa.Array.from_buffers(pa.string(), 4, pa.array(texts, pa.binary()).buffers())
    table = pa.table({"id": [f"p{i}" for i in range(4)], "text": broken, "hash": [b"\x00\x01"] * 4})
    pq.write_table(table, tmp_path / "rows.parquet")
    ids, errors = _kept_ids_and_errors([tmp_path / "rows.parquet"], tmp_path / "out")
    assert ids == ["p0", "p1", "p3"]
    assert len(errors) == 1 and errors[0].startswith("rows.parquet#row=2 invalid UTF-8 in a text column")
    kept = read_output(tmp_path / "out", "kept") + read_output(tmp_path / "out", "removed")
    assert json.loads(kept[0]["metadata"]) == {"hash": "AAE="}  # bytes as base64


def test_files_of_an_input_folder_that_are_not_read_are_reported(tmp_path: Path) -> None:
    folder = tmp_path / "crawl"
    folder.mkdir()
    write_jsonl(folder / "a.jsonl", [{"id": "a", "text": article(1)}])
    (folder / "notes.rst").write_text("catatan", "utf-8")
    (folder / "b.jsonl.xz").write_bytes(b"\xfd7zXZ")
    out = folder / "out"  # the output inside the input folder: a rerun must not read it
    for _ in range(2):
        messages: list[str] = []
        pipeline = basic_pipeline([folder], out)
        result = run_pipeline(pipeline, overwrite=True, log=messages.append)
        assert result.stats.documents_in == 1
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    ignored = manifest["ignored_inputs"]["files"]
    assert ignored[str(folder / "notes.rst")].startswith("unknown format")
    assert ignored[str(folder / "b.jsonl.xz")].startswith("unknown format")
    assert ignored[str(out / "stats.json")] == "inside the output folder"
    assert any(m.startswith("not read: 2 files in the input folders, unknown format") for m in messages)
    (folder / "b.jsonl.xz").unlink()
    glob = basic_pipeline([folder / "**" / "*.jsonl*"], folder / "out" / "kept" / "..")  # kept/*.jsonl.zst
    assert run_pipeline(glob, overwrite=True, log=messages.append).stats.documents_in == 1


def test_fsspec_memory_filesystem_for_input_and_output(tmp_path: Path) -> None:
    fs = fsspec.filesystem("memory")
    with fs.open("/corpus/in.jsonl", "wb") as handle:
        handle.write(
            b"".join(json.dumps({"id": str(i), "text": article(i)}).encode() + b"\n" for i in range(5))
        )
    pipeline = apply_overrides(
        basic_pipeline([], tmp_path), inputs=["memory://corpus/in.jsonl"], output="memory://out"
    )
    result = run_pipeline(pipeline, log=lambda m: None)
    assert result.stats.kept == 5
    with fs.open("/out/kept/part-00000-00000.jsonl.zst", "rb") as handle:
        data = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(handle.read())).read()
    assert data.count(b"\n") == 5
    assert fs.exists("/out/stats.json")


class _SlowParams(Stage.Params):
    pass


@register
class _Pathological(Stage):
    """A stage that never finishes on documents containing STUCK (for the time-limit test)."""

    name = "test_pathological"

    def measure(self, docs: DocView) -> Measured:
        for text in docs.texts:
            while "STUCK" in text:
                pass
        return Measured()


def test_a_record_that_stalls_a_stage_is_quarantined(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "in.jsonl",
        [
            {"id": "a", "text": article(1)},
            {"id": "b", "text": "STUCK " + article(2)},
            {"id": "c", "text": article(3)},
        ],
    )
    stats, quarantine = run(
        [path], tmp_path / "out", "stages:\n  - stage: test_pathological\n", record_seconds=0.5
    )
    assert [q["id"] for q in quarantine] == ["b"]
    assert quarantine[0]["stage"] == "test_pathological" and "time limit" in quarantine[0]["error"]
    assert stats.kept == 2
    assert stats.stages["test_pathological"].retried_batches == {"time limit": 1}


def test_parquet_output_loads_with_pyarrow(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "in.jsonl", [{"id": str(i), "text": article(i % 3)} for i in range(6)] + [b"bad"]
    )
    pipeline = basic_pipeline([path], tmp_path / "out")
    pipeline = pipeline.model_copy(
        update={"output": pipeline.output.model_copy(update={"format": "parquet"})}
    )
    run_pipeline(pipeline, log=lambda m: None)
    kept = pq.read_table(tmp_path / "out" / "kept" / "part-00000-00000.parquet")
    removed = pq.read_table(tmp_path / "out" / "removed" / "part-00000-00000.parquet")
    assert kept.num_rows == 3 and removed.num_rows == 3
    assert removed.column("removed").to_pylist()[0] == {"stage": "exact_dedup", "reason": "duplicate_text"}
    assert "length.words" in kept.schema.field("signals").type.names
    assert pq.read_table(tmp_path / "out" / "quarantine" / "part-00000-00000.parquet").num_rows == 1
