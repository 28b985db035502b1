"""File-like datasets (CSV or Parquet parts in a local folder, a blob or a data lake folder).

Units are the smallest pieces a chunk is made of: a Parquet row group, or a
CSV byte range found by the scan. Rows in messages are numbered within each
part file (1 = the first data row), so an error points at a line of that file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

import numpy as np
import polars as pl

from livecalc_lab.data import _csv, _parquet
from livecalc_lab.data._cache import cache_get, cache_put
from livecalc_lab.data._store import BlobStore, LocalStore, Part, _key, file_format, store_version
from livecalc_lab.data.chunks import ChunkRef
from livecalc_lab.data.filter import Filter
from livecalc_lab.data.schema import ReadOptions, id_kind_of, plan_columns
from livecalc_lab.errors import DataError

__all__ = ["FileBackend", "Unit", "make_file_backend"]


@dataclass(frozen=True)
class Unit:
    """A row group or CSV byte range: ``part`` index, ``[lo, hi)``, rows, bytes, rows before it in its part."""

    part: int
    lo: int
    hi: int
    rows: int
    nbytes: int
    row_base: int


class FileBackend:
    """Reads CSV or Parquet parts from a :class:`LocalStore` or :class:`BlobStore`."""

    def __init__(self, store: LocalStore | BlobStore, opts: ReadOptions, label: str):
        self.store = store
        self.opts = opts
        self.label = label
        self.parts: list[Part] = store.parts()
        self.format = file_format(self.parts, label)
        self._by_name = {p.name: i for i, p in enumerate(self.parts)}
        self._footers: dict[int, _parquet.ParquetFooter] = {}
        self._scans: dict[int, tuple[_csv.CsvLayout, _csv.CsvScan]] = {}
        self._layouts: dict[int, _csv.CsvLayout] = {}
        self._id_kind: str | None = None

    # ---- per part --------------------------------------------------------------------------

    def _source_for_pyarrow(self, i: int) -> Any:
        if isinstance(self.store, LocalStore):
            return str(self.parts[i].label)  # pyarrow opens (and closes) local files itself
        return self.store.open(self.parts[i])

    def footer(self, i: int) -> _parquet.ParquetFooter:
        if i not in self._footers:
            self._footers[i] = _parquet.open_footer(self._source_for_pyarrow(i), self.parts[i].label)
        return self._footers[i]

    def layout(self, i: int) -> _csv.CsvLayout:
        if i not in self._layouts:
            part = self.parts[i]
            with self.store.open(part) as f:
                self._layouts[i] = _csv.sniff(f, part.size, self.opts, part.label)
        return self._layouts[i]

    def csv_scan(self, i: int) -> _csv.CsvScan:
        """The scan of CSV part ``i``, from the cache when its content version has been seen."""
        if i in self._scans:
            return self._scans[i][1]
        part = self.parts[i]
        layout = self.layout(i)
        key = "csv-" + _key("|".join([self.store.fingerprint(part), layout.delimiter, self.opts.encoding]))
        hit = cache_get(key)
        if hit is not None:
            scan = _csv.CsvScan.from_dict(hit)
        else:
            with self.store.open(part) as f:
                scan = _csv.scan(f, part.size, layout, self.opts, part.label)
            cache_put(key, scan.to_dict())
        self._scans[i] = (layout, scan)
        return scan

    # ---- dataset facts ---------------------------------------------------------------------

    def raw_columns(self) -> dict[str, pl.DataType]:
        """Source columns and their types (CSV: all text) as in the first part; every part must agree."""
        if self.format == "parquet":
            first = self.footer(0).columns
            for i in range(1, len(self.parts)):
                if list(self.footer(i).columns) != list(first):
                    raise DataError(f"{self.parts[i].label}: columns differ from {self.parts[0].label}")
            return dict(first)
        first_header = self.layout(0).header
        for i in range(1, len(self.parts)):
            if self.layout(i).header != first_header:
                raise DataError(f"{self.parts[i].label}: header differs from {self.parts[0].label}")
        return {c: pl.String for c in first_header}

    def rows(self) -> int:
        if self.format == "parquet":
            return sum(self.footer(i).rows for i in range(len(self.parts)))
        return sum(self.csv_scan(i).rows for i in range(len(self.parts)))

    def nbytes(self) -> int:
        return sum(p.size for p in self.parts)

    def version(self) -> str:
        hashes = {}
        if self.format == "csv":
            for i, p in enumerate(self.parts):
                hashes[p.name] = self.store.content_hash(p, known=self.csv_scan(i).content_hash)
        return store_version(self.store, self.parts, hashes)

    def id_kind(self) -> str:
        """``"int"`` if every policy id is an integer, else ``"str"`` (decided once for the dataset)."""
        if self._id_kind is None:
            if self.format == "csv":
                kinds = {self.csv_scan(i).id_kind for i in range(len(self.parts))}
                self._id_kind = "str" if "str" in kinds else "int"
            else:
                self._id_kind = self._parquet_id_kind()
        return self._id_kind

    def _parquet_id_kind(self) -> str:
        plan = plan_columns(list(self.raw_columns()), self.opts)
        col = plan.sources.get("policy_id")
        if col is None:
            return "int"
        dtype = self.raw_columns()[col]
        if dtype.is_integer():
            return "int"
        if dtype != pl.String:
            return "str"
        for i in range(len(self.parts)):  # text ids: read the id column only
            fp = self.footer(i)
            for rg in range(len(fp.rg_rows)):
                if id_kind_of(_parquet.read_row_groups(fp, rg, rg + 1, [col], self.parts[i].label)[col]) == "str":
                    return "str"
        return "int"

    # ---- units and chunks ------------------------------------------------------------------

    def units(self) -> list[Unit]:
        out: list[Unit] = []
        for i, part in enumerate(self.parts):
            if self.format == "parquet":
                fp = self.footer(i)
                base = 0
                for rg, (n, b) in enumerate(zip(fp.rg_rows, fp.rg_bytes)):
                    out.append(Unit(i, rg, rg + 1, n, b, base))
                    base += n
            else:
                scan = self.csv_scan(i)
                bounds = [u[0] for u in scan.units] + [scan.data_end]
                counts = [u[1] for u in scan.units] + [scan.rows]
                for k in range(len(scan.units)):
                    out.append(Unit(i, bounds[k], bounds[k + 1], counts[k + 1] - counts[k], bounds[k + 1] - bounds[k], counts[k]))
        return out

    def plan(self, target_bytes: int) -> list[ChunkRef]:
        """Consecutive units of one part, each run up to ``target_bytes`` (at least one unit)."""
        kind = self.id_kind()
        refs: list[ChunkRef] = []
        run: list[Unit] = []

        def flush() -> None:
            if run:
                a, b = run[0], run[-1]
                refs.append(
                    ChunkRef(self.format, self.parts[a.part].name, a.lo, b.hi, a.row_base, kind,
                             rows=sum(u.rows for u in run), nbytes=sum(u.nbytes for u in run))
                )
                run.clear()

        for u in self.units():
            if run and (u.part != run[0].part or sum(x.nbytes for x in run) + u.nbytes > target_bytes):
                flush()
            run.append(u)
        flush()
        return refs

    def read(self, ref: ChunkRef, columns: list[str] | None = None, flt: Filter | None = None,
             take: np.ndarray | None = None) -> Iterator[tuple[pl.DataFrame, np.ndarray, str]]:
        """Yield ``(raw frame, 1-based rows in the part, part label)`` for the chunk ``ref``.

        Parquet row groups whose statistics prove that no row passes ``flt`` are
        not read at all; other filtering happens after strict parsing. ``take``
        (0-based positions within a one-row-group chunk) keeps only those rows.
        """
        if ref.part not in self._by_name:
            raise DataError(f"{self.label}: chunk {ref.encode()!r} names part {ref.part!r}, which is not in the dataset")
        i = self._by_name[ref.part]
        part = self.parts[i]
        if self.format == "csv":
            layout = self.layout(i)
            with self.store.open(part) as f:
                raw = _csv.read_range(f, layout, ref.lo, ref.hi, ref.row_base, self.opts, part.label)
            if columns is not None:
                raw = raw.select([c for c in raw.columns if c in set(columns)])
            yield raw, ref.row_base + 1 + np.arange(raw.height, dtype=np.int64), part.label
            return
        fp = self.footer(i)
        base = ref.row_base
        for rg in range(ref.lo, ref.hi):
            n = fp.rg_rows[rg]
            if flt is None or flt.may_match(_parquet.row_group_stats(fp, rg)):
                raw = _parquet.read_row_groups(fp, rg, rg + 1, columns, part.label, take)
                rows = base + 1 + (np.arange(n, dtype=np.int64) if take is None else np.asarray(take, dtype=np.int64))
                yield raw, rows, part.label
            base += n


def make_file_backend(source: Any, credential: Any, opts: ReadOptions) -> FileBackend:
    """The backend for a ``local``, ``blob`` or ``dataLake`` source."""
    if source.type == "local":
        store: LocalStore | BlobStore = LocalStore(source.path)
        label = str(source.path)
    else:
        loc = source.blob
        folder = source.type == "dataLake"
        snapshot = source.version if folder else None
        label = source.uri
        store = BlobStore(loc, credential, folder=folder, snapshot=snapshot, label=label)
    return FileBackend(store, opts, label)

