"""The widgets' front-end files: ESM modules, the style sheet and the gzipped plotly.js bundle.

Each widget has one ES module in ``js/`` (plain JavaScript with ``// @ts-check``
and JSDoc types, checked by ``tsc --noEmit``; no build step). Code they share
lives in private modules ``js/_<name>.js`` (``_shared.js``, ``_display.js``,
``_browser_preview.js``), which a module imports with one line each::

    import { h, loadPlotly } from "./_shared.js";

anywidget loads a widget's module from a string, where relative imports cannot
resolve, so :func:`esm` replaces each such line with the text of the private
module (its own private imports inlined the same way, each module once: a
second import of one already inlined is dropped). Private modules have no
default export, and their top-level names must differ, since they end up in one
scope. The type checker sees the real imports; the browser sees one
self-contained module.
"""

from __future__ import annotations

import functools
import gzip
import re
from importlib import resources
from pathlib import Path

__all__ = ["JS_DIR", "esm", "css", "plotly_bundle"]

JS_DIR = Path(str(resources.files("livecalc_lab") / "widgets" / "js"))
SHARED = "_shared.js"
_IMPORT_PRIVATE = re.compile(r'^import\s*\{[^}]*\}\s*from\s*"\./(_\w+\.js)";[ \t]*$', re.MULTILINE)


def _inline(name: str, seen: set[str]) -> str:
    text = (JS_DIR / name).read_text(encoding="utf-8")
    found = _IMPORT_PRIVATE.findall(text)
    twice = sorted({dep for dep in found if found.count(dep) > 1})
    if twice:
        raise ValueError(f"js/{name} imports {', '.join(twice)} more than once; import each once")

    def replace(m: re.Match[str]) -> str:
        dep = m.group(1)
        if dep in seen:
            return ""
        seen.add(dep)
        return _inline(dep, seen).replace("// @ts-check\n", "", 1)

    text = _IMPORT_PRIVATE.sub(replace, text)
    if re.search(r'^\s*import\s', text, re.MULTILINE):
        raise ValueError(f"js/{name} imports a module other than a private ./_<name>.js; widget modules must be "
                         "self-contained")
    return text


@functools.cache
def esm(name: str) -> str:
    """The self-contained ES module of widget ``name`` (``js/<name>.js`` with its private modules inlined).

    Raises
    ------
    FileNotFoundError
        No such module (or a private module it imports is missing).
    ValueError
        A module imports the same private module twice, or imports anything else.
    """
    return _inline(f"{name}.js", set())


@functools.cache
def css() -> str:
    """The style sheet shared by every widget (``js/widgets.css``)."""
    return (JS_DIR / "widgets.css").read_text(encoding="utf-8")


@functools.cache
def plotly_bundle() -> bytes:
    """plotly.js as shipped in the ``plotly`` Python package (``package_data/plotly.min.js``), gzipped.

    Sent once per page to the browser (about 1.4 MB instead of 4.8 MB), which
    inflates it with ``DecompressionStream``; nothing is fetched from a CDN.

    Raises
    ------
    ImportError
        plotly is not installed (``pip install 'livecalc-lab[widgets]'``).
    """
    import plotly

    path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    return gzip.compress(path.read_bytes(), compresslevel=6, mtime=0)
