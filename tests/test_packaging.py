"""The package as a user installs it: the wheel, the engine inside it, the README's commands."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import livecalc_lab as lc
from livecalc_lab.engine import ENGINE_PATH

ROOT = Path(__file__).resolve().parents[1]
S_TOTAL_TEXT = "14,489,630.53"


def _readme_block(marker: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    m = re.search(rf"<!-- {marker} -->\s*```bash\n(.*?)\n```", text, re.S)
    assert m, f"README.md has no {marker} block"
    return m.group(1).strip()


def test_readme_has_exactly_two_setup_commands():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert text.count("<!-- main-command -->") == 1
    assert text.count("<!-- test-command -->") == 1
    assert _readme_block("main-command").endswith("livecalc run")
    assert "pytest" in _readme_block("test-command")


def test_readme_main_command_prints_the_basic_term_s_total():
    """The last step of the README's main command, run as the installed console script."""
    last = _readme_block("main-command").split("&&")[-1].split()
    assert Path(last[0]).name == "livecalc"
    exe = shutil.which("livecalc", path=str(Path(sys.executable).parent))
    assert exe, "the livecalc console script is not installed next to this Python"
    out = subprocess.run([exe, *last[1:]], capture_output=True, text=True, timeout=120, check=True)
    assert S_TOTAL_TEXT in out.stdout


def test_version_is_one_number():
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'path = "livecalc_lab/_version.py"' in pyproject
    assert re.fullmatch(r"\d+\.\d+\.\d+", lc.__version__)


@pytest.mark.slow
def test_wheel_is_platform_independent_and_carries_the_same_engine(tmp_path):
    """``pip wheel .`` builds a py3-none-any wheel whose engine.wasm is byte-identical to this one."""
    src = tmp_path / "src"
    # Build from a copy of the tracked sources, as a fresh clone would.
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    for f in files:
        dest = src / f
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / f, dest)
    assert not (src / "livecalc_lab" / "engine" / "engine.wasm").exists(), "the built module must not be committed"
    out = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(src)],
        check=True,
        timeout=600,
    )
    wheels = list(out.glob("*.whl"))
    assert len(wheels) == 1 and wheels[0].name.endswith("-py3-none-any.whl"), wheels
    with zipfile.ZipFile(wheels[0]) as z:
        data = z.read("livecalc_lab/engine/engine.wasm")
        names = z.namelist()
    assert hashlib.sha256(data).hexdigest() == hashlib.sha256(ENGINE_PATH.read_bytes()).hexdigest()
    assert "livecalc_lab/demo/LICENSE-lifelib.txt" in names
    assert "livecalc_lab/demo/assumptions/assumptions.json" in names
    assert "livecalc_lab/engine/js/host.mjs" in names  # the JS host ships beside the module
    assert "livecalc_lab/engine/js/preview_worker.mjs" in names  # and the in-browser preview
    # The JupyterLab extension, built by the build hook, lands in the environment's Jupyter paths.
    data_dir = f"livecalc_lab-{lc.__version__}.data/data"
    assert f"{data_dir}/share/jupyter/labextensions/livecalc-lab/package.json" in names
    assert f"{data_dir}/share/jupyter/labextensions/livecalc-lab/install.json" in names
    assert f"{data_dir}/share/jupyter/labextensions/livecalc-lab/static/style.js" in names
    assert f"{data_dir}/etc/jupyter/jupyter_server_config.d/livecalc_lab.json" in names
