"""The Examples in the service's and the configuration's docstrings run and give what they show."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import livecalc_lab.api

MODULES = ["livecalc_lab.config", *sorted(m.name for m in pkgutil.iter_modules(livecalc_lab.api.__path__, "livecalc_lab.api."))]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
