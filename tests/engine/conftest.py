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


@pytest.fixture(scope="session")
def run_js(tmp_path_factory: pytest.TempPathFactory):
    """Run an ES-module snippet in Node (the machine's ``node``): ``run_js(code, data) -> output``.

    ``code`` sees ``input`` (``data`` through JSON) and node:fs's ``readFileSync``, and assigns
    ``output``; ``@js/`` in it is the
    folder of the package's JS modules (``import { fsum } from "@js/stats.mjs"``). ``output`` comes
    back through JSON with typed arrays as lists and non-finite numbers and BigInts as strings;
    floats cross both ways as their shortest round-trip text, so the bits are kept.
    """
    import json
    import shutil
    import subprocess

    from livecalc_lab.engine import ENGINE_PATH

    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (the engine's JS host runs in Node)")
    folder = tmp_path_factory.mktemp("js")
    js = (ENGINE_PATH.parent / "js").as_uri()
    count = iter(range(1 << 30))

    def run(code: str, data: object = None) -> object:
        k = next(count)
        inp, out, script = folder / f"in{k}.json", folder / f"out{k}.json", folder / f"run{k}.mjs"
        inp.write_text(json.dumps(data))
        script.write_text(
            'import { readFileSync, writeFileSync } from "node:fs";\n'
            f"const input = JSON.parse(readFileSync({json.dumps(str(inp))}, 'utf8'));\n"
            "let output;\n" + code.replace("@js/", js + "/") + "\n"
            "const plain = (k, v) => typeof v === 'bigint' ? String(v)\n"
            "  : typeof v === 'number' && !Number.isFinite(v) ? String(v)\n"
            "  : ArrayBuffer.isView(v) ? Array.from(v, (x) => Number.isFinite(x) ? x : String(x)) : v;\n"
            f"writeFileSync({json.dumps(str(out))}, JSON.stringify(output ?? null, plain));\n")
        proc = subprocess.run([node, str(script)], capture_output=True, text=True, timeout=300)
        if proc.returncode:
            raise AssertionError(f"node failed:\n{proc.stderr}")
        return json.loads(out.read_text())

    return run
