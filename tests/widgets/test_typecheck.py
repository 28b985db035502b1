"""The widget front ends type-check: ``tsc -p livecalc_lab/widgets/js`` (JS with JSDoc, ``checkJs``, strict).

TypeScript and anywidget's types are installed into ./node_modules by ``scripts/install-test-deps.sh``.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TSC = ROOT / "node_modules" / ".bin" / "tsc"


@pytest.mark.skipif(shutil.which("node") is None or not TSC.exists()
                    or not (ROOT / "node_modules" / "@anywidget" / "types").exists(),
                    reason="node, typescript or @anywidget/types missing (scripts/install-test-deps.sh installs them)")
def test_the_widget_modules_type_check():
    proc = subprocess.run([str(TSC), "-p", str(ROOT / "livecalc_lab" / "widgets" / "js")], capture_output=True,
                          text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
