"""The ``livecalc`` command.

``livecalc run [POLICIES] [--assumptions DIR] [--product P] [--per-policy OUT.parquet] [--json]``
values a portfolio (the bundled lifelib BasicTerm portfolio by default). Errors in
the input are printed as one line naming the file, row, column and value, without
a traceback, and the exit status is 1.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from livecalc_lab._version import __version__
from livecalc_lab.errors import LivecalcError

app = typer.Typer(
    name="livecalc",
    help="LiveCalc Lab: value life-insurance portfolios with a WebAssembly projection engine.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err_console = Console(stderr=True)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(__version__)
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        # Eager, so it runs before the group asks for a command ("livecalc --version" alone).
        typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    pass


def _fail(exc: LivecalcError) -> None:
    # The message quotes user data (cells, paths): escape it so rich does not read it as markup.
    err_console.print(f"[bold red]error:[/] {type(exc).__name__}: {escape(str(exc))}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=1)


def _money(x: float) -> str:
    return f"{x:,.2f}"


def _write_parquet(frame, path: Path) -> None:
    """Write ``frame`` to ``path`` through a temporary name, so no partial file is left under it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    frame.write_parquet(tmp)
    tmp.replace(path)


@app.command()
def run(
    policies: Annotated[
        Optional[Path],
        typer.Argument(help="Model points, CSV or Parquet. Default: the bundled lifelib portfolio for --product."),
    ] = None,
    assumptions: Annotated[
        Optional[Path], typer.Option("--assumptions", "-a", help="Assumption-set folder. Default: bundled lifelib set.")
    ] = None,
    product: Annotated[str, typer.Option("--product", "-p", help="Product in the assumption set.")] = "basic_term_s",
    per_policy: Annotated[
        Optional[Path], typer.Option("--per-policy", help="Write per-policy PVs to this Parquet file.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of a table.")] = False,
    threads: Annotated[int, typer.Option("--threads", min=1, help="Engine threads (results are identical).")] = 1,
    scenarios: Annotated[
        Optional[int], typer.Option("--scenarios", min=1, help="Hull-White scenarios to value (adds the distribution).")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Scenario seed.")] = 1,
    hw_a: Annotated[Optional[float], typer.Option("--hw-a", help="Hull-White mean reversion a, per year.")] = None,
    hw_sigma: Annotated[
        Optional[float], typer.Option("--hw-sigma", help="Hull-White short-rate volatility, per sqrt(year).")
    ] = None,
    fund_sigma: Annotated[Optional[float], typer.Option("--fund-sigma", help="Fund volatility per sqrt(year).")] = None,
    scenario_file: Annotated[
        Optional[Path], typer.Option("--scenario-file", help="Read scenarios (long layout CSV/Parquet) instead.")
    ] = None,
    per_scenario: Annotated[
        Optional[Path], typer.Option("--per-scenario", help="Write per-scenario totals to this Parquet file.")
    ] = None,
    shock: Annotated[
        Optional[list[str]], typer.Option("--shock", help="Sensitivity, e.g. mortality=1.1 (repeatable).")
    ] = None,
) -> None:
    """Value a portfolio and print the present values of its cashflows."""
    from livecalc_lab.model.scenarios import hull_white, read_scenarios
    from livecalc_lab.valuation import run as run_valuation

    try:
        spec = None
        if scenario_file is not None:
            spec = read_scenarios(scenario_file)
        elif scenarios is not None:
            kw = {k: v for k, v in (("a", hw_a), ("sigma", hw_sigma), ("fund_sigma", fund_sigma)) if v is not None}
            spec = hull_white(n=scenarios, seed=seed, **kw)
        elif hw_a is not None or hw_sigma is not None or fund_sigma is not None:
            raise typer.BadParameter("--hw-a, --hw-sigma and --fund-sigma need --scenarios N")
        if shock:
            from livecalc_lab.sensitivities import sensitivities

            table = sensitivities(policies, assumptions, product, shocks=list(shock), scenarios=spec, threads=threads)
            if as_json:
                typer.echo(json.dumps(table.to_dicts()))
            else:
                Console().print(_frame_table(table, "Sensitivities"))
            return
        result = run_valuation(policies, assumptions, product, scenarios=spec, threads=threads)
    except LivecalcError as exc:
        _fail(exc)
        return
    if per_policy is not None and result.per_policy is not None:
        _write_parquet(result.per_policy, per_policy)
    if per_scenario is not None:
        if result.per_scenario is None:
            err_console.print("error: --per-scenario needs --scenarios N or --scenario-file")
            raise typer.Exit(code=2)
        _write_parquet(result.per_scenario, per_scenario)
    if as_json:
        typer.echo(json.dumps(result.to_dict()))
        return
    console = Console()
    table = Table(title=f"LiveCalc valuation — {result.product}", title_justify="left")
    table.add_column("quantity")
    table.add_column("value", justify="right")
    table.add_row("source", escape(result.source))
    table.add_row("model points", f"{result.n_model_points:,}")
    table.add_row("policies", f"{result.n_policies:,.2f}")
    mean = " (mean over scenarios)" if result.statistics is not None else ""
    for name, value in result.totals.items():
        label = "PV net cashflow" + mean if name == "pv_net_cf" else "PV " + name[3:].replace("_", " ")
        table.add_row(label, _money(value), style="bold" if name == "pv_net_cf" else None)
    table.add_row("assumptions", result.assumptions_version[:23])
    table.add_row("engine", f"wasm {result.engine_version[:23]}")
    table.add_row("engine time", f"{result.engine_seconds * 1e3:.2f} ms")
    table.add_row("elapsed", f"{result.elapsed_seconds * 1e3:.1f} ms")
    console.print(table)
    if result.statistics is not None:
        console.print(_frame_table(result.summary(), f"Distribution of pv_net_cf over {result.statistics.n:,} scenarios"))
    if per_policy is not None:
        console.print(f"per-policy PVs written to {per_policy}")
    if per_scenario is not None:
        console.print(f"per-scenario totals written to {per_scenario}")


def _frame_table(frame, title: str) -> Table:
    """A rich table of a polars frame; floats with thousands separators."""
    table = Table(title=title, title_justify="left")
    for name, dtype in frame.schema.items():
        table.add_column(name, justify="right" if dtype.is_numeric() else "left")
    for row in frame.iter_rows():
        table.add_row(*(("" if v is None else f"{v:,.2f}") if isinstance(v, float) else escape(str(v)) for v in row))
    return table


def main() -> None:
    """Entry point of the ``livecalc`` console script."""
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
