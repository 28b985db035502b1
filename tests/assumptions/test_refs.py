"""References assumptions://NAME:VERSION|latest|draft: parsing, and resolution in lc.run, lc.preview, lc.submit and the CLI.

Whatever the reference said, what is recorded is the concrete version it resolved to.
"""

from __future__ import annotations

import doctest
import json
import subprocess
import sys
from pathlib import Path

import pytest
from store_support import edited

import livecalc_lab as lc
from livecalc_lab.assumptions import Store, refs
from livecalc_lab.assumptions.refs import parse_ref
from livecalc_lab.errors import AssumptionError
from livecalc_lab.model.policies import demo_policies_path

ROOT = Path(__file__).resolve().parents[2]
HEX = "0123456789abcdef" * 4


def test_docstring_examples():
    assert doctest.testmod(refs).failed == 0


@pytest.mark.parametrize(("text", "name", "selector", "concrete"), [
    ("assumptions://demo:latest", "demo", "latest", False),
    ("assumptions://demo:draft", "demo", "draft", False),
    (f"assumptions://demo:sha256:{HEX}", "demo", f"sha256:{HEX}", True),
    (f"assumptions://demo:{HEX}", "demo", f"sha256:{HEX}", True),
    ("assumptions://basis-2026.Q1:0123456", "basis-2026.Q1", "sha256:0123456", False),
    ("demo:latest", "demo", "latest", False),
])
def test_references_parse(text, name, selector, concrete):
    r = parse_ref(text)
    assert (r.name, r.selector, r.is_concrete) == (name, selector, concrete)
    assert parse_ref(str(r)) == r


@pytest.mark.parametrize(("text", "message"), [
    ("assumptions://demo", "expected assumptions://NAME:VERSION"),
    ("assumptions://demo:", "expected assumptions://NAME:VERSION"),
    ("assumptions://:latest", "is not an assumption-set name"),
    ("assumptions://de mo:latest", "is not an assumption-set name"),
    ("assumptions://demo:newest", "'newest' is not a version"),
    ("assumptions://demo:012345", "'012345' is not a version"),
    ("assumptions://demo:0123456G", "is not a version"),
])
def test_malformed_references_are_refused(text, message):
    with pytest.raises(AssumptionError, match=message):
        parse_ref(text)


@pytest.fixture
def approved(home: Path) -> str:
    """An edited set saved as 'demo' in the default store and approved by a reviewer; its version."""
    store = Store()
    v = store.save(edited(0.8, age=40, qx=0.0012), "demo", "lapse study", author="ann")
    store.approve("demo", v, by="bob")
    store.save(edited(0.9), "demo", "a later draft", author="ann")
    return v


def test_run_and_preview_record_the_resolved_version(approved):
    res = lc.run(assumptions="assumptions://demo:latest")
    assert res.assumptions_version == approved
    assert res.totals == lc.run(assumptions=edited(0.8, age=40, qx=0.0012)).totals
    draft = lc.run(assumptions="assumptions://demo:draft")
    assert draft.assumptions_version == edited(0.9).version
    prev = lc.preview(demo_policies_path(), "assumptions://demo:latest", n=500)
    assert prev.assumptions_version == approved


def test_a_reference_with_no_approved_version_is_an_error(home):
    Store().save(edited(0.8), "demo")
    with pytest.raises(AssumptionError, match="no approved version yet"):
        lc.run(assumptions="assumptions://demo:latest")


def test_a_job_records_the_concrete_version(approved, tmp_path):
    book = lc.synthetic_portfolio(300, seed=3, out=tmp_path / "book.csv")
    job = lc.submit(book, assumptions="assumptions://demo:latest", backend="local", workers=1)
    assert job.spec.assumptions["ref"] == f"assumptions://demo:{approved}"
    assert job.spec.assumptions["version"] == approved and job.spec.assumptions["store"] == Store().uri
    res = job.result(timeout=120)
    assert res.assumptions_version == approved
    assert res.totals["pv_net_cf"] == pytest.approx(lc.run(book, edited(0.8, age=40, qx=0.0012)).totals["pv_net_cf"],
                                                    rel=1e-12)
    assert ":latest" not in job.record.spec_path.read_text()  # the job record names the version, never latest


def test_a_worker_resolves_the_reference_in_its_store(approved):
    from livecalc_lab.jobs.spec import load_job_assumptions

    aset = load_job_assumptions({"version": approved, "location": None, "ref": f"assumptions://demo:{approved}",
                                 "store": Store().uri})
    assert aset.version == approved


def test_the_cli_takes_a_reference(approved, home):
    env = {"PYTHONPATH": str(ROOT), "LIVECALC_HOME": str(home), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-m", "livecalc_lab.cli", "run", "-a", "assumptions://demo:latest", "--json"],
                         capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["assumptions_version"] == approved
