"""The worked examples in the statistics docstrings run and give what they say."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "livecalc_lab.stats.summary",
    "livecalc_lab.stats.moments",
    "livecalc_lab.stats.digest",
    "livecalc_lab.stats.tail",
    "livecalc_lab.stats.tvog",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"
