"""Shared fixtures of the engine tests: the packaged engine, the demo bases and portfolios."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
import pytest

from livecalc_lab.assumptions import ProductBasis, demo_assumptions
from livecalc_lab.engine import Engine, default_engine
from livecalc_lab.model.policies import (
    Policies,
    attach_premium_rates,
    check_policies,
    demo_policies_path,
    read_policies,
)

PRODUCTS = ("basic_term_s", "basic_term_se")


@dataclass(frozen=True)
class Portfolio:
    """A bundled lifelib portfolio, checked and ready for ``Engine.value_term``."""

    product: str
    basis: ProductBasis
    policies: Policies
    frame: pl.DataFrame  # with ``premium_rate`` for table-premium products


def load_portfolio(product: str) -> Portfolio:
    basis = demo_assumptions().basis(product)
    policies = read_policies(demo_policies_path(product))
    check_policies(policies, basis)
    return Portfolio(product, basis, policies, attach_premium_rates(policies, basis))


@pytest.fixture(scope="session")
def engine() -> Engine:
    """The process-wide engine of the packaged module (session-scoped: safe under hypothesis)."""
    return default_engine()


@pytest.fixture(scope="session")
def portfolios() -> dict[str, Portfolio]:
    return {p: load_portfolio(p) for p in PRODUCTS}


@pytest.fixture(scope="session", params=PRODUCTS, ids=["S", "SE"])
def portfolio(request: pytest.FixtureRequest, portfolios: dict[str, Portfolio]) -> Portfolio:
    """Each bundled portfolio in turn: basic_term_s (id S) and basic_term_se (id SE)."""
    return portfolios[request.param]
