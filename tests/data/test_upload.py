"""Block uploads to Azurite: byte-identical blobs, fixed-width block ids, and resuming after a kill."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import textwrap

import pytest
from typer.testing import CliRunner

import livecalc_lab as lc
from livecalc_lab.cli import app

pytestmark = pytest.mark.azurite
KIB = 1 << 10


def blob_bytes(container, name: str) -> bytes:
    return container.get_blob_client(name).download_blob().readall()


def make_file(path, size: int, seed: int = 0) -> bytes:
    data = hashlib.shake_256(f"{seed}".encode()).digest(size)
    path.write_bytes(data)
    return data


def test_upload_is_byte_identical_in_4_mib_blocks(tmp_path, container):
    data = make_file(tmp_path / "big.bin", 9 * (1 << 20) + 12345)
    seen = []
    res = lc.upload(tmp_path / "big.bin", f"azure://{container.container_name}/in/big.bin", progress=lambda d, t: seen.append(d))
    assert (res.blocks, res.sent, res.bytes) == (3, 3, len(data))
    assert blob_bytes(container, "in/big.bin") == data
    assert res.sha256 == hashlib.sha256(data).hexdigest()
    blob = container.get_blob_client("in/big.bin")
    assert blob.get_blob_properties().metadata["sha256"] == res.sha256
    committed, _ = blob.get_block_list("committed")
    assert [b.size for b in committed] == [4 << 20, 4 << 20, len(data) - (8 << 20)]
    assert len({len(b.id) for b in committed}) == 1
    assert seen == [4 << 20, 8 << 20, len(data)]


def test_upload_resumes_after_being_killed(tmp_path, container, blob_env):
    data = make_file(tmp_path / "p.bin", 40 * 64 * KIB + 999, seed=1)
    uri = f"azure://{container.container_name}/p.bin"
    kill_after = 7
    script = textwrap.dedent(f"""
        import os, signal, livecalc_lab as lc
        done = []
        def progress(d, t):
            done.append(d)
            if len(done) == {kill_after}:
                os.kill(os.getpid(), signal.SIGKILL)
        lc.upload({str(tmp_path / "p.bin")!r}, {uri!r}, block_size={64 * KIB}, progress=progress)
    """)
    env = {**os.environ, "AZURE_STORAGE_CONNECTION_STRING": blob_env}
    proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()
    blob = container.get_blob_client("p.bin")
    committed, uncommitted = blob.get_block_list("all")
    assert committed == [] and len(uncommitted) == kill_after
    res = lc.upload(tmp_path / "p.bin", uri, block_size=64 * KIB)
    assert res.resumed and (res.blocks, res.sent) == (41, 41 - kill_after)
    got = blob_bytes(container, "p.bin")
    assert hashlib.sha256(got).hexdigest() == hashlib.sha256(data).hexdigest() == res.sha256


def test_second_upload_is_a_no_op_and_a_different_blob_needs_overwrite(tmp_path, container):
    uri = f"azure://{container.container_name}/a.bin"
    make_file(tmp_path / "a.bin", 100 * KIB)
    lc.upload(tmp_path / "a.bin", uri, block_size=32 * KIB)
    again = lc.upload(tmp_path / "a.bin", uri, block_size=32 * KIB)
    assert again.sent == 0
    data = make_file(tmp_path / "a.bin", 70 * KIB, seed=2)
    with pytest.raises(lc.DataError, match="a different blob exists there"):
        lc.upload(tmp_path / "a.bin", uri, block_size=32 * KIB)
    lc.upload(tmp_path / "a.bin", uri, block_size=32 * KIB, overwrite=True)
    assert blob_bytes(container, "a.bin") == data


def test_empty_file_and_bad_destinations(tmp_path, container):
    (tmp_path / "e.csv").write_bytes(b"")
    res = lc.upload(tmp_path / "e.csv", f"azure://{container.container_name}/e.csv")
    assert res.blocks == 0 and blob_bytes(container, "e.csv") == b""
    with pytest.raises(lc.DataError, match="no such file"):
        lc.upload(tmp_path / "missing.csv", f"azure://{container.container_name}/x.csv")
    with pytest.raises(lc.DataError, match="name the blob"):
        lc.upload(tmp_path / "e.csv", f"azure://{container.container_name}/folder/")
    with pytest.raises(lc.DataError, match="needs an azure://"):
        lc.upload(tmp_path / "e.csv", "/tmp/elsewhere.csv")


def test_cli_upload_then_datasets_info_reads_it(tmp_path, container):
    from livecalc_lab.data.synthetic import synthetic_portfolio

    synthetic_portfolio(3000, 1, tmp_path / "s.parquet")
    uri = f"azure://{container.container_name}/s.parquet"
    runner = CliRunner()
    out = runner.invoke(app, ["upload", str(tmp_path / "s.parquet"), uri, "--quiet"])
    assert out.exit_code == 0, out.output
    assert "sha256" in out.output
    info = runner.invoke(app, ["datasets", "info", uri, "--json"])
    assert info.exit_code == 0 and '"rows": 3000' in info.output
