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
from livecalc_lab.assumptions.savings import SavingsBasis

__all__ = [
    "AssumptionSet",
    "ProductBasis",
    "SavingsBasis",
    "canonical_version",
    "demo_assumptions",
    "load_assumptions",
]
