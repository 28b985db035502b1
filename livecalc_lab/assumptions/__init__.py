"""Versioned assumption sets: a folder of CSV tables plus a manifest ``assumptions.json``.

See :mod:`livecalc_lab.assumptions.assumption_set` for the manifest format.
"""

from livecalc_lab.assumptions.assumption_set import (
    AssumptionSet,
    ProductBasis,
    canonical_version,
    demo_assumptions,
    load_assumptions,
)

__all__ = [
    "AssumptionSet",
    "ProductBasis",
    "canonical_version",
    "demo_assumptions",
    "load_assumptions",
]
