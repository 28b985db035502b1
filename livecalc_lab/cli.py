"""The ``livecalc`` command.

``livecalc run [POLICIES] [--assumptions DIR] [--product P] [--per-policy OUT.parquet] [--json]``
values a portfolio (the bundled lifelib BasicTerm portfolio by default); POLICIES
is a path or any URI :func:`livecalc_lab.open_dataset` understands.

``livecalc datasets info URI``, ``livecalc datasets sample URI -n 10000 --seed 42 -o sample.parquet``,
``livecalc datasets validate URI``, ``livecalc upload FILE azure://container/name`` and
``livecalc synth N OUT`` work with policy datasets.

``livecalc serve [--config datasets.toml] [--host 127.0.0.1] [--port 8765]`` runs the Data API;
``livecalc token --scope datasets:read`` prints a short-lived token for it.
``livecalc preview URI``, ``livecalc submit URI --backend local|dask|azure_batch|auto [--wait]``
and ``livecalc jobs [show|cancel|prune]`` estimate from a sample and run chunked
jobs (:mod:`livecalc_lab.jobs._cli`).
``livecalc report RESULT --format html|md -o FILE`` writes a valuation report of a
result file (``livecalc run --save FILE``) or a finished job (:mod:`livecalc_lab._report_cli`).

Errors in the input are printed as one line naming the file, row, column and
value, without a traceback, and the exit status is 1.
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

from livecalc_lab._cli_common import (
    FilterOpt,
    OptionList,
    TableOpt,
    _dataset,
    _fail,
    _frame_table,
    _money,
    err_console,
)
from livecalc_lab._report_cli import register as _register_report
from livecalc_lab._version import __version__
from livecalc_lab.errors import LivecalcError
from livecalc_lab.jobs._cli import register as _register_jobs

app = typer.Typer(
    name="livecalc",
    help="LiveCalc Lab: value life-insurance portfolios with a WebAssembly projection engine.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
datasets_app = typer.Typer(help="Inspect policy datasets without loading them.", no_args_is_help=True)
app.add_typer(datasets_app, name="datasets")





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




def _write_parquet(frame, path: Path) -> None:
    """Write ``frame`` to ``path`` through a temporary name, so no partial file is left under it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    frame.write_parquet(tmp)
    tmp.replace(path)


@app.command()
def run(
    policies: Annotated[
        Optional[str],
        typer.Argument(help="Model points: a CSV/Parquet path or a URI (azure://, abfss://, postgresql://, "
                       "sqlite:///). Default: the bundled lifelib portfolio for --product."),
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
    save: Annotated[
        Optional[Path], typer.Option("--save", help="File the whole result (Parquet) for `livecalc report`.")
    ] = None,
    shock: Annotated[
        Optional[list[str]], typer.Option("--shock", help="Sensitivity, e.g. mortality=1.1 (repeatable).")
    ] = None,
    filter_: FilterOpt = None,
    table: TableOpt = None,
    option: OptionList = None,
) -> None:
    """Value a portfolio and print the present values of its cashflows."""
    from livecalc_lab.model.scenarios import hull_white, read_scenarios
    from livecalc_lab.valuation import run as run_valuation

    try:
        source = policies
        if policies is not None and (filter_ or table or option):
            source = _dataset(policies, filter_, table, option)
        spec = None
        if scenario_file is not None:
            spec = read_scenarios(scenario_file)
        elif scenarios is not None:
            kw = {k: v for k, v in (("a", hw_a), ("sigma", hw_sigma), ("fund_sigma", fund_sigma)) if v is not None}
            spec = hull_white(n=scenarios, seed=seed, **kw)
        elif hw_a is not None or hw_sigma is not None or fund_sigma is not None:
            raise typer.BadParameter("--hw-a, --hw-sigma and --fund-sigma need --scenarios N")
        if shock:
            if save is not None:
                raise typer.BadParameter("--save files one valuation; it does not apply to --shock")
            from livecalc_lab.sensitivities import sensitivities

            frame = sensitivities(source, assumptions, product, shocks=list(shock), scenarios=spec, threads=threads)
            if as_json:
                typer.echo(json.dumps(frame.to_dicts()))
            else:
                Console().print(_frame_table(frame, "Sensitivities"))
            return
        result = run_valuation(source, assumptions, product, scenarios=spec, threads=threads)
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
    if save is not None:
        result.save(save)
        err_console.print(f"result saved to {save}", highlight=False, markup=False)
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




@datasets_app.command("info")
def datasets_info(
    uri: Annotated[str, typer.Argument(help="Path or URI of the dataset.")],
    filter_: FilterOpt = None,
    table: TableOpt = None,
    option: OptionList = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Print a dataset's metadata (rows, bytes, columns, version) without loading it."""
    import time

    try:
        t0 = time.perf_counter()
        ds = _dataset(uri, filter_, table, option)
        meta = ds.metadata
        info = meta.to_dict()
        elapsed = time.perf_counter() - t0
    except LivecalcError as exc:
        _fail(exc)
        return
    if as_json:
        typer.echo(json.dumps(info))
        return
    console = Console()
    table_ = Table(title=f"dataset — {uri}", title_justify="left")
    table_.add_column("column")
    table_.add_column("type")
    for name, dtype in info["columns"].items():
        table_.add_row(name, dtype)
    console.print(table_)
    console.print(f"type {ds.source.type}, format {meta.format}, {meta.parts} part(s)")
    console.print(f"rows {meta.rows:,}, bytes {meta.bytes:,}, version {info['version']}")
    if ds.filter is not None:
        console.print(f"filter {ds.filter.text} (rows are before the filter)")
    console.print(f"read in {elapsed * 1e3:.1f} ms")


@datasets_app.command("sample")
def datasets_sample(
    uri: Annotated[str, typer.Argument(help="Path or URI of the dataset.")],
    n: Annotated[int, typer.Option("-n", "--n", min=0, help="Policies to draw.")] = 10_000,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Sample seed.")] = 42,
    out: Annotated[Optional[Path], typer.Option("-o", "--out", help="Write the sample to this .parquet or .csv file.")] = None,
    filter_: FilterOpt = None,
    table: TableOpt = None,
    option: OptionList = None,
) -> None:
    """Draw a reproducible sample (the same rows for the same ids, seed and n, wherever stored)."""
    try:
        sample = _dataset(uri, filter_, table, option).sample(n, seed)
    except LivecalcError as exc:
        _fail(exc)
        return
    if out is None:
        Console().print(sample)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    if out.suffix.lower() == ".csv":
        sample.write_csv(tmp)
    else:
        sample.write_parquet(tmp)
    tmp.replace(out)
    err_console.print(f"{sample.height:,} policies written to {out}")


@datasets_app.command("validate")
def datasets_validate(
    uri: Annotated[str, typer.Argument(help="Path or URI of the dataset.")],
    assumptions: Annotated[Optional[Path], typer.Option("--assumptions", "-a", help="Assumption-set folder.")] = None,
    product: Annotated[Optional[str], typer.Option("--product", "-p", help="Product to check against.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Report at most this many problems.")] = 100,
    filter_: FilterOpt = None,
    table: TableOpt = None,
    option: OptionList = None,
) -> None:
    """Report every problem that would stop a projection (exit status 1 if any)."""
    try:
        report = _dataset(uri, filter_, table, option).validate(assumptions, product, limit=limit)
    except LivecalcError as exc:
        _fail(exc)
        return
    typer.echo(str(report))
    if not report.ok:
        raise typer.Exit(code=1)


@app.command()
def upload(
    file: Annotated[Path, typer.Argument(help="Local file to upload.")],
    uri: Annotated[str, typer.Argument(help="Destination blob: azure://container/name or https://<account>.blob...")],
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace a different existing blob.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Upload a file to Blob Storage in 4 MiB blocks; run it again to resume an interrupted upload."""
    from livecalc_lab.data.upload import upload as do_upload

    try:
        res = do_upload(file, uri, progress=not quiet, overwrite=overwrite)
    except LivecalcError as exc:
        _fail(exc)
        return
    note = f" (resumed: {res.blocks - res.sent} of {res.blocks} blocks were already there)" if res.resumed else ""
    typer.echo(f"{res.uri}: {res.bytes:,} bytes in {res.blocks} blocks, sha256 {res.sha256}{note}")


@app.command()
def synth(
    n: Annotated[int, typer.Argument(min=0, help="Number of policies.")],
    out: Annotated[Path, typer.Argument(help="Output .csv or .parquet file.")],
    seed: Annotated[int, typer.Option("--seed", min=0, help="Generator seed.")] = 0,
    in_force: Annotated[bool, typer.Option("--in-force", help="In-force policies with duration_mth (basic_term_se).")] = False,
) -> None:
    """Write a synthetic lifelib-like portfolio of N policies, streaming."""
    from livecalc_lab.data.synthetic import synthetic_portfolio

    try:
        path = synthetic_portfolio(n, seed, out, in_force=in_force)
    except LivecalcError as exc:
        _fail(exc)
        return
    typer.echo(f"{n:,} policies written to {path}")


@app.command()
def serve(
    config: Annotated[
        Optional[Path], typer.Option("--config", "-c", help="TOML file with a \\[datasets] table (and \\[api]). "
                                     "Default: the bundled portfolio as dataset 'demo'.")
    ] = None,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port to listen on.")] = 8765,
    log_level: Annotated[str, typer.Option("--log-level", help="uvicorn log level.")] = "info",
) -> None:
    """Serve the Data API (needs LIVECALC_JWT_SECRET, or public keys in \\[api.auth])."""
    levels = ("critical", "error", "warning", "info", "debug", "trace")
    if log_level.lower() not in levels:
        raise typer.BadParameter(f"--log-level must be one of {', '.join(levels)}, not {log_level!r}")
    try:
        from livecalc_lab.api.app import serve as run_service
    except ImportError as exc:  # pragma: no cover - depends on the install
        err_console.print(f"error: the Data API needs its extra: pip install 'livecalc-lab[api]' ({exc.name} is missing)")
        raise typer.Exit(code=1) from None
    try:
        run_service(str(config) if config is not None else None, host=host, port=port, log_level=log_level.lower())
    except LivecalcError as exc:
        _fail(exc)


def _seconds(text: str) -> float:
    """``900``, ``90s``, ``15m``, ``2h`` as seconds."""
    units = {"s": 1, "m": 60, "h": 3600}
    t = text.strip().lower()
    try:
        return float(t[:-1]) * units[t[-1]] if t and t[-1] in units else float(t)
    except ValueError:
        raise typer.BadParameter(f"expected a duration such as 900, 15m or 1h, not {text!r}") from None


@app.command()
def token(
    scope: Annotated[list[str], typer.Option("--scope", "-s", help="Scope to grant, e.g. datasets:read or "
                                              "datasets:demo:read (repeatable).")],
    ttl: Annotated[str, typer.Option("--ttl", help="Lifetime: seconds, or 15m, 1h (at most 24h).")] = "15m",
    config: Annotated[
        Optional[Path], typer.Option("--config", "-c", help="Service config, for its \\[api.auth] issuer and audience.")
    ] = None,
    subject: Annotated[Optional[str], typer.Option("--subject", help="The sub claim (default: your login).")] = None,
) -> None:
    """Print a short-lived HS256 token for a local Data API (signed with LIVECALC_JWT_SECRET)."""
    import os

    try:
        from livecalc_lab.api.auth import AuthSettings, mint_token
        from livecalc_lab.config import Config, load_config

        settings = AuthSettings.from_config(load_config(config) if config is not None else Config())
        env = settings.hs256_secret_env or "LIVECALC_JWT_SECRET"
        secret = os.environ.get(env)
        if not secret:
            err_console.print(f"error: {env} is not set; it holds the secret the service verifies tokens with")
            raise typer.Exit(code=1)
        typer.echo(mint_token(scope, secret=secret, issuer=settings.issuer, audience=settings.audience,
                              lifetime_seconds=_seconds(ttl), subject=subject))
    except ImportError as exc:  # pragma: no cover - depends on the install
        err_console.print(f"error: tokens need PyJWT: pip install 'livecalc-lab[api]' ({exc.name} is missing)")
        raise typer.Exit(code=1) from None
    except LivecalcError as exc:
        _fail(exc)
_register_jobs(app)
_register_report(app)


def main() -> None:
    """Entry point of the ``livecalc`` console script."""
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
