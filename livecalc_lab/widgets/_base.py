"""What every LiveCalc widget shares: the style sheet, custom messages, and plotly.js on request.

A front end that draws a chart asks for the plotting library once per page
(``{"type": "need", "what": "plotly", "id": ...}``); the kernel answers with the
gzipped bundle as a chunked transfer of that id (:mod:`livecalc_lab.widgets._transport`). Other
custom messages go to the subclass's :meth:`LivecalcWidget._handle`.
"""

from __future__ import annotations

import threading
import traceback
from typing import Any

import anywidget
import traitlets

from livecalc_lab.widgets import _assets, _transport

__all__ = ["LivecalcWidget"]


class LivecalcWidget(anywidget.AnyWidget):
    """Base of the LiveCalc widgets (not used on its own).

    Attributes
    ----------
    message : str
        A line for the user (an error or a hint), shown by the front end; empty for none.
    """

    _css = _assets.css()
    message = traitlets.Unicode("").tag(sync=True)

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.on_msg(self._on_custom)

    def _on_custom(self, _widget: Any, content: Any, buffers: list[Any]) -> None:
        if not isinstance(content, dict):
            return
        if content.get("type") == "need" and content.get("what") == "plotly":
            # Compressing the bundle the first time takes ~0.1 s: not on the kernel's main thread.
            threading.Thread(target=self._send_plotly, args=(str(content.get("id", "")),), name="livecalc-plotly",
                             daemon=True).start()
            return
        try:
            self._handle(content, buffers)
        except Exception as exc:  # a bug must show in the widget, not vanish into the kernel log
            traceback.print_exc()
            self.message = f"internal error: {type(exc).__name__}: {exc}"

    def _send_plotly(self, transfer: str) -> None:
        try:
            _transport.send(self, "plotly", _assets.plotly_bundle(), {"encoding": "gzip"}, transfer=transfer or None)
        except Exception as exc:
            self.message = f"charts unavailable: {exc}"

    def _handle(self, content: dict[str, Any], buffers: list[Any]) -> None:
        """A custom message from the front end (subclasses override)."""
