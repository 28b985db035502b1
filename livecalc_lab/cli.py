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
) -> None:
    """Value a portfolio and print the present values of its cashflows."""
    from livecalc_lab.valuation import run as run_valuation

    try:
        result = run_valuation(policies, assumptions, product, threads=threads)
    except LivecalcError as exc:
        _fail(exc)
        return
    if per_policy is not None:
        per_policy.parent.mkdir(parents=True, exist_ok=True)
        tmp = per_policy.with_name(per_policy.name + ".tmp")
        result.per_policy.write_parquet(tmp)
        tmp.replace(per_policy)  # never leave a partial file under the requested name
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
    table.add_row("PV premiums", _money(result.totals["pv_premiums"]))
    table.add_row("PV claims", _money(result.totals["pv_claims"]))
    table.add_row("PV expenses", _money(result.totals["pv_expenses"]))
    table.add_row("PV commissions", _money(result.totals["pv_commissions"]))
    table.add_row("PV net cashflow", _money(result.totals["pv_net_cf"]), style="bold")
    table.add_row("assumptions", result.assumptions_version[:23])
    table.add_row("engine", f"wasm {result.engine_version[:23]}")
    table.add_row("engine time", f"{result.engine_seconds * 1e3:.2f} ms")
    table.add_row("elapsed", f"{result.elapsed_seconds * 1e3:.1f} ms")
    console.print(table)
    if per_policy is not None:
        console.print(f"per-policy PVs written to {per_policy}")


def main() -> None:
    """Entry point of the ``livecalc`` console script."""
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
