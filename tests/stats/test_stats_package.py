"""The public surface of ``livecalc_lab.stats``."""

from __future__ import annotations

import subprocess
import sys

import livecalc_lab.stats as stats
from livecalc_lab.errors import LivecalcError


def test_every_public_name_resolves():
    assert sorted(stats.__all__) == sorted(set(stats.__all__))
    for name in stats.__all__:
        assert getattr(stats, name) is not None, name


def test_errors_share_the_package_root():
    assert issubclass(stats.StatsError, LivecalcError)
    assert issubclass(stats.StatsError, ValueError)


def test_import_does_not_load_fastdigest():
    code = "import sys, livecalc_lab.stats; print('fastdigest' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
