"""``livecalc assumptions ...``: save, list, review, compare, export/import Excel, push and pull (registered by :mod:`livecalc_lab.cli`).

Every command works on a store given by ``--store``: a folder,
``azure://container/prefix``, or the service's ``https://`` URL (token in
``$LIVECALC_TOKEN``); default ``[assumptions_store] uri`` of
``$LIVECALC_HOME/config.toml``, else ``$LIVECALC_HOME/assumptions``. A set is
named by a folder, an ``.xlsx`` workbook, or a reference
``assumptions://NAME:VERSION`` (``:latest``, ``:draft``)::

    livecalc assumptions save my_basis/ --name demo -m "2026 lapse study"
    livecalc assumptions versions demo
    livecalc assumptions approve demo 3fa9c01 --comment "reviewed"
    livecalc assumptions diff assumptions://demo:latest assumptions://demo:draft
    livecalc assumptions export assumptions://demo:latest basis.xlsx
    livecalc assumptions import basis.xlsx --name demo -m "edited in Excel"
    livecalc assumptions push assumptions://demo:draft --url https://livecalc.example.com
    livecalc assumptions pull assumptions://demo:latest --url https://livecalc.example.com
    livecalc assumptions audit demo
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from livecalc_lab._cli_common import _fail
from livecalc_lab.errors import LivecalcError

assumptions_app = typer.Typer(
    help="Versioned assumption sets: save, review, compare, Excel, and sync with the service.", no_args_is_help=True)

StoreOpt = Annotated[Optional[str], typer.Option(
    "--store", "-s", help="A folder, azure://container/prefix, or the service's https:// URL "
    "(default: [assumptions_store] uri, else $LIVECALC_HOME/assumptions).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
MessageOpt = Annotated[str, typer.Option("--message", "-m", help="Why it changed.")]
CommentOpt = Annotated[str, typer.Option("--comment", help="The reviewer's comment.")]
ByOpt = Annotated[Optional[str], typer.Option("--by", help="Reviewer (folder and blob stores; default: your login). "
                                              "The service takes the token's subject.")]
UrlOpt = Annotated[Optional[str], typer.Option("--url", help="The service (default: [assumptions_store] service).")]


def _store(store: Optional[str]) -> Any:
    from livecalc_lab.assumptions.store import open_store

    return open_store(store)


def _load(source: str, store: Optional[str]) -> Any:
    """A set from a reference (in ``store``), an ``.xlsx`` workbook or a folder."""
    from livecalc_lab.assumptions.excel import import_excel
    from livecalc_lab.assumptions.refs import is_ref
    from livecalc_lab.assumptions.store import as_assumption_set

    if is_ref(source):
        return _store(store).get(source) if store is not None else as_assumption_set(source)
    if source.lower().endswith(".xlsx"):
        return import_excel(source)
    return as_assumption_set(source)


def _run(action: Any) -> Any:
    try:
        return action()
    except LivecalcError as exc:
        _fail(exc)
        raise typer.Exit(code=1) from None


@assumptions_app.command("save")
def save_cmd(
    source: Annotated[str, typer.Argument(help="A folder holding assumptions.json, an .xlsx workbook, or a reference.")],
    name: Annotated[str, typer.Option("--name", "-n", help="The set's name in the store.")],
    message: MessageOpt = "",
    store: StoreOpt = None,
) -> None:
    """Save a set as a draft version; prints its version (the content hash)."""
    info, created = _run(lambda: _store(store).add(_load(source, store), name, message))
    typer.echo(info.version if created else f"{info.version} (already saved as {info.status})")


@assumptions_app.command("versions")
def versions_cmd(name: Annotated[str, typer.Argument(help="The set's name.")], store: StoreOpt = None,
                 as_json: JsonOpt = False) -> None:
    """List the versions of a set, oldest first, with status, author and reviewer."""
    infos = _run(lambda: _store(store).versions(name))
    if as_json:
        typer.echo(json.dumps([i.to_dict() for i in infos]))
        return
    if not infos:
        typer.echo(f"no versions of {name!r}")
        raise typer.Exit(code=1)
    table = Table(title=f"assumption set {name}", title_justify="left")
    for col in ("version", "status", "author", "saved (UTC)", "reviewer", "message"):
        table.add_column(col)
    for i in infos:
        table.add_row(i.version[7:19], i.status, escape(i.author), i.created[:19], escape(i.reviewer or ""),
                      escape(i.message[:60]))
    Console().print(table)


def _review(name: str, version: str, comment: str, by: Optional[str], store: Optional[str], approve: bool) -> None:
    def act() -> Any:
        s = _store(store)
        kw = {"comment": comment} if by is None else {"comment": comment, "by": by}
        return s.approve(name, version, **kw) if approve else s.reject(name, version, **kw)

    info = _run(act)
    typer.echo(f"{info.ref} {info.status} by {info.reviewer}")


@assumptions_app.command("approve")
def approve_cmd(name: Annotated[str, typer.Argument()], version: Annotated[str, typer.Argument(
                help="The version (sha256:..., or at least 7 of its hex digits).")],
                comment: CommentOpt = "", by: ByOpt = None, store: StoreOpt = None) -> None:
    """Approve a draft version: it becomes assumptions://NAME:latest."""
    _review(name, version, comment, by, store, True)


@assumptions_app.command("reject")
def reject_cmd(name: Annotated[str, typer.Argument()], version: Annotated[str, typer.Argument(
               help="The version (sha256:..., or at least 7 of its hex digits).")],
               comment: CommentOpt = "", by: ByOpt = None, store: StoreOpt = None) -> None:
    """Reject a draft version (a review is final)."""
    _review(name, version, comment, by, store, False)


@assumptions_app.command("diff")
def diff_cmd(old: Annotated[str, typer.Argument(help="Reference, folder or .xlsx.")],
             new: Annotated[str, typer.Argument(help="Reference, folder or .xlsx.")],
             store: StoreOpt = None, as_json: JsonOpt = False) -> None:
    """What changed from OLD to NEW: parameters, and tables cell by cell (exit status 1 if anything did)."""
    from livecalc_lab.assumptions.diff import diff

    d = _run(lambda: diff(_load(old, store), _load(new, store)))
    typer.echo(json.dumps(d.to_dict()) if as_json else str(d))
    if d:
        raise typer.Exit(code=1)


@assumptions_app.command("export")
def export_cmd(source: Annotated[str, typer.Argument(help="Reference or folder.")],
               out: Annotated[Path, typer.Argument(help="The .xlsx file to write.")], store: StoreOpt = None) -> None:
    """Write a set as an Excel workbook: one sheet per table, a manifest sheet, an about sheet."""
    from livecalc_lab.assumptions.excel import export_excel

    def act() -> Any:
        aset = _load(source, store)
        return aset, export_excel(aset, out)

    aset, path = _run(act)
    typer.echo(f"{aset.version} written to {path}")


@assumptions_app.command("import")
def import_cmd(workbook: Annotated[Path, typer.Argument(help="An .xlsx written by export (and edited).")],
               name: Annotated[Optional[str], typer.Option("--name", "-n", help="Save it under this name.")] = None,
               message: MessageOpt = "",
               to: Annotated[Optional[Path], typer.Option("--to", help="Write it as a folder instead.")] = None,
               store: StoreOpt = None) -> None:
    """Read a workbook, checked cell by cell, and save it as a draft (--name) or a folder (--to)."""
    from livecalc_lab.assumptions.excel import import_excel

    if (name is None) == (to is None):
        raise typer.BadParameter("give --name NAME (save in the store) or --to FOLDER (write a folder)")

    def act() -> str:
        aset = import_excel(workbook)
        if to is not None:
            aset.save(to)
            return f"{aset.version} written to {to}"
        info, created = _store(store).add(aset, name, message)
        return info.version if created else f"{info.version} (already saved as {info.status})"

    typer.echo(_run(act))


@assumptions_app.command("push")
def push_cmd(source: Annotated[str, typer.Argument(help="Reference in the local store, or a folder (with --name).")],
             url: UrlOpt = None, name: Annotated[Optional[str], typer.Option("--name", "-n")] = None,
             store: StoreOpt = None) -> None:
    """Send a version to the service (nothing is sent if it holds it already)."""
    from livecalc_lab.assumptions.sync import push

    res = _run(lambda: push(source, url, name=name, store=store))
    typer.echo(f"{res.ref} {'sent to' if res.created else 'already on'} {res.destination}")


@assumptions_app.command("pull")
def pull_cmd(ref: Annotated[str, typer.Argument(help="assumptions://NAME:VERSION, :latest or :draft.")],
             url: UrlOpt = None, store: StoreOpt = None) -> None:
    """Copy a version from the service into the local store, with its author, message and review."""
    from livecalc_lab.assumptions.sync import pull

    res = _run(lambda: pull(ref, url, store=store))
    typer.echo(f"{res.ref} {'copied to' if res.created else 'already in'} {res.destination}")


@assumptions_app.command("audit")
def audit_cmd(name: Annotated[str, typer.Argument()], store: StoreOpt = None, as_json: JsonOpt = False) -> None:
    """Every save and review of a set: when, who, what."""
    events = _run(lambda: _store(store).audit(name))
    if as_json:
        typer.echo(json.dumps([e.to_dict() for e in events]))
        return
    table = Table(title=f"audit of {name}", title_justify="left")
    for col in ("when (UTC)", "who", "action", "version", "detail"):
        table.add_column(col)
    for e in events:
        table.add_row(e.at[:19], escape(e.who), e.action, e.version[7:19], escape(e.detail[:60]))
    Console().print(table)


def register(app: typer.Typer) -> None:
    """Add ``livecalc assumptions ...`` to the ``livecalc`` app."""
    app.add_typer(assumptions_app, name="assumptions")
