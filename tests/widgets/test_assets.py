"""The front-end files: self-contained ES modules that parse, one style sheet, plotly.js gzipped once."""

from __future__ import annotations

import gzip
import shutil
import subprocess
from pathlib import Path

import pytest

from livecalc_lab.widgets import _assets

NODE = shutil.which("node")
WIDGETS = ("dataset_browser", "assumptions_editor", "preview_panel", "run_panel")


@pytest.mark.parametrize("name", WIDGETS)
def test_each_widget_module_is_self_contained_with_the_shared_code_inlined(name):
    text = _assets.esm(name)
    assert "import " not in "\n".join(line for line in text.splitlines() if line.lstrip().startswith("import"))
    assert "export class Assembler" in text and "export default" in text


@pytest.mark.skipif(NODE is None, reason="node is not installed")
@pytest.mark.parametrize("name", WIDGETS)
def test_each_inlined_module_parses_as_an_es_module(name, tmp_path):
    path = tmp_path / f"{name}.mjs"
    path.write_text(_assets.esm(name))
    subprocess.run([NODE, "--check", str(path)], check=True, capture_output=True)


def test_a_module_importing_anything_else_is_refused(tmp_path, monkeypatch):
    (tmp_path / "_shared.js").write_text("// @ts-check\nexport const x = 1;\n")
    (tmp_path / "bad.js").write_text('import { x } from "./_shared.js";\nimport y from "./other.js";\n')
    (tmp_path / "twice.js").write_text('import { x } from "./_shared.js";\nimport { x } from "./_shared.js";\n')
    monkeypatch.setattr(_assets, "JS_DIR", tmp_path)
    _assets.esm.cache_clear()
    try:
        with pytest.raises(ValueError, match="self-contained"):
            _assets.esm("bad")
        with pytest.raises(ValueError, match="once"):
            _assets.esm("twice")
    finally:
        _assets.esm.cache_clear()


def test_the_plotly_bundle_is_the_packaged_plotly_js_gzipped():
    import plotly

    raw = (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_bytes()
    packed = _assets.plotly_bundle()
    assert gzip.decompress(packed) == raw
    assert len(packed) < len(raw) / 2
    assert _assets.plotly_bundle() is packed  # compressed once per process


def test_private_modules_are_inlined_once_each_whatever_imports_them(tmp_path, monkeypatch):
    (tmp_path / "_shared.js").write_text("// @ts-check\nexport const base = 1;\n")
    (tmp_path / "_util.js").write_text('// @ts-check\nimport { base } from "./_shared.js";\nexport const two = base + 1;\n')
    (tmp_path / "w.js").write_text('import { base } from "./_shared.js";\nimport { two } from "./_util.js";\n'
                                   "export default { two, base };\n")
    monkeypatch.setattr(_assets, "JS_DIR", tmp_path)
    _assets.esm.cache_clear()
    try:
        text = _assets.esm("w")
    finally:
        _assets.esm.cache_clear()
    assert text.count("export const base = 1;") == 1 and text.count("export const two") == 1
    assert "import" not in text and "@ts-check" not in text
    assert text.index("export const base") < text.index("export const two")


def test_the_preview_panel_carries_the_browser_preview_and_the_display_port():
    text = _assets.esm("preview_panel")
    assert "export class BrowserPreview" in text and "export function histogram" in text
    assert text.count("export class Assembler") == 1  # _shared.js once, though two modules import it


def test_one_style_sheet_serves_every_widget():
    from livecalc_lab.widgets import DatasetBrowser, PreviewPanel

    assert PreviewPanel._css == DatasetBrowser._css == _assets.css()
    assert ".lc-panel" in _assets.css()
