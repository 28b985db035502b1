"""``livecalc preview``, ``livecalc submit`` and ``livecalc jobs ...`` (registered by :mod:`livecalc_lab.cli`).

``--json`` prints the keys of ``livecalc run --json`` (``pv_net_cf``: the
deterministic value, or the mean over scenarios); the preview adds
``sample_size``, ``total_rows`` and ``ci95`` [low, high]; a finished job adds
``job_id``, ``chunks`` and ``id_checksum``.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from livecalc_lab._cli_common import AssumptionsOpt
from livecalc_lab._cli_common import FilterOpt, OptionList, TableOpt, _dataset, _fail, _frame_table, _money, err_console
from livecalc_lab.errors import LivecalcError

jobs_app = typer.Typer(help="List, inspect, cancel and prune jobs ($LIVECALC_HOME/jobs).", invoke_without_command=True)

ProductOpt = Annotated[str, typer.Option("--product", "-p", help="Product in the assumption set.")]
ScenariosOpt = Annotated[Optional[int], typer.Option("--scenarios", min=1, help="Hull-White scenarios to value.")]
SeedOpt = Annotated[int, typer.Option("--seed", min=0, help="Scenario seed.")]
HwA = Annotated[Optional[float], typer.Option("--hw-a", help="Hull-White mean reversion a, per year.")]
HwSigma = Annotated[Optional[float], typer.Option("--hw-sigma", help="Hull-White short-rate volatility.")]
FundSigma = Annotated[Optional[float], typer.Option("--fund-sigma", help="Fund volatility per sqrt(year).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


def _spec(scenarios: Optional[int], seed: int, a: Optional[float], sigma: Optional[float],
          fund_sigma: Optional[float]) -> Any:
    from livecalc_lab.model.scenarios import hull_white

    kw = {k: v for k, v in (("a", a), ("sigma", sigma), ("fund_sigma", fund_sigma)) if v is not None}
    if scenarios is None:
        if kw:
            raise typer.BadParameter("--hw-a, --hw-sigma and --fund-sigma need --scenarios N")
        return None
    return hull_white(n=scenarios, seed=seed, **kw)


def _source(uri: str, filter_: Optional[str], table: Optional[str], option: Optional[list[str]]) -> Any:
    return _dataset(uri, filter_, table, option) if (filter_ or table or option) else uri


def preview_cmd(
    uri: Annotated[str, typer.Argument(help="Dataset path or URI.")],
    assumptions: AssumptionsOpt = None,
    product: ProductOpt = "basic_term_s",
    n: Annotated[int, typer.Option("-n", "--n", min=1, help="Sample size.")] = 10_000,
    sample_seed: Annotated[int, typer.Option("--sample-seed", min=0, help="Sample seed.")] = 42,
    scenarios: ScenariosOpt = None,
    seed: SeedOpt = 1,
    hw_a: HwA = None,
    hw_sigma: HwSigma = None,
    fund_sigma: FundSigma = None,
    as_json: JsonOpt = False,
    filter_: FilterOpt = None,
    table: TableOpt = None,
    option: OptionList = None,
) -> None:
    """Estimate the portfolio's value from a reproducible sample, with a 95% confidence interval."""
    from livecalc_lab.preview import preview

    try:
        res = preview(_source(uri, filter_, table, option), assumptions, _spec(scenarios, seed, hw_a, hw_sigma,
                                                                                fund_sigma), product, n=n,
                      sample_seed=sample_seed)
    except LivecalcError as exc:
        _fail(exc)
        return
    if as_json:
        typer.echo(json.dumps(res.to_dict()))
        return
    lo, hi = res.ci95
    console = Console()
    console.print(f"Preview of {escape(res.source)}: {res.sample_size:,} of {res.total_rows:,} policies "
                  f"(sample seed {res.sample_seed})")
    what = "mean PV over scenarios" if res.statistics is not None else "PV net cashflow"
    console.print(f"[bold]{what}: {_money(res.pv_net_cf)}[/] ± {res.relative_halfwidth:.2%} "
                  f"(95%: {_money(lo)} .. {_money(hi)})")
    if res.statistics is not None:
        console.print(_frame_table(res.summary(), "Scaled distribution of pv_net_cf"))


def submit_cmd(
    uri: Annotated[str, typer.Argument(help="Dataset path or URI.")],
    backend: Annotated[str, typer.Option("--backend", "-b", help="local, dask, azure_batch or auto "
                                         "(default: [backends] default in config.toml, else local).")] = "",
    assumptions: AssumptionsOpt = None,
    product: ProductOpt = "basic_term_s",
    scenarios: ScenariosOpt = None,
    seed: SeedOpt = 1,
    hw_a: HwA = None,
    hw_sigma: HwSigma = None,
    fund_sigma: FundSigma = None,
    workers: Annotated[Optional[int], typer.Option("--workers", min=1, help="Local worker processes.")] = None,
    scheduler: Annotated[Optional[str], typer.Option("--scheduler", help="Dask scheduler address.")] = None,
    chunk_bytes: Annotated[Optional[int], typer.Option("--chunk-bytes", min=1, help="Target bytes per chunk.")] = None,
    wait: Annotated[bool, typer.Option("--wait", help="Wait for the result (with a progress bar).")] = False,
    as_json: JsonOpt = False,
    filter_: FilterOpt = None,
    table: TableOpt = None,
    option: OptionList = None,
) -> None:
    """Value a whole dataset in chunks on a backend (a job); --wait prints the result."""
    from livecalc_lab.jobs import submit
    from livecalc_lab.jobs.backends import make_backend

    try:
        chosen: Any = backend or None
        if scheduler is not None:
            if backend not in ("", "dask"):
                raise typer.BadParameter("--scheduler is for --backend dask")
            chosen = make_backend("dask", None, scheduler=scheduler)
        job = submit(_source(uri, filter_, table, option), assumptions, _spec(scenarios, seed, hw_a, hw_sigma,
                                                                               fund_sigma), product,
                     backend=chosen, workers=workers, chunk_bytes=chunk_bytes)
        if job.advice:
            err_console.print(f"[yellow]note:[/] {escape(job.advice)}", highlight=False)
        if not wait:
            st = job.info
            out = {"job_id": job.id, "state": st["state"], "chunks": len(job.spec.chunks),
                   "backend": (st.get("backend") or {}).get("name")}
            typer.echo(json.dumps(out) if as_json else f"job {job.id} {st['state']}: {out['chunks']} chunks on "
                       f"{out['backend']}; `livecalc jobs show {job.id}`")
            return
        res = job.result(progress=not as_json)
        data = job.to_dict()
    except LivecalcError as exc:
        _fail(exc)
        return
    if as_json:
        typer.echo(json.dumps(data))
        return
    console = Console()
    mean = " (mean over scenarios)" if res.statistics is not None else ""
    console.print(f"job {job.id} finished: {res.n_model_points:,} model points in {data['chunks']} chunks, "
                  f"{res.elapsed_seconds:.1f} s")
    console.print(f"[bold]PV net cashflow{mean}: {_money(res.pv_net_cf)}[/]")
    if res.statistics is not None:
        console.print(_frame_table(res.summary(), f"Distribution of pv_net_cf over {res.statistics.n:,} scenarios"))


def _when(ts: Optional[float]) -> str:
    return dt.datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S") if ts else ""


@jobs_app.callback()
def jobs_list(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List jobs, newest first (a subcommand shows, cancels or prunes them)."""
    if ctx.invoked_subcommand is not None:
        return
    from livecalc_lab.jobs import jobs

    rows = []
    for job in jobs():
        st, spec = job.info, job.spec
        ev = job.progress
        rows.append({"job_id": job.id, "state": st["state"], "backend": (st.get("backend") or {}).get("name"),
                     "dataset": spec.label, "product": spec.product, "chunks_done": ev.chunks_done,
                     "chunks": ev.chunks_total, "rows": spec.total_rows, "created": st.get("created"),
                     "elapsed": round(ev.elapsed, 3)})
    if as_json:
        typer.echo(json.dumps(rows))
        return
    table = Table(title="LiveCalc jobs", title_justify="left")
    for col in ("job", "state", "backend", "dataset", "product", "chunks", "created"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["job_id"], r["state"], str(r["backend"]), escape(r["dataset"]), r["product"],
                      f"{r['chunks_done']}/{r['chunks']}", _when(r["created"]))
    Console().print(table)


@jobs_app.command("show")
def jobs_show(job_id: Annotated[str, typer.Argument(help="Job id (or a unique prefix).")],
              as_json: JsonOpt = False) -> None:
    """A job's state, chunks, errors, the logs of failed tasks and, when finished, its result."""
    from livecalc_lab.jobs import attach

    try:
        job = attach(job_id)
        st, spec = job.info, job.spec
        stored = job.record.load_result()
    except LivecalcError as exc:
        _fail(exc)
        return
    logs = job.record.logs()
    if as_json:
        typer.echo(json.dumps({"job_id": job.id, "state": st["state"], "progress": job.progress.to_dict(),
                               "spec": spec.to_dict(), "record": st, "logs": {str(k): v for k, v in logs.items()},
                               "result": stored[0] if stored else None}))
        return
    console = Console()
    ev = job.progress
    console.print(f"[bold]job {job.id}[/] {st['state']} on {(st.get('backend') or {}).get('name')}: "
                  f"{escape(spec.label)} ({spec.product}), {ev}")
    if st.get("advice"):
        console.print(f"advice: {escape(st['advice'])}")
    if st.get("error"):
        console.print(f"[red]error:[/] {escape(st['error'])}")
    table = Table(title="chunks", title_justify="left")
    for col in ("chunk", "status", "attempts", "rows", "seconds", "error"):
        table.add_column(col)
    for k, c in enumerate(st["chunks"]):
        table.add_row(str(k), c["status"], str(c.get("attempts", 0)), f"{c.get('rows') or spec.chunks[k].rows:,}",
                      f"{c['seconds']:.2f}" if c.get("seconds") is not None else "", escape(c.get("error") or ""))
    console.print(table)
    for k, text in logs.items():
        console.print(f"[bold]log of chunk {k}[/] ({job.record.log_path(k)}):")
        console.print(escape(text.rstrip()), highlight=False, soft_wrap=True)
    if stored:
        console.print(f"[bold]PV net cashflow: {_money(stored[0]['pv_net_cf'])}[/]")


@jobs_app.command("cancel")
def jobs_cancel(job_id: Annotated[str, typer.Argument(help="Job id (or a unique prefix).")]) -> None:
    """Cancel a running job (partials already written are kept)."""
    from livecalc_lab.jobs import attach

    try:
        job = attach(job_id)
        job.cancel()
        state = job.wait(30)
    except LivecalcError as exc:
        _fail(exc)
        return
    typer.echo(f"job {job.id} {state}")


@jobs_app.command("prune")
def jobs_prune(
    older_than: Annotated[str, typer.Option("--older-than", help="Age such as 30d, 12h, 45m.")] = "30d",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only list what would go.")] = False,
) -> None:
    """Remove old finished, failed and cancelled jobs: records, partials no kept job uses, Batch staging."""
    from livecalc_lab.jobs import prune

    try:
        removed = prune(older_than, dry_run=dry_run)
    except LivecalcError as exc:
        _fail(exc)
        return
    verb = "would remove" if dry_run else "removed"
    typer.echo(f"{verb} {len(removed)} job(s)" + (": " + ", ".join(removed) if removed else ""))


def register(app: typer.Typer) -> None:
    """Add the commands to the ``livecalc`` app."""
    app.command("preview")(preview_cmd)
    app.command("submit")(submit_cmd)
    app.add_typer(jobs_app, name="jobs")
