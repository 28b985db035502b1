"""Versioned assumption sets: a folder of CSV tables plus a manifest ``assumptions.json``, under governance.

``lc.assumptions`` is this package:

* :class:`AssumptionSet`, :func:`load_assumptions`, :func:`demo_assumptions`: a set and
  its content-hash version (:mod:`~livecalc_lab.assumptions.assumption_set`, manifest format);
* :class:`Store`: every version ever saved, immutable, with draft/approved/rejected status
  and an audit log, in a folder or Azure Blob Storage (:mod:`~livecalc_lab.assumptions.store`);
  references ``assumptions://NAME:VERSION``, ``:latest``, ``:draft`` (:mod:`~livecalc_lab.assumptions.refs`);
* :func:`diff`: what changed between two sets, table cell by cell (:mod:`~livecalc_lab.assumptions.diff`);
* :func:`export_excel`, :func:`import_excel`: a workbook with one sheet per table
  (:mod:`~livecalc_lab.assumptions.excel`);
* :func:`push`, :func:`pull`, :class:`ServiceStore`: the same versions through the
  assumptions service (:mod:`~livecalc_lab.assumptions.sync`).
"""

from livecalc_lab.assumptions.assumption_set import (
    AssumptionSet,
    ProductBasis,
    canonical_version,
    demo_assumptions,
    load_assumptions,
)
from livecalc_lab.assumptions.diff import AssumptionsDiff, diff
from livecalc_lab.assumptions.excel import export_excel, import_excel
from livecalc_lab.assumptions.refs import AssumptionRef, parse_ref
from livecalc_lab.assumptions.savings import SavingsBasis
from livecalc_lab.assumptions.store import (
    AuditEvent,
    Store,
    VersionConflict,
    VersionInfo,
    VersionNotFound,
    open_store,
    resolve_ref,
)
from livecalc_lab.assumptions.sync import ServiceStore, pull, push

__all__ = [
    "AssumptionRef",
    "AssumptionSet",
    "AssumptionsDiff",
    "AuditEvent",
    "ProductBasis",
    "SavingsBasis",
    "ServiceStore",
    "Store",
    "VersionConflict",
    "VersionInfo",
    "VersionNotFound",
    "canonical_version",
    "demo_assumptions",
    "diff",
    "export_excel",
    "import_excel",
    "load_assumptions",
    "open_store",
    "parse_ref",
    "pull",
    "push",
    "resolve_ref",
]
