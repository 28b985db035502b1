"""The Jupyter server extension behind the LiveCalc side panel of JupyterLab.

Enabled by ``jupyter-config/jupyter_server_config.d/livecalc_lab.json`` (installed
with the package into ``etc/jupyter/jupyter_server_config.d``), which names the
package ``livecalc_lab``: its ``_jupyter_server_extension_points`` points here,
and :func:`_load_jupyter_server_extension` adds the
authenticated routes of :mod:`livecalc_lab.lab.handlers` under
``<base_url>/livecalc/api/``. The TypeScript side panel (``labextension/``, shipped
prebuilt in ``share/jupyter/labextensions/livecalc-lab``) is their client.

``jupyter server extension list`` shows ``livecalc_lab``; ``jupyter labextension
list`` shows ``livecalc-lab``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["_load_jupyter_server_extension"]


def _load_jupyter_server_extension(server_app: Any) -> None:
    """Register the ``/livecalc/api/`` routes on the server's web application."""
    from livecalc_lab.lab.handlers import setup_handlers

    setup_handlers(server_app.web_app)
    server_app.log.info("livecalc_lab: LiveCalc routes registered under %slivecalc/api/",
                        server_app.web_app.settings.get("base_url", "/"))
