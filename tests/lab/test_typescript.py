"""The TypeScript of the JupyterLab extension: its vitest unit tests, the type check, and its Python quoting.

Runs ``npm test`` (vitest: formatting, tree grouping, code cells, the API client,
polling, settings) and ``npm run typecheck`` (``tsc --noEmit`` over sources and
tests) in ``labextension/``, and checks that the code cells the side panel inserts
are Python that means what they say, by compiling ``src/cells.ts`` and asking
Python's own parser. Skips, saying why, only when node or npm is missing.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess

import pytest

from _jupyter import LABEXT, npm


def test_vitest_unit_tests_pass(node_modules):
    out = npm("test", "--", "--reporter=dot").stdout
    m = re.search(r"Tests\s+(?:\x1b\[[0-9;]*m)*\s*(\d+) passed", re.sub(r"\x1b\[[0-9;]*m", "", out))
    assert m and int(m.group(1)) >= 50, out[-2000:]
    assert "failed" not in re.sub(r"\x1b\[[0-9;]*m", "", out)


def test_typescript_type_checks(node_modules):
    npm("run", "typecheck")


NASTY = [
    "policies.parquet",
    "/data/Q1 book/policies (final).csv",
    'C:\\data\\"q1".csv',
    "it's \"quoted\"",
    "line\nbreak\r\tand tab",
    "\x00\x1b\x7f\x85\u2028\u2029",
    "Zürich, 東京, 😀",
    "\ud800 lone high, lone low \udc00",
    "\\",
    "\"))\nimport os; os.system('x')  # ",
    "",
]


@pytest.fixture(scope="module")
def cells_js(node_modules, tmp_path_factory):
    """``src/cells.ts`` compiled to CommonJS, for node to call."""
    out = tmp_path_factory.mktemp("cells")
    subprocess.run([str(node_modules / ".bin" / "tsc"), str(LABEXT / "src" / "cells.ts"), "--module", "commonjs",
                    "--target", "ES2022", "--outDir", str(out)], check=True, capture_output=True, timeout=120)
    return out / "cells.js"


def _node(cells_js, script: str, data) -> list:
    proc = subprocess.run(["node", "-e", f"const c = require({json.dumps(str(cells_js))});"
                           "const data = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
                           f"process.stdout.write(JSON.stringify({script}));"],
                          input=json.dumps(data), capture_output=True, text=True, check=True, timeout=60)
    return json.loads(proc.stdout)


def test_python_reads_back_every_string_literal(cells_js):
    literals = _node(cells_js, "data.map(s => c.pythonString(s))", NASTY)
    for text, literal in zip(NASTY, literals, strict=True):
        assert "\n" not in literal and "\r" not in literal, literal
        assert ast.literal_eval(literal) == text, (text, literal)


def test_inserted_cells_are_python_that_opens_the_dataset_and_the_job(cells_js):
    entries = [{"id": f"file:{t}", "uri": t} for t in NASTY] + [{"id": f"config:{t}", "uri": t} for t in NASTY[:3]]
    cells = _node(cells_js, "data.map(e => [c.workbenchCode(e), c.openResultCode(e.id)])", entries)
    for entry, (workbench, result) in zip(entries, cells, strict=True):
        tree = ast.parse(workbench)
        call = tree.body[-2].value  # wb = lc.Workbench(<opener>)
        assert ast.unparse(call.func) == "lc.Workbench"
        opener = call.args[0]
        if entry["id"].startswith("file:"):
            assert ast.unparse(opener.func) == "lc.open_dataset"
            assert ast.literal_eval(opener.args[0]) == entry["uri"]
        else:
            assert ast.unparse(opener.func.value.func) == "find"
            assert ast.literal_eval(opener.func.value.args[0]) == entry["id"]
        assert ast.unparse(tree.body[-1]) == "wb"
        job = ast.parse(result)
        assert ast.unparse(job.body[1].value.func) == "lc.attach"
        assert ast.literal_eval(job.body[1].value.args[0]) == entry["id"]
        assert ast.unparse(job.body[-1]) == "job.result()"
