"""The Examples in the data layer's docstrings run and give what they show."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import livecalc_lab.data

MODULES = sorted(m.name for m in pkgutil.iter_modules(livecalc_lab.data.__path__, "livecalc_lab.data."))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
