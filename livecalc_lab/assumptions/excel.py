"""An assumption set as an Excel workbook (openpyxl), and back to the same version.

The workbook has

* one sheet per table, named as the table: the header row holds the column names,
  each later row one data row (data row 1 is the sheet's row 2), cells as numbers,
  text or TRUE/FALSE, empty for an empty cell;
* a sheet ``manifest`` with columns ``path``, ``type``, ``value``: every entry of
  ``assumptions.json``, depth first in manifest order, ``path`` a JSON Pointer
  (``/products/basic_term_s/lapse/multiplier``), ``type`` one of ``object``,
  ``array``, ``string``, ``integer``, ``number``, ``boolean``, ``null`` (so ``2``
  stays an integer and ``1.0`` a number whatever Excel shows);
* a sheet ``about``: the workbook format, the set's version and reference, and
  when it was exported.

Floats are written with as many digits as their exact value needs (Python's
shortest round-trip ``repr``; openpyxl on its own writes 16 significant digits,
which changes values such as ``0.09000000000000001``), so an exported workbook
imports to the same version, which :func:`export_excel` checks before it
returns. A workbook edited in Excel imports as a new version whose
``parent_version`` is the exported one; every cell is checked as a CSV file's
would be (:func:`~livecalc_lab.assumptions.assumption_set.parse_table`: the
message names the table, the data row, the column and the value). Needs
``openpyxl`` (extra ``livecalc-lab[excel]``).
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

import polars as pl

from livecalc_lab.errors import AssumptionError

__all__ = ["export_excel", "import_excel", "WORKBOOK_FORMAT", "MANIFEST_SHEET", "ABOUT_SHEET"]

WORKBOOK_FORMAT = "livecalc-assumptions-workbook/1"
MANIFEST_SHEET = "manifest"
ABOUT_SHEET = "about"
_SHEET = re.compile(r"^[^\[\]:*?/\\]{1,31}$")
_TYPES = ("object", "array", "string", "integer", "number", "boolean", "null")


def _openpyxl() -> Any:
    from livecalc_lab._optional import require

    return require("openpyxl", "excel", "Excel import and export of assumption sets")


def _put(ws: Any, row: int, col: int, value: Any) -> None:
    """Write one cell: floats exactly (see the module docstring), text never read as a formula."""
    cell = ws.cell(row=row, column=col)
    cell.value = value
    if isinstance(value, float):
        cell._value = repr(value)  # openpyxl writes the stored text of a number as is
    elif isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"


def _nodes(value: Any, path: str = "") -> Iterator[tuple[str, str, Any]]:
    """``(JSON Pointer, type, cell value)`` of every node below the root, depth first."""
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, v in items:
        p = f"{path}/{str(key).replace('~', '~0').replace('/', '~1')}"
        if isinstance(v, dict):
            yield p, "object", None
            yield from _nodes(v, p)
        elif isinstance(v, list):
            yield p, "array", None
            yield from _nodes(v, p)
        elif v is None:
            yield p, "null", None
        elif isinstance(v, bool):
            yield p, "boolean", v
        elif isinstance(v, int):
            yield p, "integer", v
        elif isinstance(v, float):
            yield p, "number", v
        else:
            yield p, "string", str(v)


def export_excel(assumption_set: Any, path: str | Path) -> Path:
    """Write a set as a workbook (see the module docstring) that :func:`import_excel` reads back to its version.

    Parameters
    ----------
    assumption_set : AssumptionSet, str or pathlib.Path
        A set, a folder, or a reference ``assumptions://NAME:VERSION``.
    path : str or pathlib.Path
        The ``.xlsx`` file; written through a temporary name, so a failed export
        leaves nothing behind.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    AssumptionError
        A table whose name cannot be a sheet name (at most 31 characters, none of
        ``[ ] : * ? / \\``, not ``manifest`` or ``about``, unique ignoring case).
    """
    from livecalc_lab.assumptions.store import as_assumption_set

    openpyxl = _openpyxl()
    aset = as_assumption_set(assumption_set)
    seen = {MANIFEST_SHEET, ABOUT_SHEET}
    for name in aset.tables:
        if not _SHEET.match(name) or name.startswith("'") or name.lower() in seen:
            raise AssumptionError(f"table {name!r} cannot be a sheet name: at most 31 characters, none of "
                                  f"[ ] : * ? / \\, unique ignoring case, not {MANIFEST_SHEET!r} or {ABOUT_SHEET!r}")
        seen.add(name.lower())
    wb = openpyxl.Workbook()
    about = wb.active
    about.title = ABOUT_SHEET
    now = datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
    for r, (k, v) in enumerate([("key", "value"), ("format", WORKBOOK_FORMAT), ("version", aset.version),
                                ("ref", aset.ref or ""), ("exported", now),
                                ("note", "Edit table cells and manifest values, then: livecalc assumptions import "
                                         "this.xlsx --name NAME. Data row 1 of a table is the row under its header.")],
                               start=1):
        _put(about, r, 1, k)
        _put(about, r, 2, v)
    ms = wb.create_sheet(MANIFEST_SHEET)
    for c, h in enumerate(("path", "type", "value"), start=1):
        _put(ms, 1, c, h)
    for r, (p, kind, v) in enumerate(_nodes(aset.manifest), start=2):
        _put(ms, r, 1, p)
        _put(ms, r, 2, kind)
        if v is not None:
            _put(ms, r, 3, v)
    for name, table in aset.tables.items():
        ws = wb.create_sheet(name)
        for c, col in enumerate(table.frame.columns, start=1):
            _put(ws, 1, c, col)
        for r, row in enumerate(table.frame.iter_rows(), start=2):
            for c, v in enumerate(row, start=1):
                if v is not None:
                    _put(ws, r, c, v)
    from livecalc_lab.export import atomic_output

    out = Path(path)
    with atomic_output(out, suffix=".xlsx") as tmp:
        wb.save(tmp)
        back = import_excel(tmp)
        if back.version != aset.version:  # the promise of the format: never hand out a workbook that drifts
            raise AssumptionError(f"{out}: the workbook reads back as {back.version}, not {aset.version}")
    return out


def import_excel(path: str | Path) -> Any:
    """Read a workbook written by :func:`export_excel` (and possibly edited) as an AssumptionSet.

    Returns
    -------
    AssumptionSet
        Its version is the content hash; if that differs from the version the
        workbook was exported as, ``parent_version`` is the exported one. A packaged
        table (``livecalc_lab:...``) whose cells were edited becomes a table of the
        set's own (file ``<table>.csv``).

    Raises
    ------
    AssumptionError
        Not such a workbook; a manifest row with an unknown type or a value that
        does not fit it (sheet, row, path and value named); a sheet that is not a
        table of the manifest; a header cell missing; or a table cell that is
        malformed, out of range or breaks the table's rules (table, data row,
        column and value named).
    """
    from livecalc_lab.assumptions.serial import build_set

    openpyxl = _openpyxl()
    label = str(path)
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError:
        raise AssumptionError(f"{label}: no such file") from None
    except Exception as exc:  # openpyxl raises several types for a file that is not a workbook
        raise AssumptionError(f"{label}: not an Excel workbook (.xlsx): {type(exc).__name__}") from None
    try:
        if MANIFEST_SHEET not in wb.sheetnames:
            raise AssumptionError(f"{label}: no sheet {MANIFEST_SHEET!r}; export the set with livecalc assumptions "
                                  "export (or lc.assumptions.export_excel) to get the layout")
        manifest = _read_manifest(wb[MANIFEST_SHEET], f"{label} sheet {MANIFEST_SHEET!r}")
        about = _read_about(wb[ABOUT_SHEET]) if ABOUT_SHEET in wb.sheetnames else {}
        specs = manifest.get("tables", {}) if isinstance(manifest.get("tables"), dict) else {}
        extra = [s for s in wb.sheetnames if s not in (MANIFEST_SHEET, ABOUT_SHEET) and s not in specs]
        if extra:
            raise AssumptionError(f"{label}: sheet(s) {', '.join(map(repr, extra))} are not tables of the manifest; "
                                  "add them to the manifest's tables or delete them")
        raw = {name: _read_table(wb[name], f"{label} table {name!r}") for name in specs if name in wb.sheetnames}
    finally:
        wb.close()
    aset = build_set(manifest, raw, label, packaged="adopt")
    exported = about.get("version")
    if isinstance(exported, str) and exported.startswith("sha256:") and exported != aset.version:
        aset.parent_version = exported
    return aset


def _read_about(ws: Any) -> dict[str, Any]:
    return {r[0]: r[1] for r in ws.iter_rows(min_row=2, max_col=2, values_only=True) if r and r[0] is not None}


def _pointer(text: Any, where: str) -> list[str]:
    if not isinstance(text, str) or not text.startswith("/"):
        raise AssumptionError(f"{where}: path {text!r} is not a JSON Pointer such as /products/basic_term_s")
    return [t.replace("~1", "/").replace("~0", "~") for t in text[1:].split("/")]


def _value(kind: Any, value: Any, where: str) -> Any:
    """The manifest value of one row, of type ``kind``."""
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "object":
        out: Any = {}
    elif kind == "array":
        out = []
    elif kind == "null":
        out = None
    elif kind == "string":
        return "" if value is None else value if isinstance(value, str) else _bad(value, "text", where)
    elif kind == "integer":
        if number and float(value).is_integer():
            return int(value)
        return _bad(value, "an integer", where)
    elif kind == "number":
        return float(value) if number else _bad(value, "a number", where)
    elif kind == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        return _bad(value, "TRUE or FALSE", where)
    else:
        raise AssumptionError(f"{where}: type {kind!r} is not one of {', '.join(_TYPES)}")
    if value is not None:
        raise AssumptionError(f"{where}: a row of type {kind!r} has no value, not {value!r}")
    return out


def _bad(value: Any, what: str, where: str) -> Any:
    raise AssumptionError(f"{where}: {value!r} is not {what}")


def _read_manifest(ws: Any, label: str) -> dict[str, Any]:
    rows = ws.iter_rows(values_only=True)
    header = next(rows, None)
    if header is None or [str(h).strip().lower() if h is not None else "" for h in header[:3]] != ["path", "type", "value"]:
        raise AssumptionError(f"{label}: the first row must be the headers path, type, value")
    root: dict[str, Any] = {}
    for i, row in enumerate(rows, start=1):
        cells = list(row[:3]) + [None] * (3 - len(row[:3]))
        if all(c is None for c in row):
            continue  # a blank line
        where = f"{label} row {i} ({cells[0]})"
        tokens = _pointer(cells[0], where)
        node: Any = root
        for t in tokens[:-1]:
            node = node.get(t) if isinstance(node, dict) else (node[int(t)] if isinstance(node, list) and t.isdigit()
                                                              and int(t) < len(node) else None)
            if not isinstance(node, (dict, list)):
                raise AssumptionError(f"{where}: its parent is not an object or array listed above it")
        value = _value(cells[1], cells[2], where)
        last = tokens[-1]
        if isinstance(node, dict):
            if last in node:
                raise AssumptionError(f"{where}: the path appears twice")
            node[last] = value
        elif last == str(len(node)):
            node.append(value)
        else:
            raise AssumptionError(f"{where}: array items must be listed in order; expected index {len(node)}")
    return root


def _read_table(ws: Any, label: str) -> pl.DataFrame:
    from livecalc_lab.assumptions.serial import text_cell

    rows = list(ws.iter_rows(values_only=True))
    if not rows:
        raise AssumptionError(f"{label}: the sheet is empty (the first row must name the columns)")
    header = list(rows[0])
    while header and header[-1] is None:
        header.pop()
    if any(h is None for h in header) or not header:
        raise AssumptionError(f"{label}: column {header.index(None) + 1 if None in header else 1} has no name "
                              "in the header row")
    columns = [text_cell(h, f"{label} header") or "" for h in header]
    data = [list(r) for r in rows[1:]]
    while data and all(c is None for c in data[-1]):
        data.pop()  # empty rows below the table
    cells: list[list[str | None]] = [[] for _ in columns]
    for i, row in enumerate(data, start=1):
        beyond = [c for c in row[len(columns):] if c is not None]
        if beyond:
            raise AssumptionError(f"{label} row {i}: {beyond[0]!r} lies right of the last named column")
        row = row + [None] * (len(columns) - len(row))
        for j, col in enumerate(columns):
            cells[j].append(text_cell(row[j], f"{label} row {i} column {col!r}"))
    return pl.DataFrame({c: cells[j] for j, c in enumerate(columns)}, schema={c: pl.String for c in columns})
