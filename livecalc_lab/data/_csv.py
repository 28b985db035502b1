"""CSV: sniffing the header, one streaming scan for metadata, and reading byte ranges.

The scan reads the file once in blocks, finds record ends (newlines outside
double quotes), validates the encoding, hashes every byte (xxh3-128: the content
version) and notes a boundary every ``unit`` bytes with the number of rows
before it. Chunks are runs of these units, so a worker reads a chunk by seeking
to its first byte: no other part of the file is touched. Trailing blank lines
at the end of the file are not rows; blank lines elsewhere are (and fail
strict parsing as empty values).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any, BinaryIO

import numpy as np
import polars as pl

from livecalc_lab.data.schema import ReadOptions, id_kind_of, plan_columns
from livecalc_lab.errors import DataError

__all__ = ["CsvLayout", "CsvScan", "sniff", "scan", "read_range"]

BOM = b"\xef\xbb\xbf"
DELIMITERS = (",", ";", "\t", "|")
_MIN_UNIT = 1 << 10
_MAX_UNIT = 16 << 20
_BLOCK = 16 << 20


@dataclass(frozen=True)
class CsvLayout:
    """The header of a CSV file: delimiter, column names, the raw header record and where data starts."""

    delimiter: str
    header: list[str]
    header_bytes: bytes
    data_start: int


@dataclass(frozen=True)
class CsvScan:
    """What one pass over a CSV file learns.

    ``units`` are ``(byte offset, rows before it)`` pairs, the first at
    ``data_start``; ``data_end`` excludes trailing blank lines.
    """

    rows: int
    units: list[tuple[int, int]]
    data_end: int
    content_hash: str
    id_kind: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "units": self.units,
            "data_end": self.data_end,
            "content_hash": self.content_hash,
            "id_kind": self.id_kind,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "CsvScan":
        return cls(d["rows"], [tuple(u) for u in d["units"]], d["data_end"], d["content_hash"], d["id_kind"])


def record_ends(buf: bytes) -> np.ndarray:
    """Offsets of the newlines that end records in ``buf`` (which starts at a record start)."""
    a = np.frombuffer(buf, dtype=np.uint8)
    nl = np.flatnonzero(a == 10)
    if buf.find(b'"') < 0:
        return nl
    quotes = np.flatnonzero(a == 34)
    # A newline ends a record when an even number of quotes precede it (a doubled "" counts twice).
    return nl[np.searchsorted(quotes, nl) % 2 == 0]


def _decode(data: bytes, opts: ReadOptions, label: str, row_base: int) -> str | None:
    """Check the encoding; returns text only when it must be re-encoded for polars (cp1252)."""
    if opts.encoding == "cp1252":
        return data.decode("cp1252", errors="replace")
    if data.isascii():
        return None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        row = row_base + data.count(b"\n", 0, exc.start) + 1
        bad = data[exc.start : exc.start + 4]
        raise DataError(
            f"{label} row {row:,}: bytes {bad!r} are not valid UTF-8 "
            "(pass encoding='cp1252' if the file was saved by Excel on Windows)"
        ) from None
    return None


def sniff(f: BinaryIO, size: int, opts: ReadOptions, label: str) -> CsvLayout:
    """Read the header record: BOM, delimiter (given or guessed), column names."""
    head = f.read(min(size, 1 << 20))
    bom = len(BOM) if head.startswith(BOM) else 0
    if bom and opts.encoding == "cp1252":
        raise DataError(f"{label}: starts with a UTF-8 byte-order mark, but encoding='cp1252' was given")
    ends = record_ends(head[bom:])
    if len(ends):
        header_bytes = head[bom : bom + int(ends[0]) + 1]
    elif len(head) == size:
        header_bytes = head[bom:] + b"\n"
    else:
        raise DataError(f"{label}: the header record is longer than 1 MiB")
    data_start = bom + len(header_bytes) if len(ends) else size
    text = header_bytes.decode("cp1252" if opts.encoding == "cp1252" else "utf-8", errors="replace").rstrip("\r\n")
    if not text.strip():
        raise DataError(f"{label}: empty file (no header)")
    delimiter = opts.delimiter
    if delimiter is None:
        found = [d for d in DELIMITERS if d in text]
        if len(found) > 1:
            names = " and ".join("tab" if d == "\t" else repr(d) for d in found)
            raise DataError(f"{label}: cannot tell the delimiter: the header holds {names}; pass delimiter=")
        delimiter = found[0] if found else ","
    header = next(csv.reader([text], delimiter=delimiter))
    return CsvLayout(delimiter, header, header_bytes, data_start)


def _split_points(region: bytes, unit: int, ends: np.ndarray | None) -> tuple[list[int], list[int]]:
    """Record boundaries about every ``unit`` bytes inside ``region`` and the rows before each.

    Returns ``(offsets, rows_before)``, both starting with ``(0, 0)``, plus the total
    rows as the last ``rows_before`` entry (with ``len(region)`` as the last offset).
    """
    offsets, counts = [0], [0]
    if ends is None:  # no quotes: every newline ends a record
        prev = 0
        for target in range(unit, len(region), unit):
            cut = region.rfind(b"\n", prev, target) + 1
            if cut > prev:
                counts.append(counts[-1] + region.count(b"\n", prev, cut))
                offsets.append(cut)
                prev = cut
        counts.append(counts[-1] + region.count(b"\n", prev))
    else:
        for target in range(unit, len(region), unit):
            k = int(np.searchsorted(ends, target))  # records ending before ``target``
            if k and int(ends[k - 1]) + 1 > offsets[-1]:
                offsets.append(int(ends[k - 1]) + 1)
                counts.append(k)
        counts.append(len(ends))
    offsets.append(len(region))
    return offsets, counts


def _record_cut(buf: bytes) -> tuple[int, np.ndarray | None]:
    """Offset just past the last complete record in ``buf`` (0 if none), and the record ends
    when ``buf`` holds quotes (None: every newline ends a record)."""
    if buf.find(b'"') < 0:
        return buf.rfind(b"\n") + 1, None
    ends = record_ends(buf)
    return (int(ends[-1]) + 1 if len(ends) else 0), ends


def _blank_tail(buf: bytes, end: int) -> int:
    """``end`` moved back over trailing CR/LF bytes."""
    while end and buf[end - 1] in (10, 13):
        end -= 1
    return end


def _region(buf: bytes, at_eof: bool, exact: bool) -> tuple[int, int, bytes, np.ndarray | None]:
    """Cut ``buf`` after its last complete record: ``(take, core, region, record ends)``.

    ``take`` is where the rest of ``buf`` starts, ``core`` excludes trailing blank lines
    (0: nothing but blank lines), ``region`` holds the records (ending with a newline).
    Not ``exact``: every newline ends a record (no quoted field holds a newline);
    ``exact``: quotes are followed (``ends`` lists the record ends).
    """
    ends = None
    if at_eof:
        take = len(buf)
    elif exact:
        take, ends = _record_cut(buf)
    else:
        take = buf.rfind(b"\n") + 1
    core = _blank_tail(buf, take)
    if not core:
        return take, 0, b"", None
    take = core + (2 if buf[core : core + 2] == b"\r\n" else 1)
    region = buf[:take] if take <= len(buf) else buf + b"\n"
    if exact:
        ends = record_ends(region)
    return take, core, region, ends


def scan(f: BinaryIO, size: int, layout: CsvLayout, opts: ReadOptions, label: str) -> CsvScan:
    """One streaming pass: rows, unit boundaries, content hash and how ids are held.

    The file is read in 16 MiB blocks. Most work is done by ``bytes`` methods
    (``rfind``, ``count``, ``isascii``), xxh3, and one polars parse of one column
    per block, which also tells whether any quoted field holds a newline; only
    then are quotes followed byte by byte (numpy).
    """
    import xxhash

    digest = xxhash.xxh3_128()
    f.seek(0)
    digest.update(f.read(layout.data_start))
    unit = min(max(size // 256, _MIN_UNIT), _MAX_UNIT)
    plan = plan_columns(layout.header, opts)
    id_col = plan.sources.get("policy_id")
    probe = layout.header.index(id_col) if id_col in layout.header else 0
    units: list[tuple[int, int]] = []
    kind = "int"
    rows = 0
    pos = layout.data_start  # file offset of ``pending``
    pending = b""
    data_end = layout.data_start
    while True:
        block = f.read(_BLOCK)
        digest.update(block)
        buf = pending + block if pending else block
        at_eof = not block
        take, core, region, ends = _region(buf, at_eof, exact=False)
        if not core:  # nothing but blank lines so far: hold them until data follows, drop them at the end
            if at_eof:
                break
            pending = buf
            continue
        _decode(region, opts, label, rows)
        quoted = region.find(b'"') >= 0
        column = None
        offsets, counts = _split_points(region, unit, None)
        if quoted or (id_col is not None and kind == "int"):
            column = _parse_column(region, layout, opts, label, rows, probe)
            if quoted and len(column) != counts[-1]:  # a quoted field holds a newline: follow the quotes
                take, core, region, ends = _region(buf, at_eof, exact=True)
                column = _parse_column(region, layout, opts, label, rows, probe)
                offsets, counts = _split_points(region, unit, ends)
        units += [(pos + o, rows + c) for o, c in zip(offsets[:-1], counts[:-1])]
        if id_col is not None and kind == "int":
            kind = id_kind_of(column)
        rows += counts[-1]
        data_end = pos + core
        if at_eof:
            break
        pos += take
        pending = buf[take:]
    return CsvScan(rows, units, data_end, f"xxh3:{digest.hexdigest()}", kind)


def _parse_column(region: bytes, layout: CsvLayout, opts: ReadOptions, label: str, row_base: int, index: int) -> pl.Series:
    """Column ``index`` of the records in ``region`` (no header), as text."""
    data = region.decode("cp1252", errors="replace").encode("utf-8") if opts.encoding == "cp1252" else region
    try:
        frame = pl.read_csv(data, separator=layout.delimiter, has_header=False, columns=[index], infer_schema=False,
                            quote_char='"', raise_if_empty=False)
    except pl.exceptions.PolarsError as exc:
        raise DataError(_ragged_message(layout.header_bytes + data, layout, label, row_base, exc)) from None
    return frame.to_series() if frame.width else pl.Series([], dtype=pl.String)


def _parse(data: bytes, layout: CsvLayout, opts: ReadOptions, label: str, row_base: int) -> pl.DataFrame:
    text = _decode(data, opts, label, row_base)
    header = layout.header_bytes
    if text is not None:  # cp1252: polars reads UTF-8 only
        payload = (header.decode("cp1252", errors="replace") + text).encode("utf-8")
    else:
        payload = header + data
    try:
        return pl.read_csv(
            io.BytesIO(payload),
            separator=layout.delimiter,
            has_header=True,
            infer_schema=False,
            quote_char='"',
            raise_if_empty=False,
        )
    except pl.exceptions.PolarsError as exc:
        raise DataError(_ragged_message(payload, layout, label, row_base, exc)) from None


def _ragged_message(payload: bytes, layout: CsvLayout, label: str, row_base: int, exc: Exception) -> str:
    text = payload.decode("utf-8", errors="replace")
    reader = csv.reader(io.StringIO(text), delimiter=layout.delimiter)
    width = len(next(reader))
    for i, rec in enumerate(reader, start=1):
        if len(rec) > width:
            return f"{label} row {row_base + i:,}: {len(rec)} fields, but the header has {width}"
    return f"{label}: rows {row_base + 1:,} on cannot be parsed as CSV: {str(exc).splitlines()[0]}"


def read_range(f: BinaryIO, layout: CsvLayout, start: int, end: int, row_base: int, opts: ReadOptions, label: str) -> pl.DataFrame:
    """Rows from byte ``start`` to ``end`` (record boundaries from a scan), all columns as text."""
    f.seek(start)
    data = f.read(end - start)
    if data and not data.endswith(b"\n"):
        data += b"\n"
    return _parse(data, layout, opts, label, row_base)
