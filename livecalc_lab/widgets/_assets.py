"""The widgets' front-end files: ESM modules, the style sheet and the gzipped plotly.js bundle.

Each widget has one ES module in ``js/`` (plain JavaScript with ``// @ts-check``
and JSDoc types, checked by ``tsc --noEmit``; no build step). Code they share
lives in ``js/_shared.js``, which a widget module imports with one line::

    import { h, loadPlotly } from "./_shared.js";

anywidget loads a widget's module from a string, where relative imports cannot
resolve, so :func:`esm` replaces that line with the text of ``_shared.js``
(which imports nothing and has no default export). The type checker sees the
real import; the browser sees one self-contained module.
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
_IMPORT_SHARED = re.compile(r'^import\s*\{[^}]*\}\s*from\s*"\./_shared\.js";[ \t]*$', re.MULTILINE)


@functools.cache
def esm(name: str) -> str:
    """The self-contained ES module of widget ``name`` (``js/<name>.js`` with ``_shared.js`` inlined).

    Raises
    ------
    FileNotFoundError
        No such module.
    ValueError
        The module imports ``_shared.js`` more than once, or imports anything else.
    """
    text = (JS_DIR / f"{name}.js").read_text(encoding="utf-8")
    found = _IMPORT_SHARED.findall(text)
    if len(found) > 1:
        raise ValueError(f"js/{name}.js imports {SHARED} {len(found)} times; import it once")
    if found:
        shared = (JS_DIR / SHARED).read_text(encoding="utf-8").replace("// @ts-check\n", "", 1)
        text = _IMPORT_SHARED.sub(lambda _m: shared, text, count=1)
    if re.search(r'^\s*import\s', text, re.MULTILINE):
        raise ValueError(f"js/{name}.js imports a module other than ./{SHARED}; widget modules must be self-contained")
    return text


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
