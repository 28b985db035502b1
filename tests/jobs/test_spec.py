"""Job ids, chunk keys, the chunk plan, partial files and the aggregator's checks."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from _helpers import SPEC, chunk_bytes_for

import livecalc_lab as lc
from livecalc_lab.jobs.aggregate import aggregate
from livecalc_lab.jobs.partial_io import PartialError, check_meta, dumps, loads
from livecalc_lab.jobs.spec import MAX_CHUNK_BYTES, MIN_CHUNK_BYTES, PLAN_CHUNKS, JobSpec, plan_chunk_bytes
from livecalc_lab.partials import merge, value_chunk

ROOT = Path(__file__).resolve().parents[2]
MB = 1 << 20


def _spec(book, scenarios=SPEC, product="basic_term_s", chunks=3, root="/tmp/p"):
    return JobSpec.create(lc.open_dataset(book), lc.demo_assumptions(), product, scenarios, partials=root,
                          chunk_bytes=chunk_bytes_for(book, chunks))


@pytest.mark.parametrize(("total", "target"), [
    (0, MIN_CHUNK_BYTES), (40 * MB, MIN_CHUNK_BYTES), (PLAN_CHUNKS * 8 * MB, 8 * MB),
    (PLAN_CHUNKS * 100 * MB, 100 * MB), (PLAN_CHUNKS * 500 * MB, MAX_CHUNK_BYTES), (10**13, MAX_CHUNK_BYTES)],
    ids=["empty", "small", "floor", "middle", "cap", "huge"])
def test_chunk_size_is_capped_floored_and_aims_at_64_chunks(total, target):
    assert plan_chunk_bytes(total) == target


def test_the_plan_and_id_depend_on_the_inputs_only(book):
    a, b = _spec(book), _spec(book, root="s3-elsewhere")
    assert a.job_id == b.job_id and [c.key for c in a.chunks] == [c.key for c in b.chunks]
    assert JobSpec.from_json(a.to_json()) == a
    other_scen = _spec(book, scenarios=lc.hull_white(n=40, seed=8))
    assert other_scen.job_id != a.job_id
    assert [c.key for c in other_scen.chunks] == [c.key for c in a.chunks]  # term partials hold no scenario
    assert _spec(book, product="basic_term_se").chunks[0].key != a.chunks[0].key
    assert a.source["version"] == lc.open_dataset(book).version
    assert len({c.key for c in a.chunks}) == 3


def test_partials_round_trip_bit_for_bit_and_damage_is_detected(book):
    spec = _spec(book)
    pols = lc.open_dataset(book).read_chunk(spec.chunks[1].id)
    part = value_chunk(pols, lc.demo_assumptions(), "basic_term_s")
    meta = {"chunk_key": spec.chunks[1].key, "chunk_id": spec.chunks[1].id, "chunk_index": 1,
            "engine_version": spec.engine_version, "assumptions_version": spec.assumptions["version"],
            "part_version": spec.chunks[1].part_version}
    data = dumps(part, meta)
    back, m = loads(data)
    for name in ("totals", "cashflows"):
        assert np.array_equal(getattr(back, name).view(np.int64), getattr(part, name).view(np.int64))
    assert back.policy_count.tobytes() == part.policy_count.tobytes()
    assert (back.id_checksum, back.n_model_points, back.names) == (part.id_checksum, part.n_model_points, part.names)
    check_meta(m, spec, 1)
    with pytest.raises(PartialError, match="another job version: its chunk_key"):
        check_meta(m, spec, 2)
    with pytest.raises(PartialError, match="unreadable"):
        loads(data[: len(data) - 100])
    import pyarrow as pa

    table = pa.ipc.open_file(pa.py_buffer(data)).read_all()
    assert table.schema.field("acc").type == pa.list_(pa.int64(), 69)


def test_the_aggregator_refuses_missing_doubled_or_inconsistent_chunks(book):
    spec = _spec(book)
    ds, aset = lc.open_dataset(book), lc.demo_assumptions()
    parts = {k: value_chunk(ds.read_chunk(c.id), aset, "basic_term_s") for k, c in enumerate(spec.chunks)}
    whole = aggregate(spec, parts)
    assert whole.n_model_points == 3_000
    with pytest.raises(lc.JobError, match=r"missing chunk\(s\) \[1\]"):
        aggregate(spec, {0: parts[0], 2: parts[2]})
    with pytest.raises(lc.JobError, match=r"unknown chunk\(s\) \[3\]"):
        aggregate(spec, parts | {3: parts[0]})
    doubled = dict(parts)
    doubled[1] = merge([parts[1], parts[1]])
    with pytest.raises(lc.JobError, match="chunk 1 .* holds"):
        aggregate(spec, doubled)
    with pytest.raises(lc.JobError, match="checksum"):
        aggregate(spec, parts, {0: str(parts[0].id_checksum), 1: "12345"})
    short = dataclasses.replace(spec, total_rows=2_999)
    with pytest.raises(lc.JobError, match="partials hold 3,000 rows, the dataset 2,999"):
        aggregate(short, parts)


def test_the_worker_command_line_writes_and_reuses_a_partial(book, tmp_path):
    spec = _spec(book, root=str(tmp_path / "partials"))
    job = tmp_path / "job.json"
    job.write_text(spec.to_json())
    out = tmp_path / "out.arrow"
    cmd = [sys.executable, "-m", "livecalc_lab.jobs.worker", "--job", str(job), "--chunk", "1", "--out", str(out)]
    first = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    assert first.returncode == 0, first.stderr
    assert '"status": "done"' in first.stdout.splitlines()[-1]
    part, meta = loads(out.read_bytes())
    assert part.n_model_points == spec.chunks[1].rows and meta["chunk_index"] == 1
    again = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    assert '"status": "reused"' in again.stdout and sorted(p.name for p in tmp_path.iterdir()) == [
        "_completed.log", "job.json", "out.arrow", "out.arrow.lock"]
    bad = subprocess.run(cmd[:-3] + ["7", "--out", str(out)], capture_output=True, text=True, cwd=ROOT)
    assert bad.returncode == 1 and "not in the plan of 3 chunks" in bad.stdout
