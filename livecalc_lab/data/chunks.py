"""Chunk ids: everything a worker needs, besides the PolicySource, to read one chunk.

A chunk id is a ``/``-separated, percent-encoded string::

    csv/int/policies.csv/4096/81920/37          CSV part, bytes [4096, 81920), 37 rows before it
    parquet/int/part-0001.parquet/0/4/0         Parquet part, row groups [0, 4), 0 rows before
    sql/str/policies/%22A100%22/%22B200%22/1000  table, ids in ["A100", "B200"), 1,000 rows before

fields: format, how ids are held (``int``/``str``, decided once per dataset so
every chunk agrees), part (file name within the dataset, or the table), the
start and end (bytes, row groups, or JSON-encoded ids, ``null`` = open), and
the rows before the chunk in its part (for row numbers in messages).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote

from livecalc_lab.errors import DataError

__all__ = ["ChunkRef", "Chunk"]

FORMATS = ("csv", "parquet", "sql")


@dataclass(frozen=True)
class ChunkRef:
    """A decoded chunk id (see the module docstring); ``rows``/``nbytes`` are planning estimates."""

    format: str
    part: str
    lo: Any
    hi: Any
    row_base: int
    id_kind: str
    rows: int = field(default=0, compare=False)
    nbytes: int = field(default=0, compare=False)

    def encode(self) -> str:
        """The chunk id string."""
        bounds = (str(self.lo), str(self.hi)) if self.format != "sql" else (json.dumps(self.lo), json.dumps(self.hi))
        fields_ = [self.format, self.id_kind, self.part, *bounds, str(self.row_base)]
        return "/".join(quote(f, safe="") for f in fields_)

    @classmethod
    def decode(cls, chunk_id: str) -> "ChunkRef":
        """Inverse of :meth:`encode`.

        Raises
        ------
        DataError
            Not a chunk id.
        """
        pieces = [unquote(p) for p in str(chunk_id).split("/")]
        try:
            fmt, kind, part, lo, hi, base = pieces
            if fmt not in FORMATS or kind not in ("int", "str"):
                raise ValueError
            if fmt == "sql":
                return cls(fmt, part, json.loads(lo), json.loads(hi), int(base), kind)
            return cls(fmt, part, int(lo), int(hi), int(base), kind)
        except ValueError:
            raise DataError(f"{chunk_id!r} is not a chunk id") from None


@dataclass(frozen=True)
class Chunk:
    """One chunk of a dataset, as planned by :meth:`Dataset.iter_chunks`.

    Attributes
    ----------
    id : str
        Readable by any worker with ``open_dataset(source).read_chunk(id)``.
    index : int
        Position in the plan (0-based).
    rows : int
        Rows stored in the chunk's range (before any filter).
    bytes : int
        Bytes of the range: as stored for CSV, an estimate of the decoded
        columns for Parquet, estimated from the table's size for SQL.
    """

    id: str
    index: int
    rows: int
    bytes: int
