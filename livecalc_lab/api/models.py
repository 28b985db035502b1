"""The HTTP bodies of the Data API (pydantic models; they make the OpenAPI document).

Field names are camelCase on the wire (``datasetId``, ``totalRows``,
``sampleSize``), snake_case in Python. Column names inside ``data`` are the
dataset's own (``policy_id``, ``sum_assured``).
"""

from __future__ import annotations

from typing import Any, Optional

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from livecalc_lab.api._bodies import ARROW_STREAM

__all__ = [
    "ARROW_STREAM",
    "AssumptionsInline",
    "Column",
    "DatasetList",
    "DatasetSummary",
    "ErrorBody",
    "ErrorItem",
    "Health",
    "MetadataBody",
    "PolicyColumn",
    "ProblemBody",
    "SampleBody",
    "SchemaBody",
    "ValidateRequest",
    "ValidationBody",
]



class _Body(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class ErrorItem(_Body):
    """One problem with a request: where (e.g. ``["query", "n"]``) and what."""

    loc: list[str | int]
    message: str


class ErrorBody(_Body):
    """Every error answer: a message, and for a 422 each problem found."""

    detail: str
    errors: Optional[list[ErrorItem]] = None


class Health(_Body):
    status: str = Field(examples=["ok"])
    version: str


class Column(_Body):
    name: str
    dtype: str = Field(description="polars data type, e.g. Int64, Float64, String")


class DatasetSummary(_Body):
    """A dataset the caller may read. Figures are null when the dataset cannot be read just now."""

    id: str
    title: str
    source_type: str = Field(description="local, blob, dataLake or database")
    rows: Optional[int] = None
    bytes: Optional[int] = None
    version: Optional[str] = None
    error: Optional[str] = None


class DatasetList(_Body):
    datasets: list[DatasetSummary]


class MetadataBody(_Body):
    """What a dataset holds, read without loading it (Parquet footer, blob properties, COUNT(*), one cached CSV pass)."""

    dataset_id: str
    title: str
    source_type: str
    format: str = Field(description="csv, parquet or sql")
    parts: int
    rows: int = Field(description="rows stored, before any filter")
    filtered_rows: Optional[int] = Field(
        default=None, ge=0,
        description="rows after the dataset's filter (configured with the service; equal to rows without one): "
                    "the population a sample is drawn from",
    )
    bytes: int
    columns: list[Column]
    version: Optional[str] = Field(description="content version: xxh3 hash (files), ETag (blobs), label (SQL)")


class PolicyColumn(_Body):
    """One column of the policy schema and where this dataset gets it."""

    name: str
    dtype: str
    required: bool
    description: str
    source: Optional[str] = Field(
        description="the dataset column it is read from, 'derived' (from dates), 'default' (0), or null when missing"
    )
    minimum: Optional[float] = None
    maximum: Optional[float] = None
    codes: Optional[list[str]] = Field(default=None, description="allowed values, for a coded column")


class SchemaBody(_Body):
    dataset_id: str
    version: Optional[str]
    ok: bool = Field(description="every required column is present or derivable")
    columns: list[PolicyColumn]
    missing: list[str]
    extra: list[str] = Field(description="dataset columns that are not policy columns (kept as stored)")
    source_columns: list[Column]


class SampleBody(_Body):
    dataset_id: str
    total_rows: int = Field(description="rows stored, before any filter")
    sample_size: int
    seed: int
    version: Optional[str]
    data: list[dict[str, Any]] = Field(description="the sampled rows, in sample-key order, one object per row")


class AssumptionsInline(_Body):
    """An assumption set sent with the request: the manifest and each table's CSV text by file name."""

    manifest: dict[str, Any] = Field(description="the assumptions.json manifest (format livecalc-assumptions/1)")
    tables: dict[str, str] = Field(description="file name (as the manifest names it) -> CSV text")


class ValidateRequest(_Body):
    """What to check a dataset against: a registered assumption set, or one sent inline (default: the service's default set)."""

    assumption_set: Optional[str] = Field(default=None, description="id of a registered assumption set, e.g. demo")
    assumptions: Optional[AssumptionsInline] = None
    product: Optional[str] = Field(default=None, description="product to check every row against; default: the rows' product column, or basic_term_s")
    limit: int = Field(default=100, ge=1, le=10_000, description="report at most this many problems")


class ProblemBody(_Body):
    row: Optional[int] = Field(description="1-based data row within its file, when known")
    column: Optional[str]
    value: Any = None
    message: str


class ValidationBody(_Body):
    dataset_id: str
    version: Optional[str]
    assumption_set: Optional[str]
    assumptions_version: str
    product: Optional[str]
    ok: bool
    n_problems: int
    problems: list[ProblemBody]
