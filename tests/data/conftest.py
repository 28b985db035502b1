"""Fixtures for the data layer: a real PostgreSQL server on 127.0.0.1 (Azurite is in ``tests/conftest.py``).

PostgreSQL comes from Debian's package (``/usr/lib/postgresql/*/bin``), run as the ``postgres``
user when the tests run as root (``initdb`` refuses root). A test that needs the server is
skipped, with the reason, only when the server cannot be started at all.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Iterator

import pytest

from _servers import free_port, wait_for_port

BAD = Path(__file__).parent / "bad"


# ---- PostgreSQL --------------------------------------------------------------------------------


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


@pytest.fixture(scope="session")
def postgres() -> Iterator[str]:
    """A running PostgreSQL server on 127.0.0.1; yields a URI of an empty database."""
    bindir = _pg_bin()
    if bindir is None:
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql; the README's test command does it)")
    as_root = os.geteuid() == 0
    prefix = ["runuser", "-u", "postgres", "--"] if as_root else []
    folder = tempfile.mkdtemp(prefix="livecalc-pg-")  # under /tmp, so the postgres user can reach it
    data = os.path.join(folder, "data")
    if as_root:
        shutil.chown(folder, "postgres")
    init = subprocess.run(
        [*prefix, str(bindir / "initdb"), "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8",
         "--locale=C", "--no-sync"],
        capture_output=True, text=True,
    )
    if init.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        pytest.skip(f"initdb failed: {init.stderr.strip()[-500:]}")
    # Password logins for the role ``actuary`` (to test credentials); trust for the rest on loopback.
    Path(data, "pg_hba.conf").write_text(
        "local all all trust\nhost all actuary 127.0.0.1/32 scram-sha-256\nhost all all 127.0.0.1/32 trust\n"
    )
    port = free_port()
    log = open(os.path.join(folder, "server.log"), "wb")
    proc = subprocess.Popen(
        [*prefix, str(bindir / "postgres"), "-D", data, "-p", str(port), "-k", folder,
         "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "full_page_writes=off"],
        stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        if not wait_for_port(port, proc, 30):
            pytest.skip(f"postgres did not start: {Path(folder, 'server.log').read_text(errors='replace')[-500:]}")
        uri = f"postgresql://postgres@127.0.0.1:{port}/postgres"
        _wait_for_sql(uri)
        yield uri
    finally:
        pid_file = Path(data, "postmaster.pid")
        if pid_file.exists():  # signal the server itself (runuser does not forward signals)
            os.kill(int(pid_file.read_text().split()[0]), signal.SIGINT)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        shutil.rmtree(folder, ignore_errors=True)


def _wait_for_sql(uri: str) -> None:
    import adbc_driver_postgresql.dbapi as pg

    deadline = time.monotonic() + 20
    while True:
        try:
            with pg.connect(uri):
                return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
