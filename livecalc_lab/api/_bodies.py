"""Response bodies built from the data layer: metadata, policy schema, samples (JSON and Arrow), validation.

Bodies are built once per (dataset, version, ...) and cached as bytes; these
functions do the building. Arrow bodies are IPC streams written at the oldest
Arrow compatibility level (``large_string``, no view types) so any Arrow
reader, including the JavaScript one the widgets use, can read them; the JSON
body's fields travel in the schema metadata under the key ``livecalc``.
"""

from __future__ import annotations

import io
import json
from typing import Any

import polars as pl

from livecalc_lab.data.problems import ValidationReport
from livecalc_lab.data.schema import RANGES
from livecalc_lab.model.policies import REQUIRED

__all__ = [
    "ARROW_META_KEY",
    "ARROW_STREAM",
    "metadata_body",
    "metadata_arrow",
    "schema_body",
    "sample_arrow",
    "sample_json_from_arrow",
    "validation_body",
    "read_arrow",
]

ARROW_META_KEY = b"livecalc"
ARROW_STREAM = "application/vnd.apache.arrow.stream"

POLICY_SCHEMA: dict[str, tuple[str, str]] = {  # in the order the readers map columns (plan_columns)
    "policy_id": ("Int64 or String", "unique policy (model point) id; lifelib's point_id is accepted"),
    "age_at_entry": ("Int32", "age at issue, years"),
    "policy_term": ("Int32", "term, years"),
    "duration_mth": ("Int32", "months in force at t = 0; <= 0 means issued at t = -duration_mth (default 0: new business)"),
    "policy_count": ("Float64", "policies the row stands for (fractional is legal)"),
    "sum_assured": ("Float64", "death benefit per policy"),
    "product": ("String", "product code, one of the assumption set's products (default: basic_term_s)"),
    "sex": ("String", "cell of a mortality table with a sex dimension (optional)"),
    "smoker": ("String", "cell of a mortality table with a smoker dimension (optional)"),
}


def _dumps(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def _columns(columns: dict[str, pl.DataType]) -> list[dict[str, str]]:
    return [{"name": name, "dtype": str(dtype)} for name, dtype in columns.items()]


def metadata_body(dataset_id: str, title: str, source_type: str, meta: Any, version: str | None,
                  filtered_rows: int) -> dict[str, Any]:
    """The metadata answer (camelCase) from a :class:`~livecalc_lab.data.Metadata`.

    ``filtered_rows`` is the rows after the dataset's filter
    (:meth:`Dataset.filtered_rows <livecalc_lab.data.Dataset.filtered_rows>`), sent as ``filteredRows``.
    """
    return {
        "datasetId": dataset_id,
        "title": title,
        "sourceType": source_type,
        "format": meta.format,
        "parts": meta.parts,
        "rows": meta.rows,
        "filteredRows": filtered_rows,
        "bytes": meta.bytes,
        "columns": _columns(meta.columns),
        "version": version,
    }


def _ipc(frame: pl.DataFrame, fields: dict[str, Any]) -> bytes:
    import pyarrow as pa

    table = frame.to_arrow(compat_level=pl.CompatLevel.oldest())
    table = table.replace_schema_metadata({ARROW_META_KEY: _dumps(fields)})
    sink = io.BytesIO()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue()


def metadata_arrow(body: dict[str, Any], columns: dict[str, pl.DataType]) -> bytes:
    """An Arrow stream with no rows: the exact column types, and the metadata body in the schema metadata."""
    return _ipc(pl.DataFrame(schema=columns), body)


def read_arrow(data: bytes) -> tuple[pl.DataFrame, dict[str, Any]]:
    """``(frame, fields)`` from an Arrow stream written here."""
    import pyarrow as pa

    table = pa.ipc.open_stream(data).read_all()
    raw = (table.schema.metadata or {}).get(ARROW_META_KEY, b"{}")
    frame = pl.from_arrow(table.replace_schema_metadata(None))
    assert isinstance(frame, pl.DataFrame)
    return frame, json.loads(raw)


def sample_arrow(dataset_id: str, total_rows: int, seed: int, version: str | None, sample: pl.DataFrame) -> bytes:
    """The sample as an Arrow stream; ``datasetId``, ``totalRows``, ``sampleSize``, ``seed``, ``version`` in its metadata."""
    fields = {"datasetId": dataset_id, "totalRows": total_rows, "sampleSize": sample.height, "seed": seed, "version": version}
    return _ipc(sample, fields)


def sample_json_from_arrow(arrow: bytes) -> bytes:
    """The JSON sample body for the Arrow body ``arrow`` (the same rows and values)."""
    frame, fields = read_arrow(arrow)
    head = _dumps(fields)
    return head[:-1] + b',"data":' + frame.write_json().encode() + b"}"


def schema_body(dataset_id: str, version: str | None, report: Any, product_codes: list[str]) -> dict[str, Any]:
    """The policy schema as this dataset meets it, from a :class:`~livecalc_lab.data.metadata.SchemaReport`."""
    columns = []
    for name, (dtype, description) in POLICY_SCHEMA.items():
        lo, hi = RANGES.get(name, (None, None))
        source = report.sources.get(name)
        columns.append({
            "name": name,
            "dtype": dtype,
            "required": name in REQUIRED,
            "description": description,
            "source": source,
            "minimum": lo,
            "maximum": hi,
            "codes": product_codes if name == "product" else None,
        })
    return {
        "datasetId": dataset_id,
        "version": version,
        "ok": report.ok,
        "columns": columns,
        "missing": list(report.missing),
        "extra": list(report.extra),
        "sourceColumns": _columns(report.columns),
    }


def validation_body(dataset_id: str, version: str | None, set_id: str | None, aset_version: str, product: str | None,
                    report: ValidationReport, redact: Any) -> dict[str, Any]:
    """The validation answer; ``redact`` rewrites messages so they name the dataset by id only."""
    problems = report.to_dict()["problems"]
    return {
        "datasetId": dataset_id,
        "version": version,
        "assumptionSet": set_id,
        "assumptionsVersion": aset_version,
        "product": product,
        "ok": report.ok,
        "nProblems": len(report),
        "problems": [
            {"row": p["row"], "column": p["column"], "value": p["value"], "message": redact(p["message"])} for p in problems
        ],
    }
