"""Helpers shared by the ``livecalc`` command's modules (:mod:`livecalc_lab.cli`, :mod:`livecalc_lab.jobs._cli`)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from livecalc_lab.errors import LivecalcError

err_console = Console(stderr=True)

OptionList = Annotated[
    Optional[list[str]],
    typer.Option("--option", "-O", help="Read option KEY=VALUE (delimiter, decimal, thousands, encoding, "
                 "date_format, valuation_date, age_basis); repeatable."),
]
FilterOpt = Annotated[Optional[str], typer.Option("--filter", help="Row filter, e.g. \"region = 'UK' AND age_at_entry >= 40\".")]
TableOpt = Annotated[Optional[str], typer.Option("--table", help="Table of a database source.")]
AssumptionsOpt = Annotated[Optional[str], typer.Option(
    "--assumptions", "-a", help="Assumption-set folder, or a stored version assumptions://NAME:VERSION "
    "(:latest = latest approved, :draft = working draft). Default: the bundled lifelib set.")]


def _dataset(uri: str, filter_: Optional[str], table: Optional[str], options: Optional[list[str]]):  # noqa: ANN202
    from livecalc_lab.data import open_dataset

    opts: dict[str, str] = {}
    for item in options or []:
        key, sep, value = item.partition("=")
        if not sep:
            raise typer.BadParameter(f"--option takes KEY=VALUE, not {item!r}")
        opts[key.strip()] = value
    if table is not None:
        opts["table"] = table
    return open_dataset(uri, filter=filter_, **opts)


def _fail(exc: LivecalcError) -> None:
    # The message quotes user data (cells, paths): escape it so rich does not read it as markup.
    err_console.print(f"[bold red]error:[/] {type(exc).__name__}: {escape(str(exc))}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=1)


def _money(x: float) -> str:
    return f"{x:,.2f}"


def _frame_table(frame, title: str) -> Table:
    """A rich table of a polars frame; floats with thousands separators."""
    table = Table(title=title, title_justify="left")
    for name, dtype in frame.schema.items():
        table.add_column(name, justify="right" if dtype.is_numeric() else "left")
    for row in frame.iter_rows():
        table.add_row(*(("" if v is None else f"{v:,.2f}") if isinstance(v, float) else escape(str(v)) for v in row))
    return table
