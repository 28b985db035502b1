"""The HTTP bodies of the assumptions endpoints (pydantic models; they make the OpenAPI document).

Field names are camelCase on the wire (``reviewedAt``), snake_case in Python.
A table travels as ``{"columns": [...], "rows": [[...], ...]}`` (and ``dtypes`` on
the way out): cells are JSON numbers, strings, booleans or null, one row per
list, in table order; floats are written with their shortest round-trip
digits, so a table read and sent back has the same version.
"""

from __future__ import annotations

from typing import Any, Literal, Optional, Union

from pydantic import Field, StrictBool, StrictFloat, StrictInt, StrictStr

from livecalc_lab.api.models import _Body

__all__ = [
    "AuditBody",
    "AuditEventBody",
    "Cell",
    "ReviewRequest",
    "ReviewResult",
    "SaveRequest",
    "SaveResult",
    "SetBody",
    "SetList",
    "SetSummary",
    "TableIn",
    "TableOut",
    "VersionBody",
    "VersionList",
]

MAX_TEXT = 10_000
Cell = Optional[Union[StrictBool, StrictInt, StrictFloat, StrictStr]]
VERSION_PATTERN = r"^sha256:[0-9a-f]{64}$"


class TableIn(_Body):
    """A table as sent: column names and rows of cells (checked like a CSV file's, cell by cell)."""

    columns: list[str] = Field(min_length=1, description="column names, as in the CSV file")
    rows: list[list[Cell]] = Field(description="one list of cells per data row, as many cells as columns")


class TableOut(TableIn):
    """A stored table, with the type each column is read as."""

    dtypes: list[str] = Field(description="polars type of each column: Int64, Float64, String, Boolean")


class SaveRequest(_Body):
    """A version to save: the manifest and every table it names."""

    manifest: dict[str, Any] = Field(description="the assumptions.json manifest (format livecalc-assumptions/1)")
    tables: dict[str, TableIn] = Field(description="every table of the manifest, by table name")
    message: str = Field(default="", max_length=MAX_TEXT, description="why it changed")
    parent: Optional[str] = Field(default=None, pattern=VERSION_PATTERN, description="the version it derives from")


class ReviewRequest(_Body):
    comment: str = Field(default="", max_length=MAX_TEXT, description="the reviewer's comment")


class VersionBody(_Body):
    """One version of a named set, with its review status."""

    name: str
    version: str = Field(description="sha256:<hex>: the content hash")
    ref: str = Field(description="assumptions://NAME:sha256:<hex>")
    parent: Optional[str]
    author: str = Field(description="the token subject that saved it")
    created: str = Field(description="UTC, ISO 8601")
    message: str
    status: Literal["draft", "approved", "rejected"]
    reviewer: Optional[str]
    reviewed_at: Optional[str]
    comment: str


class ReviewResult(_Body):
    info: VersionBody = Field(description="the version, with its new status")


class VersionList(_Body):
    name: str
    versions: list[VersionBody] = Field(description="oldest first")


class SetSummary(_Body):
    name: str
    versions: int
    latest: Optional[str] = Field(description="the most recently approved version")
    draft: Optional[str] = Field(description="the most recently saved version still in draft")
    updated: str = Field(description="the last save or review, UTC ISO 8601")


class SetList(_Body):
    sets: list[SetSummary]


class SetBody(_Body):
    """A version's metadata, manifest and tables."""

    info: VersionBody
    manifest: dict[str, Any]
    tables: dict[str, TableOut]


class SaveResult(_Body):
    created: bool = Field(description="false: the set already held this content (nothing was added)")
    info: VersionBody


class AuditEventBody(_Body):
    at: str
    who: str
    action: str = Field(description="save, approve, reject or pull")
    name: str
    version: str
    detail: str


class AuditBody(_Body):
    name: str
    events: list[AuditEventBody] = Field(description="oldest first")
