"""Exports of a valuation result: Parquet (the saved-result format), CSV and Excel.

Every writer goes through a temporary file in the destination's folder and renames
it into place (:func:`atomic_output`), so a reader never sees a partial file and a
failed export leaves nothing behind.

Parquet (:func:`to_parquet`, ``result.save``) is the result file format: one file
whose rows are the result's main table (per-policy results, else per-scenario
totals, else the statistics table) and whose schema metadata carries the rest:

======================================  ==================================================
``livecalc.format``                     ``"livecalc-result/1"``
``livecalc.result``                     JSON: totals, statistics, TVOG, provenance, timings
``livecalc.table``                      the name of the table in the rows
``livecalc.tables.<name>``              every other table, as an Arrow IPC stream (base64)
``livecalc.<key>``                      each input and version (:func:`_result_tables.inputs`)
======================================  ==================================================

:func:`load_result` restores the :class:`~livecalc_lab.ValuationResult` (or
:class:`~livecalc_lab.preview.PreviewResult`) exactly: floats travel as IEEE
doubles (Parquet, Arrow IPC) or shortest round-trip text (JSON), so every value
comes back bit for bit.

CSV (:func:`to_csv`) writes one table. Text cells that a spreadsheet would read as
a formula — starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return,
or their full-width forms — are prefixed with a single quote (the OWASP advice
on CSV injection); numeric columns are written as numbers, never altered (a
negative number stays ``-12.5``), in the shortest text that reads back as the
same double.

Excel (:func:`to_excel`, needs ``openpyxl``) writes a workbook with a
``metadata`` sheet (inputs, versions, timings), ``statistics``, and
``per_scenario``, ``per_policy``, ``cashflows`` and ``comparison`` sheets when
the result holds them. Text is stored as text (never as a formula) and floats
with 17 significant digits, so they read back exactly; an xlsx file cannot hold
control characters (an error) and turns carriage returns into line feeds.
"""

from __future__ import annotations

import base64
import io
import json
import math
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import polars as pl

from livecalc_lab import _result_tables as rt
from livecalc_lab.errors import DataError, LivecalcError

__all__ = ["to_parquet", "load_result", "to_csv", "to_excel", "guard_text", "atomic_output", "FORMAT",
           "EXCEL_MAX_ROWS"]

FORMAT = "livecalc-result/1"
"""The value of ``livecalc.format`` in a result file (bumped when the layout changes)."""

EXCEL_MAX_ROWS = 1_048_576
"""Rows of an Excel sheet, the header included."""

_PREFIX = "livecalc."
_RISKY = "=+-@\t\r\uff1d\uff0b\uff0d\uff20"  # and the full-width = + - @ some spreadsheets also evaluate


@contextmanager
def atomic_output(path: str | os.PathLike[str], suffix: str = ".tmp") -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` if the block succeeds.

    The folder is created if needed. On an exception the temporary file is
    removed and ``path`` is left as it was. ``suffix`` ends the temporary name
    (readers that go by extension, such as openpyxl's, need the real one).
    """
    dest = Path(path)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=suffix, dir=dest.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _pick(result: Any, table: str | None) -> tuple[str, pl.DataFrame]:
    held = rt.tables(result)
    name = rt.default_table(result) if table is None else table
    if name not in rt.TABLES:
        raise LivecalcError(f"table {name!r} is not one of {', '.join(rt.TABLES)}")
    if name not in held:
        raise LivecalcError(f"this result has no {name} table; it has {', '.join(held)}")
    return name, held[name]


# ---- Parquet: the result file ------------------------------------------------------------------------


def _summary_dict(stats: Any) -> dict[str, Any] | None:
    return None if stats is None else stats.to_dict()


def _result_json(result: Any, body: str, stored: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "format": FORMAT,
        "kind": "preview" if rt.is_preview(result) else "valuation",
        "product": result.product,
        "n_model_points": int(result.n_model_points),
        "n_policies": float(result.n_policies),
        "totals": {k: float(v) for k, v in result.totals.items()},
        "assumptions_version": result.assumptions_version,
        "engine_version": result.engine_version,
        "abi_version": int(result.abi_version),
        "package_version": result.package_version,
        "source": result.source,
        "data_version": result.data_version,
        "elapsed_seconds": float(result.elapsed_seconds),
        "engine_seconds": float(result.engine_seconds),
        "statistics": _summary_dict(result.statistics),
        "pv_net_cf_ce": result.pv_net_cf_ce,
        "tvog": result.tvog,
        "guarantee_cost": result.guarantee_cost,
        "scenario_spec": result.scenario_spec,
        "scenarios_version": result.scenarios_version,
        "table": body,
        "tables": stored,
    }
    if rt.is_preview(result):
        out["preview"] = {"sample_size": int(result.sample_size), "total_rows": int(result.total_rows),
                          "ci95": [float(result.ci95[0]), float(result.ci95[1])],
                          "std_error": float(result.std_error), "sample_seed": int(result.sample_seed)}
    cmp = result.comparison
    if cmp is not None:
        out["comparison"] = {"inside": bool(cmp.inside), "ci95": [float(cmp.ci95[0]), float(cmp.ci95[1])],
                             "full_value": float(cmp.full_value)}
    return out


def _ipc(frame: pl.DataFrame) -> str:
    """An Arrow IPC file of ``frame`` as base64 text (Parquet readers expect UTF-8 metadata values)."""
    buf = io.BytesIO()
    frame.write_ipc(buf, compression="zstd")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _text(value: Any) -> str:
    return "" if value is None else value if isinstance(value, str) else json.dumps(value)


def to_parquet(result: Any, path: str | os.PathLike[str], *, table: str | None = None) -> Path:
    """Write ``result`` to one Parquet file (the result file format: see the module docstring).

    Parameters
    ----------
    result : ValuationResult or PreviewResult
    path : str or os.PathLike
        Destination; replaced atomically.
    table : str, optional
        The table stored as the file's rows: ``"per_policy"``, ``"per_scenario"``,
        ``"cashflows"``, ``"statistics"`` or ``"comparison"``. Default: per-policy
        results, else per-scenario totals, else statistics. The other tables go into
        the metadata, so :func:`load_result` restores all of them whichever is chosen.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    LivecalcError
        ``table`` is unknown or not held by this result.
    """
    import pyarrow.parquet as pq

    body, frame = _pick(result, table)
    others = {name: f for name, f in rt.tables(result).items() if name not in (body, "statistics")}
    meta: dict[str, str] = {
        _PREFIX + "format": FORMAT,
        _PREFIX + "result": json.dumps(_result_json(result, body, list(others))),
        _PREFIX + "table": body,
    }
    for key, _, value in rt.inputs(result) + rt.timings(result):
        meta.setdefault(_PREFIX + key, _text(value))
    for name, f in others.items():
        meta[f"{_PREFIX}tables.{name}"] = _ipc(f)
    arrow = frame.to_arrow()
    arrow = arrow.replace_schema_metadata({**(arrow.schema.metadata or {}), **meta})
    with atomic_output(path) as tmp:
        pq.write_table(arrow, tmp, compression="zstd")
    return Path(path)


def load_result(path: str | os.PathLike[str]) -> Any:
    """Read a result file written by ``result.save`` / :func:`to_parquet`.

    Returns
    -------
    ValuationResult or PreviewResult
        With its tables, statistics, provenance, timings and any filed comparison,
        every value bit for bit as saved.

    Raises
    ------
    DataError
        The file is missing, not Parquet, or not a LiveCalc result file (of this format).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    p = Path(path)
    if not p.is_file():
        raise DataError(f"{p}: no such result file")
    try:
        meta = pq.read_schema(p).metadata or {}
    except (pa.ArrowException, OSError) as exc:
        raise DataError(f"{p}: not a Parquet file ({exc})") from None
    fmt = meta.get((_PREFIX + "format").encode(), b"").decode(errors="replace")
    if fmt != FORMAT:
        what = f"format {fmt!r}, this version reads {FORMAT!r}" if fmt else "no 'livecalc.format' metadata"
        raise DataError(f"{p}: not a LiveCalc result file ({what}); write one with result.save(path)")
    info = json.loads(meta[(_PREFIX + "result").encode()])
    frames = {name: pl.read_ipc(io.BytesIO(base64.b64decode(meta[f"{_PREFIX}tables.{name}".encode()])))
              for name in info["tables"]}
    if info["table"] != "statistics":
        frames[info["table"]] = pl.read_parquet(p)
    return _rebuild(info, frames)


def _rebuild(info: dict[str, Any], frames: dict[str, pl.DataFrame]) -> Any:
    from livecalc_lab.preview import Comparison, PreviewResult
    from livecalc_lab.results import ValuationResult
    from livecalc_lab.stats import Summary

    stats = info["statistics"]
    summary = None
    if stats is not None:
        summary = Summary(n=stats["n"], mean=stats["mean"], std=math.nan if stats["std"] is None else stats["std"],
                          min=stats["min"], max=stats["max"], percentiles=stats["percentiles"], cte=stats["cte"])
    fields: dict[str, Any] = dict(
        product=info["product"], n_model_points=info["n_model_points"], n_policies=info["n_policies"],
        totals=info["totals"], per_policy=frames.get("per_policy"), assumptions_version=info["assumptions_version"],
        engine_version=info["engine_version"], source=info["source"], elapsed_seconds=info["elapsed_seconds"],
        engine_seconds=info["engine_seconds"], cashflows=frames.get("cashflows"),
        per_scenario=frames.get("per_scenario"), statistics=summary, pv_net_cf_ce=info["pv_net_cf_ce"],
        tvog=info["tvog"], guarantee_cost=info["guarantee_cost"], scenario_spec=info["scenario_spec"],
        scenarios_version=info["scenarios_version"], data_version=info["data_version"],
        package_version=info["package_version"], abi_version=info["abi_version"],
    )
    cmp = info.get("comparison")
    if cmp is not None:
        fields["comparison"] = Comparison(frames["comparison"], cmp["inside"], tuple(cmp["ci95"]), cmp["full_value"])
    prev = info.get("preview")
    if prev is None:
        return ValuationResult(**fields)
    return PreviewResult(**fields, sample_size=prev["sample_size"], total_rows=prev["total_rows"],
                         ci95=tuple(prev["ci95"]), std_error=prev["std_error"], sample_seed=prev["sample_seed"])


# ---- CSV -------------------------------------------------------------------------------------------------


def _guard(text: str) -> str:
    return "'" + text if text[:1] and text[0] in _RISKY else text


def guard_text(frame: pl.DataFrame) -> pl.DataFrame:
    """Neutralise text cells (and column names) a spreadsheet would evaluate as a formula.

    A text value starting with ``=``, ``+``, ``-``, ``@``, a tab, a carriage return
    or a full-width ``＝ ＋ － ＠`` gets a leading single quote. Numeric columns are
    returned untouched; categorical text is returned as plain text.

    Examples
    --------
    >>> guard_text(pl.DataFrame({"id": ["=1+2", "-x", "ok"], "v": [-12.5, 1.0, 2.0]})).rows()
    [("'=1+2", -12.5), ("'-x", 1.0), ('ok', 2.0)]
    """
    risky = "^[" + "".join("\\" + c if c in "-\\^]" else c for c in _RISKY) + "]"
    exprs = []
    for name, dtype in frame.schema.items():
        col = pl.col(name)
        if dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum):
            text = col.cast(pl.String)
            col = pl.when(text.str.contains(risky)).then(pl.lit("'") + text).otherwise(text)
        exprs.append(col.alias(_guard(name)))
    return frame.select(exprs)


def to_csv(result: Any, path: str | os.PathLike[str], *, table: str | None = None) -> Path:
    """Write one of the result's tables as CSV (UTF-8, comma-separated, header row).

    Parameters
    ----------
    result : ValuationResult
    path : str or os.PathLike
        Destination; replaced atomically.
    table : str, optional
        As for :func:`to_parquet` (default per-policy, else per-scenario, else statistics).

    Notes
    -----
    Text cells are guarded by :func:`guard_text`; floats are written in the
    shortest text that reads back as the same double, nulls as empty cells.
    Provenance does not fit a CSV file: use :func:`to_parquet` or :func:`to_excel`.

    Raises
    ------
    LivecalcError
        ``table`` is unknown or not held by this result.
    """
    _, frame = _pick(result, table)
    with atomic_output(path) as tmp:
        guard_text(frame).write_csv(tmp)
    return Path(path)


# ---- Excel -----------------------------------------------------------------------------------------------


def _cell(ws: Any, value: Any, bold: bool = False) -> Any:
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(ws)
    if isinstance(value, bool) or value is None:
        cell.value = value
    elif isinstance(value, float):
        if math.isnan(value):
            cell.value = None
        elif math.isinf(value):
            cell.value, cell.data_type = ("inf" if value > 0 else "-inf"), "s"
        else:
            # openpyxl writes numbers with 16 significant digits; 17 (repr) read back as the same double.
            cell._value, cell.data_type = repr(value), "n"
    elif isinstance(value, int):
        cell.value = value
    else:
        cell.value = str(value)
        cell.data_type = "s"  # text stays text: "=..." is never stored as a formula
    if bold:
        from openpyxl.styles import Font

        cell.font = Font(bold=True)
    return cell


_XML_ILLEGAL = "[\x00-\x08\x0b\x0c\x0e-\x1f]"  # control characters XML 1.0 cannot carry


def _check_text(held: dict[str, pl.DataFrame], meta: list[tuple[str, Any]]) -> None:
    """Refuse, before writing anything, a text cell an xlsx file cannot store (naming where it is)."""
    import re

    illegal = re.compile(_XML_ILLEGAL)

    def fail(sheet: str, row: int, column: str, value: str) -> None:
        raise LivecalcError(f"sheet {sheet!r} row {row:,} column {column!r}: {value!r} holds a control character "
                            "an Excel file cannot store; export this table with to_parquet or to_csv")

    for k, (key, value) in enumerate(meta, 1):
        if isinstance(value, str) and illegal.search(value):
            fail("metadata", k, "value", value)
    for sheet, frame in held.items():
        for name, dtype in frame.schema.items():
            if illegal.search(name):
                fail(sheet, 0, name, name)
            if dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum):
                hits = frame.select(pl.col(name).cast(pl.String).str.contains(_XML_ILLEGAL).arg_true()).to_series()
                if hits.len():
                    row = int(hits[0])
                    fail(sheet, row + 1, name, frame[name][row])


def _sheet(wb: Any, name: str, frame: pl.DataFrame) -> None:
    ws = wb.create_sheet(name)
    ws.freeze_panes = "A2"
    ws.append([_cell(ws, c, bold=True) for c in frame.columns])
    for row in frame.iter_rows():
        ws.append([_cell(ws, v) for v in row])


def to_excel(result: Any, path: str | os.PathLike[str]) -> Path:
    """Write an .xlsx workbook of the result (see the module docstring for the sheets).

    Returns
    -------
    pathlib.Path

    Notes
    -----
    Text is stored as text; a carriage return in it reads back as a line feed
    (XML normalises line ends).

    Raises
    ------
    LivecalcError
        A table has more rows than an Excel sheet holds (1,048,575 below the
        header), or a text cell holds a control character XML cannot carry (the
        message names the sheet, row and column); nothing is written. Export
        such a table with :func:`to_parquet`. Or ``openpyxl`` is not installed (the
        message says ``pip install 'livecalc-lab[excel]'``).
    """
    from livecalc_lab._optional import require

    Workbook = require("openpyxl", "excel", "Excel export").Workbook

    held = rt.tables(result)
    meta = [(key, value) for key, _, value in rt.inputs(result) + rt.timings(result)]
    _check_text(held, meta)
    for name, frame in held.items():
        if frame.height + 1 > EXCEL_MAX_ROWS:
            raise LivecalcError(f"the {name} table has {frame.height:,} rows; an Excel sheet holds "
                                f"{EXCEL_MAX_ROWS - 1:,} below its header: export it with to_parquet")
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("metadata")
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 72
    ws.append([_cell(ws, "key", bold=True), _cell(ws, "value", bold=True)])
    for key, value in meta:
        ws.append([_cell(ws, key), _cell(ws, value)])
    for name, frame in held.items():
        _sheet(wb, name, frame)
    with atomic_output(path) as tmp:
        wb.save(tmp)
    return Path(path)
