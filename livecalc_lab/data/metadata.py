"""What :attr:`Dataset.metadata` and :meth:`Dataset.schema` report."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import polars as pl

from livecalc_lab.data.schema import DERIVED_FROM, ColumnPlan
from livecalc_lab.data.source import PolicySource
from livecalc_lab.model.policies import POLICY_COLUMNS

if TYPE_CHECKING:
    from livecalc_lab.data.dataset import Dataset

__all__ = ["Metadata", "SchemaReport"]


@dataclass(frozen=True, repr=False, eq=False)
class Metadata:
    """What a dataset holds, found without loading it.

    Attributes
    ----------
    rows : int
        Rows stored (before any filter).
    bytes : int
        Stored size: file bytes, blob bytes, or the table's storage (SQLite: the database file).
    columns : dict[str, polars.DataType]
        Each column as read: the policy columns in the canonical schema (``policy_id``
        Int64 when every id is an integer, else String), other columns as stored
        (text for CSV).
    format : {"csv", "parquet", "sql"}
    parts : int
        Files or blobs in the dataset (1 for a table).
    source : PolicySource
    version : str or None
        Content version (see :attr:`Dataset.version`); computed on first access.
    """

    dataset: "Dataset"
    rows: int
    bytes: int
    columns: dict[str, pl.DataType]
    format: str
    parts: int

    @property
    def source(self) -> PolicySource:
        return self.dataset.source

    @property
    def version(self) -> str | None:
        return self.dataset.version

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values (dtypes as their names)."""
        return {
            "source": self.source.to_dict(),
            "rows": self.rows,
            "bytes": self.bytes,
            "columns": {k: str(v) for k, v in self.columns.items()},
            "format": self.format,
            "parts": self.parts,
            "version": self.version,
        }

    def __repr__(self) -> str:
        return f"Metadata(rows={self.rows:,}, bytes={self.bytes:,}, format={self.format!r}, columns={len(self.columns)})"



@dataclass(frozen=True)
class SchemaReport:
    """What :meth:`Dataset.schema` found: the source columns and how each policy column is obtained.

    Attributes
    ----------
    label : str
        The dataset, as named in messages.
    columns : dict[str, polars.DataType]
        Source columns as stored.
    plan : ColumnPlan
        Policy column → source column, ``"derived"`` (from dates) or ``"default"``
        (``plan.sources``); required columns neither present nor derivable
        (``plan.missing``); other source columns (``plan.extra``).
    """

    label: str
    columns: dict[str, pl.DataType]
    plan: ColumnPlan

    @property
    def sources(self) -> dict[str, str]:
        return self.plan.sources

    @property
    def missing(self) -> list[str]:
        return self.plan.missing

    @property
    def extra(self) -> list[str]:
        return self.plan.extra

    @property
    def ok(self) -> bool:
        """True when every required policy column is present or derivable."""
        return not self.missing

    def __str__(self) -> str:
        lines = [f"{self.label}:"]
        for name in ["policy_id", *POLICY_COLUMNS]:
            how = self.sources.get(name)
            if how is None:
                lines.append(f"  {name:<14} MISSING")
            elif how in ("derived", "default"):
                what = f"derived from {' and '.join(DERIVED_FROM[name])}" if how == "derived" else "0 (new business)"
                lines.append(f"  {name:<14} {what}")
            else:
                lines.append(f"  {name:<14} from column {how!r} ({self.columns[how]})")
        if self.missing:
            lines.append(f"  problem: {self.plan.missing_text(list(self.columns))}")
        if self.extra:
            lines.append(f"  other columns: {', '.join(self.extra)}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"SchemaReport(ok={self.ok}, missing={self.missing})"
