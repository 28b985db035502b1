"""Optional dependencies: import them where they are needed, with a clear message when missing."""

from __future__ import annotations

import importlib
from types import ModuleType

from livecalc_lab.errors import LivecalcError

__all__ = ["require"]


def require(module: str, extra: str, what: str) -> ModuleType:
    """Import ``module`` or raise a LivecalcError naming the extra that provides it.

    >>> require("json", "none", "JSON").__name__
    'json'

    Raises
    ------
    LivecalcError
        ``"Azure Blob Storage needs the optional package azure.storage.blob: pip install 'livecalc-lab[azure]'"``.
    """
    try:
        return importlib.import_module(module)
    except ImportError:
        raise LivecalcError(
            f"{what} needs the optional package {module}: pip install 'livecalc-lab[{extra}]' "
            f"(from a clone: pip install '.[{extra}]')"
        ) from None
