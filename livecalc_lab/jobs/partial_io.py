"""Partial results on disk: Arrow IPC files, lossless, self-describing, checked on reading.

A partial file is one Arrow IPC file with one row per exact accumulator:

==============  ==============================  ==========================================
column          type                            meaning
==============  ==============================  ==========================================
``array``       string                          ``policy_count``, ``totals``, ``cashflows``
                                                or ``scenario_totals``
``i``, ``j``    int32                           position in that array (row, column)
``acc``         fixed_size_list<int64, 69>      the accumulator: 68 limbs and the special
                                                word of ``_abi.EXACT_DTYPE``, bit for bit
==============  ==============================  ==========================================

The schema metadata ``livecalc`` holds JSON: the partial format, the chunk key,
index and id, the job that wrote it, the product and kind, the PV names, the
array shapes, the row count, the exact ``id_checksum`` (as a decimal string),
the engine, data, assumption-set and scenario versions, timings, and
``payload_xxh3``, a hash of the accumulators' bytes in file order. A truncated
file fails to parse, a changed byte fails the hash, and a partial of another job
version carries another chunk key: each is reported by :class:`PartialError`
and the chunk is recomputed, never merged.
"""

from __future__ import annotations

import io
import json
from typing import Any

import numpy as np

from livecalc_lab.engine import _abi
from livecalc_lab.errors import JobError
from livecalc_lab.partials import Partial

__all__ = ["PartialError", "dumps", "loads", "check_meta"]

_WIDTH = _abi.EXACT_DTYPE.itemsize // 8  # 69 int64 words
_ARRAYS = ("policy_count", "totals", "cashflows", "scenario_totals")


class PartialError(JobError):
    """A partial result that cannot be merged: unreadable, truncated, corrupted or of another job version."""


def _arrays(part: Partial) -> dict[str, np.ndarray]:
    out = {"policy_count": np.asarray(part.policy_count).reshape(1, 1), "totals": part.totals.reshape(1, -1)}
    if part.cashflows is not None:
        out["cashflows"] = part.cashflows
    if part.scenario_totals is not None:
        out["scenario_totals"] = part.scenario_totals
    return out


def _payload_hash(words: np.ndarray) -> str:
    import xxhash

    return xxhash.xxh3_128_hexdigest(np.ascontiguousarray(words).tobytes())


def dumps(part: Partial, meta: dict[str, Any]) -> bytes:
    """The Arrow IPC bytes of ``part`` with ``meta`` (chunk key, versions, timings...) added."""
    import pyarrow as pa

    names, ii, jj, blocks = [], [], [], []
    shapes = {}
    for name, arr in _arrays(part).items():
        arr = np.ascontiguousarray(arr, dtype=_abi.EXACT_DTYPE)
        shapes[name] = list(arr.shape)
        r, c = np.divmod(np.arange(arr.size, dtype=np.int32), arr.shape[1])
        names += [name] * arr.size
        ii.append(r)
        jj.append(c)
        blocks.append(arr.reshape(-1).view(np.int64).reshape(-1, _WIDTH))
    words = np.concatenate(blocks)
    acc = pa.FixedSizeListArray.from_arrays(pa.array(words.reshape(-1), type=pa.int64()), _WIDTH)
    full = {**meta, "format": meta.get("format", "livecalc-partial/1"), "kind": part.kind, "product": part.product,
            "names": list(part.names), "shapes": shapes, "n_model_points": part.n_model_points,
            "id_checksum": str(part.id_checksum), "engine_seconds": part.engine_seconds,
            "payload_xxh3": _payload_hash(words)}
    table = pa.table({"array": pa.array(names, pa.string()), "i": np.concatenate(ii), "j": np.concatenate(jj),
                      "acc": acc})
    table = table.replace_schema_metadata({"livecalc": json.dumps(full, sort_keys=True)})
    sink = io.BytesIO()
    with pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue()


def loads(data: bytes, where: str = "partial") -> tuple[Partial, dict[str, Any]]:
    """Inverse of :func:`dumps`.

    Raises
    ------
    PartialError
        Not an Arrow file (e.g. truncated), metadata missing, or a payload that
        does not match its hash.
    """
    import pyarrow as pa

    try:
        table = pa.ipc.open_file(pa.py_buffer(data)).read_all()
        meta = json.loads(table.schema.metadata[b"livecalc"])
    except (pa.ArrowInvalid, OSError, KeyError, TypeError, ValueError) as exc:
        raise PartialError(f"{where}: unreadable partial result ({type(exc).__name__}: {exc})") from None
    words = table.column("acc").combine_chunks().values.to_numpy(zero_copy_only=False).reshape(-1, _WIDTH)
    if _payload_hash(words) != meta.get("payload_xxh3"):
        raise PartialError(f"{where}: partial result is corrupted (its accumulators do not match their hash)")
    names = table.column("array").to_pylist()
    arrays: dict[str, np.ndarray] = {}
    start = 0
    for name in _ARRAYS:
        shape = meta["shapes"].get(name)
        if shape is None:
            continue
        n = int(np.prod(shape))
        if names[start:start + n] != [name] * n:
            raise PartialError(f"{where}: partial result's {name!r} rows are not where its shape says")
        arrays[name] = np.ascontiguousarray(words[start:start + n]).view(_abi.EXACT_DTYPE).reshape(shape)
        start += n
    if start != len(words):
        raise PartialError(f"{where}: partial result has {len(words) - start} rows its shapes do not account for")
    part = Partial(
        kind=meta["kind"], product=meta["product"], n_model_points=int(meta["n_model_points"]),
        policy_count=arrays["policy_count"].reshape(()), id_checksum=int(meta["id_checksum"]),
        totals=arrays["totals"].reshape(-1), names=tuple(meta["names"]), cashflows=arrays.get("cashflows"),
        scenario_totals=arrays.get("scenario_totals"), engine_seconds=float(meta.get("engine_seconds", 0.0)),
    )
    return part, meta


def check_meta(meta: dict[str, Any], spec: Any, index: int, where: str = "partial") -> None:
    """Raise :class:`PartialError` unless ``meta`` is chunk ``index`` of ``spec``'s plan, same versions."""
    chunk = spec.chunks[index]
    expect = {"chunk_key": chunk.key, "chunk_id": chunk.id, "product": spec.product,
              "engine_version": spec.engine_version, "assumptions_version": spec.assumptions["version"],
              "part_version": chunk.part_version}
    if spec.kind == "savings":
        expect["scenarios_version"] = spec.scenarios_version
    for k, v in expect.items():
        if meta.get(k) != v:
            raise PartialError(f"{where}: partial result is from another job version: its {k} is "
                               f"{meta.get(k)!r}, chunk {index} needs {v!r}")
