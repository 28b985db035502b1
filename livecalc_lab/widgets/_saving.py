"""Where the widgets keep assumption sets that exist only in memory (edited in the workbench).

A job's workers load its assumption set from a folder (:mod:`livecalc_lab.jobs.spec`),
and "save as new version" writes one. Until the versioned assumption store
(:mod:`livecalc_lab.assumptions`) takes over, an edited set is written to
``$LIVECALC_HOME/assumptions/<first 16 hex digits of its version>/`` — content
addressed, so saving the same content twice writes nothing new and two
different contents never share a folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["versions_root", "saved_copy", "folder_holds"]


def versions_root() -> Path:
    """``$LIVECALC_HOME/assumptions``."""
    from livecalc_lab.config import livecalc_home

    return livecalc_home() / "assumptions"


def folder_holds(folder: Path | None, version: str) -> bool:
    """Whether ``folder`` holds an assumption set of exactly ``version``."""
    from livecalc_lab.assumptions import load_assumptions
    from livecalc_lab.errors import AssumptionError

    if folder is None or not (Path(folder) / "assumptions.json").is_file():
        return False
    try:
        return load_assumptions(folder).version == version
    except AssumptionError:
        return False


def saved_copy(aset: Any, root: Path | None = None) -> Any:
    """``aset`` as read from a folder that holds it: itself when its own folder still does, else a copy
    saved under ``root`` (default :func:`versions_root`) and loaded back.

    Raises
    ------
    AssumptionError
        The set cannot be written or does not load back to the same version.
    """
    from livecalc_lab.assumptions import load_assumptions
    from livecalc_lab.errors import AssumptionError

    if folder_holds(aset.path, aset.version):
        return aset
    folder = (root or versions_root()) / aset.version.split(":", 1)[-1][:16]
    if not folder_holds(folder, aset.version):
        if folder.exists():
            raise AssumptionError(f"{folder}: holds another assumption set than {aset.version}; remove it")
        folder.parent.mkdir(parents=True, exist_ok=True)
        aset.save(folder)
    saved = load_assumptions(folder)
    if saved.version != aset.version:
        raise AssumptionError(f"{folder}: saved as {saved.version}, expected {aset.version}")
    return saved
