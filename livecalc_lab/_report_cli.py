"""``livecalc report RESULT [--format html|md] [-o FILE]`` (registered by :mod:`livecalc_lab.cli`).

RESULT is a result file (``result.save(path)``, ``livecalc run --save PATH``) or the
id of a finished job (or a unique prefix of one; records in ``$LIVECALC_HOME/jobs``).
The report is built from the stored result alone, so the same RESULT always gives
the same report.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from livecalc_lab._cli_common import _fail, err_console
from livecalc_lab.errors import DataError, JobError, LivecalcError

FORMATS = {"html": "html", "md": "md", "markdown": "md"}


def load_reference(ref: str) -> tuple[Any, dict[str, Any]]:
    """``(result, extra inputs)`` of a result file or a finished job's id.

    Raises
    ------
    DataError
        ``ref`` names a file that is missing or not a result file.
    JobError
        No such job, or the job has not finished.
    """
    from livecalc_lab.export import load_result

    path = Path(ref)
    if path.is_file():
        return load_result(path), {}
    if "/" in ref or "\\" in ref or path.suffix:
        raise DataError(f"{ref}: no such result file")
    from livecalc_lab.jobs import attach

    job = attach(ref)
    state = job.state
    if state != "finished":
        raise JobError(f"job {job.id} is {state}: a report needs a finished job (livecalc jobs show {job.id})",
                       job_id=job.id)
    result = job.result()
    stored = job.record.load_result()
    info = stored[0] if stored else {}
    extra = {"job_id": job.id, "backend": info.get("backend"), "chunks": info.get("chunks"),
             "reused_chunks": info.get("reused_chunks")}
    return result, extra


def report_cmd(
    result: Annotated[str, typer.Argument(help="A result file (result.save, livecalc run --save) or a finished "
                                          "job's id (or a unique prefix).")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="html or md (default: from --out's suffix, "
                                     "else html).")] = "",
    out: Annotated[Optional[Path], typer.Option("-o", "--out", help="Write the report to this file "
                                                "(default: standard output).")] = None,
    title: Annotated[Optional[str], typer.Option("--title", help="The report's title.")] = None,
) -> None:
    """Write a self-contained valuation report (HTML with charts, or Markdown) of a saved result or a job."""
    from livecalc_lab.report import to_html, to_markdown

    chosen = fmt.lower() or ("md" if out is not None and out.suffix.lower() in (".md", ".markdown") else "html")
    if chosen not in FORMATS:
        raise typer.BadParameter(f"--format must be html or md, not {fmt!r}")
    try:
        res, extra = load_reference(result)
        render = to_markdown if FORMATS[chosen] == "md" else to_html
        text = render(res, out, title=title, extra=extra)
    except LivecalcError as exc:
        _fail(exc)
        return
    if out is None:
        typer.echo(text, nl=False)
    else:
        err_console.print(f"report written to {out}", highlight=False, markup=False)


def register(app: typer.Typer) -> None:
    """Add ``livecalc report`` to the ``livecalc`` app."""
    app.command("report")(report_cmd)
