"""Fixtures shared by the model tests: the engine and the bundled BasicTerm_S basis, once per session."""

from __future__ import annotations

import pytest

import livecalc_lab as lc
from livecalc_lab.engine import default_engine


@pytest.fixture(scope="session")
def engine():
    """The process's default engine (module compiled once)."""
    return default_engine()


@pytest.fixture(scope="session")
def basis():
    """The bundled lifelib BasicTerm_S basis (its curve drives the Hull-White fits)."""
    return lc.demo_assumptions().basis("basic_term_s")
