"""The ``livecalc`` command: output, options, and errors printed without a traceback.

Most tests call the typer app in-process with ``CliRunner``; a few run
``python -m livecalc_lab.cli`` as a subprocess, as a user would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

import livecalc_lab as lc
from livecalc_lab.cli import app
from livecalc_lab.model.policies import demo_policies_path

from bad_corpus import BAD, CASES, expected_fragments

REL_TOTAL = 1e-9
PV_S = 14489630.534601543  # lifelib BasicTerm_S, pv_net_cf
PV_SE = 215146132.0684811  # lifelib BasicTerm_SE, pv_net_cf
PV_S_PRINTED = "14,489,630.53"
JSON_KEYS = {
    "n_model_points",
    "n_policies",
    "pv_premiums",
    "pv_claims",
    "pv_expenses",
    "pv_commissions",
    "pv_net_cf",
    "product",
    "assumptions_version",
    "engine_version",
}
PV_NAMES = ["pv_premiums", "pv_claims", "pv_expenses", "pv_commissions", "pv_net_cf"]
ROOT = Path(__file__).resolve().parents[1]
SUBPROCESS_TIMEOUT = 120  # seconds; a run takes well under one


def invoke(*args: str | Path):
    return CliRunner().invoke(app, [str(a) for a in args])


def run_module(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """``python -m livecalc_lab.cli ...`` in a fresh interpreter, importing this checkout."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    return subprocess.run(
        [sys.executable, "-m", "livecalc_lab.cli", *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=SUBPROCESS_TIMEOUT,
    )




# --------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------


def test_run_prints_the_table():
    r = invoke("run")
    assert r.exit_code == 0, r.stderr
    assert PV_S_PRINTED in r.stdout
    assert "basic_term_s" in r.stdout
    assert "10,000" in r.stdout
    assert r.stderr == ""


def test_json_has_the_documented_keys():
    r = invoke("run", "--json")
    assert r.exit_code == 0, r.stderr
    d = json.loads(r.stdout)
    assert JSON_KEYS <= set(d)
    assert d["product"] == "basic_term_s"
    assert d["n_model_points"] == 10_000
    assert d["pv_net_cf"] == pytest.approx(PV_S, rel=REL_TOTAL)
    assert d["assumptions_version"].startswith("sha256:")
    assert d["engine_version"].startswith("sha256:")


def test_json_totals_are_lc_run_totals():
    d = json.loads(invoke("run", "--json").stdout)
    totals = lc.run().totals
    assert {k: d[k] for k in PV_NAMES} == totals  # JSON round-trips floats exactly


def test_se_file_with_product():
    r = invoke("run", demo_policies_path("basic_term_se"), "--product", "basic_term_se", "--json")
    assert r.exit_code == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["product"] == "basic_term_se"
    assert d["pv_net_cf"] == pytest.approx(PV_SE, rel=REL_TOTAL)
    assert d["n_model_points"] == 10_000


def test_threads_option_gives_identical_totals():
    one = json.loads(invoke("run", "--json").stdout)
    two = json.loads(invoke("run", "--json", "--threads", "2").stdout)
    assert {k: two[k] for k in PV_NAMES} == {k: one[k] for k in PV_NAMES}


def test_per_policy_parquet(tmp_path):
    out = tmp_path / "sub" / "pv.parquet"
    r = invoke("run", "--per-policy", out, "--json")
    assert r.exit_code == 0, r.stderr
    pp = pl.read_parquet(out)
    assert pp.height == 10_000
    assert pp.columns == ["policy_id", "premium_pp", *PV_NAMES]
    assert pp["pv_net_cf"].sum() == pytest.approx(json.loads(r.stdout)["pv_net_cf"], rel=REL_TOTAL)
    assert [p.name for p in out.parent.iterdir()] == ["pv.parquet"]  # no temporary left behind


def test_per_policy_with_table_output_says_where(tmp_path):
    out = tmp_path / "pv.parquet"
    r = invoke("run", "--per-policy", out)
    assert r.exit_code == 0, r.stderr
    assert "per-policy PVs written to" in r.stdout


def test_custom_assumptions_folder():
    r = invoke("run", "--assumptions", lc.demo_assumptions().path, "--json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["pv_net_cf"] == pytest.approx(PV_S, rel=REL_TOTAL)


def test_version_option():
    r = invoke("--version")
    assert r.exit_code == 0
    assert r.stdout.strip() == lc.__version__


def test_threads_below_one_is_a_usage_error():
    r = invoke("run", "--threads", "0")
    assert r.exit_code == 2
    assert "Traceback" not in r.output


# --------------------------------------------------------------------------------------
# Errors: one line on stderr, exit 1, no traceback
# --------------------------------------------------------------------------------------


def assert_clean_failure(r, fragments: list[str], error: str) -> None:
    assert r.exit_code == 1, (r.exit_code, r.stdout, r.stderr)
    assert r.stdout == ""
    assert "Traceback" not in r.stderr
    assert r.stderr.startswith(f"error: {error}: ")
    for frag in fragments:
        assert frag in r.stderr


@pytest.mark.parametrize("case", CASES, ids=[c["file"] for c in CASES])
def test_bad_file(case):
    assert_clean_failure(invoke("run", BAD / case["file"]), expected_fragments(case), case["error"])


def test_missing_file(tmp_path):
    missing = tmp_path / "nope.csv"
    assert_clean_failure(invoke("run", missing), [f"{missing}: no such file"], "DataError")


def test_unknown_product():
    r = invoke("run", "--product", "basic_term_x")
    assert_clean_failure(r, ["unknown product 'basic_term_x'", "basic_term_s, basic_term_se"], "AssumptionError")


def test_bad_assumptions_folder(tmp_path):
    r = invoke("run", "--assumptions", tmp_path)
    assert_clean_failure(r, [f"{tmp_path}: not an assumption set"], "AssumptionError")


def test_se_file_with_new_business_product():
    r = invoke("run", demo_policies_path("basic_term_se"))
    assert_clean_failure(r, ["row 1 column 'duration_mth': 1 is not 0", "basic_term_se"], "DataError")


@pytest.mark.parametrize("cell", ["[bold]12", "[/x]", "[red]1[/red]"], ids=["open-tag", "stray-close", "pair"])
def test_message_is_printed_verbatim_not_as_markup(tmp_path, cell):
    """A cell that looks like rich markup is quoted as written, not styled or crashed on."""
    path = tmp_path / "markup.csv"
    path.write_text(f"policy_id,age_at_entry,policy_term,policy_count,sum_assured\n1,40,10,1,{cell}\n")
    r = invoke("run", path)
    assert_clean_failure(r, [f"row 1 column 'sum_assured': {cell!r} is not a number"], "DataError")


# --------------------------------------------------------------------------------------
# As a user runs it: a subprocess
# --------------------------------------------------------------------------------------


def test_module_run_prints_the_s_total():
    p = run_module("run")
    assert p.returncode == 0, p.stderr
    assert PV_S_PRINTED in p.stdout


def test_module_run_bad_file_exits_1_without_traceback():
    p = run_module("run", BAD / "thousands_separator.csv")
    assert p.returncode == 1
    assert "Traceback" not in p.stderr
    assert "thousands_separator.csv row 2 column 'sum_assured': '1,000' is not a number" in p.stderr
    assert "\n" not in p.stderr.rstrip("\n")  # one line, however narrow the (absent) terminal
