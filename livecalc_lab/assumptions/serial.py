"""Serialised forms of an assumption set: its files, a JSON body, an Arrow stream — all back to the same version.

An :class:`~livecalc_lab.assumptions.AssumptionSet` travels as

* **files** (:func:`set_files`): ``assumptions.json`` plus each table as CSV at its
  manifest ``file`` name — what :meth:`AssumptionSet.save` writes and a store keeps
  for each version. A store also keeps a copy of every table shipped in the package
  (``livecalc_lab:...``) under ``.packaged/<table>.csv``, so a stored version does not
  depend on the installed package's data files;
* a **JSON body** (:func:`set_json`): ``{"manifest": {...}, "tables": {name: {"columns":
  [...], "dtypes": [...], "rows": [[...], ...]}}}``, cells as JSON numbers, strings,
  booleans or null (floats written with Python's shortest round-trip ``repr``, so
  they come back bit for bit);
* an **Arrow IPC stream** (:func:`set_arrow`): one row, one column per table, each
  holding the table as a list of row structs with its exact column types; the
  manifest and any other fields travel in the schema metadata under ``livecalc``.

Every way back goes through :func:`build_set`, which checks each table cell by cell
with :func:`~livecalc_lab.assumptions.assumption_set.parse_table` (errors name the
table, the 1-based data row, the column and the value), so a set read from a
store, a workbook or a request body obeys exactly the rules of a folder.
"""

from __future__ import annotations

import io
import json
import math
import os
import shutil
import tempfile
from pathlib import Path, PurePosixPath
from typing import Any, Callable, Mapping

import polars as pl

from livecalc_lab.assumptions.assumption_set import (
    FORMAT,
    MANIFEST,
    PACKAGE_PREFIX,
    AssumptionSet,
    _table_file,
    parse_table,
    table_as_text,
)
from livecalc_lab.errors import AssumptionError

__all__ = [
    "PACKAGED_COPIES",
    "ARROW_META_KEY",
    "set_files",
    "read_files",
    "write_folder",
    "build_set",
    "text_cell",
    "set_json",
    "table_json",
    "raw_table_from_json",
    "set_from_json",
    "set_arrow",
    "set_from_arrow",
]

PACKAGED_COPIES = ".packaged"
ARROW_META_KEY = b"livecalc"
PACKAGED_MODES = ("trust", "check", "adopt")


def _is_packaged(spec: Mapping[str, Any]) -> bool:
    file = spec.get("file")
    return isinstance(file, str) and file.startswith(PACKAGE_PREFIX)


def table_csv(frame: pl.DataFrame) -> bytes:
    """A typed table as the CSV text :func:`parse_table` reads back to the same frame."""
    return table_as_text(frame).write_csv().encode()


def set_files(aset: AssumptionSet, *, packaged_copies: bool) -> dict[str, bytes]:
    """The files of a set: relative POSIX path -> bytes, the manifest (``assumptions.json``) last.

    Parameters
    ----------
    aset : AssumptionSet
    packaged_copies : bool
        Also write each table shipped in the package as ``.packaged/<table>.csv``
        (stores do; a plain folder does not need them).

    Raises
    ------
    AssumptionError
        A table's ``file`` is absolute, leaves the folder (``..``), is the manifest's
        own name or a reserved name, or is shared by two tables.
    """
    files: dict[str, bytes] = {}
    specs = aset.manifest.get("tables", {})
    for name, table in sorted(aset.tables.items()):
        spec = specs.get(name, table.spec)  # the manifest is what is written, and what a reader follows
        file = spec["file"]
        if _is_packaged(spec):
            if packaged_copies:
                files[f"{PACKAGED_COPIES}/{name}.csv"] = table_csv(table.frame)
            continue
        rel = PurePosixPath(str(file))
        if (rel.is_absolute() or not rel.parts or ".." in rel.parts or rel.parts[0] == PACKAGED_COPIES
                or str(rel) == MANIFEST or "\\" in str(file)):
            raise AssumptionError(f"tables.{name}.file: {file!r} is not a path inside the set's folder")
        if str(rel) in files:
            raise AssumptionError(f"tables.{name}.file: {file!r} is also the file of another table")
        files[str(rel)] = table_csv(table.frame)
    files[MANIFEST] = (json.dumps(aset.manifest, indent=2, ensure_ascii=False) + "\n").encode()
    return files


def write_folder(dest: Path, files: Mapping[str, bytes]) -> bool:
    """Write ``files`` as the folder ``dest``, whole or not at all (a temporary folder renamed into place).

    Returns
    -------
    bool
        True if written; False if ``dest`` already existed and was not empty
        (nothing is changed then).
    """
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        return False
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    try:
        for rel, data in files.items():
            target = tmp / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
        if dest.exists():
            dest.rmdir()  # an empty folder only; a concurrent writer's full one makes this fail below
        tmp.rename(dest)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
        if dest.is_dir() and any(dest.iterdir()):
            return False  # another writer got there first
        raise
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return True


def _read_csv(data: bytes, label: str) -> pl.DataFrame:
    try:
        return pl.read_csv(io.BytesIO(data), infer_schema=False, encoding="utf8")
    except Exception as exc:  # polars raises several types for malformed CSV
        raise AssumptionError(f"{label}: cannot be read as CSV: {exc}") from None


def read_files(read: Callable[[str], bytes | None], label: str, *, expect_version: str | None = None) -> AssumptionSet:
    """A set from its files (as :func:`set_files` with ``packaged_copies=True`` writes them).

    Parameters
    ----------
    read : callable
        ``read(relative path) -> bytes or None`` (None: no such file).
    label : str
        What messages call the set (e.g. the store and version).
    expect_version : str, optional
        The version the files were stored under; a set that hashes otherwise is an error.

    Raises
    ------
    AssumptionError
        No manifest, a missing or malformed table file, or content that does not
        hash to ``expect_version`` (the files were altered).
    """
    data = read(MANIFEST)
    if data is None:
        raise AssumptionError(f"{label}: no {MANIFEST}")
    try:
        manifest = json.loads(data)
    except json.JSONDecodeError as exc:
        raise AssumptionError(f"{label} {MANIFEST}: invalid JSON at line {exc.lineno}: {exc.msg}") from None
    specs = manifest.get("tables", {}) if isinstance(manifest, dict) else {}
    raw: dict[str, pl.DataFrame] = {}
    for name, spec in (specs.items() if isinstance(specs, dict) else ()):
        if not isinstance(spec, dict):
            continue  # build_set reports it
        rel = f"{PACKAGED_COPIES}/{name}.csv" if _is_packaged(spec) else str(spec.get("file"))
        text = read(rel)
        if text is None:
            raise AssumptionError(f"{label}: table {name!r} has no file {rel!r}")
        raw[name] = _read_csv(text, f"{label} {rel}")
    aset = build_set(manifest, raw, label, packaged="trust")
    if expect_version is not None and aset.version != expect_version:
        raise AssumptionError(f"{label}: the stored files hash to {aset.version}, not {expect_version}: "
                              "they were altered after they were stored")
    return aset


def build_set(manifest: Any, raw_tables: Mapping[str, pl.DataFrame], label: str, *,
              packaged: str = "check") -> AssumptionSet:
    """A set from a manifest and its tables as text cells, each checked by :func:`parse_table`.

    Parameters
    ----------
    manifest : dict
        The manifest (format ``livecalc-assumptions/1``); not modified.
    raw_tables : mapping of str to polars.DataFrame
        Every table the manifest names, all columns ``String`` (empty cells null).
    label : str
        What messages call the source: they read ``"<label> table 'mortality' row 3 column '2': ..."``.
    packaged : {"check", "adopt", "trust"}
        What to do with a table the manifest says is shipped in the package
        (``livecalc_lab:...``) but whose cells differ from that file: ``"check"``
        refuses it, ``"adopt"`` makes it a table of the set's own (file ``<table>.csv``,
        as :meth:`AssumptionSet.with_changes` does for an edited packaged table),
        ``"trust"`` keeps the cells as given (a store's own copy).

    Raises
    ------
    AssumptionError
        A manifest that is not an object of the right format, tables missing or
        not in the manifest, a malformed or out-of-range cell (table, row, column
        and value named), or a product whose parameters are invalid.
    """
    if packaged not in PACKAGED_MODES:
        raise ValueError(f"packaged must be one of {PACKAGED_MODES}, not {packaged!r}")
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise AssumptionError(f"{label} manifest: 'format' must be {FORMAT!r}")
    manifest = json.loads(json.dumps(manifest))  # a private copy: specs may be rewritten below
    specs = manifest.get("tables", {})
    if not isinstance(specs, dict):
        raise AssumptionError(f"{label} manifest tables: expected an object")
    missing = [n for n in specs if n not in raw_tables]
    extra = [n for n in raw_tables if n not in specs]
    if missing or extra:
        parts = ([f"no data for table(s) {', '.join(map(repr, missing))}"] if missing else []) + \
                ([f"table(s) {', '.join(map(repr, extra))} are not in the manifest"] if extra else [])
        raise AssumptionError(f"{label}: {'; '.join(parts)}")
    tables = {}
    for name, spec in specs.items():
        where = f"{label} manifest tables.{name}"
        if not isinstance(spec, dict):
            raise AssumptionError(f"{where}: needs 'file' and 'type'")
        table = parse_table(name, spec, raw_tables[name], f"{label} table {name!r}", where)
        if _is_packaged(spec) and packaged != "trust":
            shipped = _packaged_table(name, spec, where)
            if not shipped.frame.equals(table.frame):
                if packaged == "check":
                    raise AssumptionError(f"{where}: its cells differ from the packaged file {spec['file']!r} it names; "
                                          f"give it a file of its own (e.g. \"{name}.csv\")")
                spec["file"] = f"{name}.csv"
                table = parse_table(name, spec, raw_tables[name], f"{label} table {name!r}", where)
        tables[name] = table
    return AssumptionSet(manifest, tables)


def _packaged_table(name: str, spec: dict[str, Any], where: str) -> Any:
    path = _table_file(Path("."), spec["file"], where)
    if not path.is_file():
        raise AssumptionError(f"{where}: the packaged file {spec['file']!r} does not exist in this installation")
    return parse_table(name, spec, _read_csv(path.read_bytes(), str(path)), str(path), where)


# ---- JSON ------------------------------------------------------------------------------------------------


def text_cell(value: Any, where: str) -> str | None:
    """One cell as the text a CSV file would hold: floats as shortest ``repr``, booleans ``True``/``False``.

    Raises
    ------
    AssumptionError
        A value that is not a number, string, boolean or empty (``where`` names it).
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else str(value)
    if isinstance(value, str):
        return value
    raise AssumptionError(f"{where}: {value!r} is not a number, text, boolean or empty")


def table_json(frame: pl.DataFrame) -> dict[str, Any]:
    """``{"columns", "dtypes", "rows"}`` of a typed table (rows as lists, in table order)."""
    return {"columns": list(frame.columns), "dtypes": [str(d) for d in frame.dtypes],
            "rows": [list(r) for r in frame.iter_rows()]}


def set_json(aset: AssumptionSet) -> dict[str, Any]:
    """``{"manifest", "tables"}``: the JSON body of a set (see the module docstring)."""
    return {"manifest": aset.manifest, "tables": {name: table_json(t.frame) for name, t in aset.tables.items()}}


def raw_table_from_json(name: str, body: Mapping[str, Any], label: str) -> pl.DataFrame:
    """A table of a JSON body (``columns`` and ``rows``) as text cells, every row checked for its shape.

    Raises
    ------
    AssumptionError
        Columns that are not unique strings, a row whose length is not the number
        of columns, or a cell of another JSON type (table, row and column named).
    """
    where = f"{label} table {name!r}"
    columns = body.get("columns")
    rows = body.get("rows")
    if not isinstance(columns, list) or not columns or not all(isinstance(c, str) and c for c in columns):
        raise AssumptionError(f"{where}: columns must be a non-empty list of names")
    if len(set(columns)) != len(columns):
        dup = next(c for c in columns if columns.count(c) > 1)
        raise AssumptionError(f"{where}: column {dup!r} appears more than once")
    if not isinstance(rows, list):
        raise AssumptionError(f"{where}: rows must be a list of rows")
    cells: list[list[str | None]] = [[] for _ in columns]
    for i, row in enumerate(rows, start=1):
        if not isinstance(row, list) or len(row) != len(columns):
            n = len(row) if isinstance(row, list) else "not a list of"
            raise AssumptionError(f"{where} row {i}: {n} cells, but the table has {len(columns)} columns")
        for j, value in enumerate(row):
            cells[j].append(text_cell(value, f"{where} row {i} column {columns[j]!r}"))
    return pl.DataFrame({c: cells[j] for j, c in enumerate(columns)}, schema={c: pl.String for c in columns})


def set_from_json(manifest: Any, tables: Mapping[str, Any], label: str, *, packaged: str = "check") -> AssumptionSet:
    """A set from a JSON body's manifest and tables (:func:`build_set` does the checking).

    Raises
    ------
    AssumptionError
        As :func:`raw_table_from_json` and :func:`build_set`.
    """
    if not isinstance(tables, Mapping):
        raise AssumptionError(f"{label} tables: expected an object of tables by name")
    raw = {}
    for name, body in tables.items():
        if not isinstance(body, Mapping):
            raise AssumptionError(f"{label} table {name!r}: expected {{\"columns\": [...], \"rows\": [...]}}")
        raw[name] = raw_table_from_json(name, body, label)
    return build_set(manifest, raw, label, packaged=packaged)


# ---- Arrow -----------------------------------------------------------------------------------------------


def set_arrow(aset: AssumptionSet, fields: Mapping[str, Any]) -> bytes:
    """One Arrow IPC stream holding every table with its exact types (see the module docstring).

    ``fields`` (e.g. the version's metadata) and the manifest go in the schema
    metadata under ``livecalc`` as ``{"manifest": ..., **fields}``.
    """
    import pyarrow as pa

    arrays, names = [], []
    for name, table in aset.tables.items():
        t = table.frame.to_arrow(compat_level=pl.CompatLevel.oldest())
        struct = pa.StructArray.from_arrays([c.combine_chunks() for c in t.columns], names=t.column_names) \
            if t.num_rows else pa.array([], type=pa.struct(list(t.schema)))
        arrays.append(pa.ListArray.from_arrays(pa.array([0, t.num_rows], pa.int32()), struct))
        names.append(name)
    meta = json.dumps({"manifest": aset.manifest, **fields}, separators=(",", ":"), ensure_ascii=False).encode()
    table = pa.Table.from_arrays(arrays, names=names).replace_schema_metadata({ARROW_META_KEY: meta})
    sink = io.BytesIO()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue()


def set_from_arrow(data: bytes, label: str) -> tuple[AssumptionSet, dict[str, Any]]:
    """``(set, fields)`` from a :func:`set_arrow` stream; cells are checked as any table's.

    Raises
    ------
    AssumptionError
        Not such a stream, or a table that does not pass :func:`build_set`
        (stored content is trusted for packaged tables: ``packaged="trust"``).
    """
    import pyarrow as pa

    try:
        table = pa.ipc.open_stream(data).read_all()
        fields = json.loads((table.schema.metadata or {})[ARROW_META_KEY])
    except (pa.ArrowInvalid, KeyError, json.JSONDecodeError):
        raise AssumptionError(f"{label}: not an assumption set as an Arrow stream") from None
    raw = {}
    for name in table.column_names:
        column = table.column(name).combine_chunks()
        rows = pa.Table.from_struct_array(column.values)
        frame = pl.from_arrow(rows)
        assert isinstance(frame, pl.DataFrame)
        raw[name] = table_as_text(frame)
    manifest = fields.pop("manifest", None)
    return build_set(manifest, raw, label, packaged="trust"), fields
