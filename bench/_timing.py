"""Timing and report helpers shared by the benchmark scripts (benchmarks only).

``bench/basic_term.py`` and ``bench/stochastic.py`` time their variants alike:
interleaved rounds (every round runs each variant once, in a rotating order)
with the garbage collector paused, then the median and the minimum of each
measurement (:class:`Timing`). They report alike too: the machine they ran on
(:func:`machine`), text and tables through :class:`Out` (rich when it is
installed, plain text otherwise), the targets as PASS/MISS lines
(:func:`print_targets`), or the whole report as one JSON object with
``--json`` (:func:`emit`).

Not part of the package: nothing here is imported by ``livecalc_lab``.
"""

from __future__ import annotations

import gc
import json
import os
import platform
import statistics
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["Out", "Timing", "bits_equal", "describe_machine", "emit", "gc_paused", "machine", "print_targets",
           "repeat_runs", "rounds"]


# ---- timing -------------------------------------------------------------------------


@dataclass
class Timing:
    """Repeated wall times of one measurement, seconds; ``key`` names it in the JSON."""

    key: str
    label: str
    seconds: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def min(self) -> float:
        return min(self.seconds)

    def as_dict(self) -> dict[str, Any]:
        return {"label": self.label, "median_s": self.median, "min_s": self.min, "runs": len(self.seconds)}


@contextmanager
def gc_paused() -> Iterator[None]:
    """Collect, then keep the garbage collector off for the ``with`` block (on again after, if it was)."""
    enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def rounds(runners: list[Callable[[], None]], repeat: int, warmup: int) -> None:
    """Run every runner once per round, ``warmup + repeat`` rounds, rotating the order."""
    with gc_paused():
        for r in range(warmup + repeat):
            k = r % len(runners)
            for fn in runners[k:] + runners[:k]:
                fn()


def repeat_runs(fn: Callable[[], float], repeat: int, warmup: int) -> list[float]:
    """Call ``fn`` (which returns the seconds it measured) ``warmup`` then ``repeat`` times."""
    for _ in range(warmup):
        fn()
    with gc_paused():
        return [fn() for _ in range(repeat)]


def bits_equal(a: np.ndarray, b: np.ndarray) -> bool:
    """Same shape and the same float64 bits (NaNs included), element by element."""
    a = np.ascontiguousarray(a, dtype=np.float64)
    b = np.ascontiguousarray(b, dtype=np.float64)
    return a.shape == b.shape and bool(np.array_equal(a.view(np.uint64), b.view(np.uint64)))


# ---- the machine ----------------------------------------------------------------------


def machine() -> dict[str, Any]:
    """CPU model and count, platform, Python, and the numpy, polars and wasmtime versions (None if absent)."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {}
    for mod in ("numpy", "polars", "wasmtime"):
        try:
            from importlib.metadata import version
            versions[mod] = version(mod)
        except Exception:
            versions[mod] = None
    return {"cpu": cpu, "cpus": os.cpu_count(), "platform": platform.platform(),
            "python": platform.python_version(), **versions}


def describe_machine(m: dict[str, Any], libraries: Iterable[str]) -> str:
    """``"<cpu> (<n> CPUs), Python <v>, <lib> <v>, ..."`` for a :func:`machine` dict, libraries in the order given."""
    return ", ".join([f"{m['cpu']} ({m['cpus']} CPUs)", f"Python {m['python']}",
                      *(f"{lib} {m[lib]}" for lib in libraries)])


# ---- output -----------------------------------------------------------------------------


class Out:
    """Text and tables, with rich when it is installed.

    ``piped_width``: rich's console width when stdout is not a terminal (None:
    rich's own default, 80 columns). ``markup``: whether rich reads ``[...]``
    in the text as markup.
    """

    def __init__(self, piped_width: int | None = None, markup: bool = False) -> None:
        self.markup = markup
        try:
            from rich.console import Console
            from rich.table import Table
            width = None if sys.stdout.isatty() else piped_width
            self.console, self.Table = Console(highlight=False, width=width), Table
        except ImportError:
            self.console = self.Table = None

    def say(self, text: str = "") -> None:
        if self.console is None:
            print(text)
        else:
            self.console.print(text, soft_wrap=True, markup=self.markup)

    def table(self, title: str, headers: Sequence[str], rows: Sequence[Sequence[str]],
              widths: Sequence[int] | None = None, sep: str = "  ") -> None:
        """A table, first column left-aligned and the others right-aligned.

        Without rich: the title after a blank line, then the rows indented by two
        spaces, columns ``widths`` wide (default: the widest cell) joined by ``sep``.
        """
        if self.Table is not None:
            table = self.Table(title=title, title_justify="left")
            for i, h in enumerate(headers):
                table.add_column(h, justify="left" if i == 0 else "right")
            for r in rows:
                table.add_row(*r)
            self.console.print(table)
            return
        if widths is None:
            widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]

        def line(cells: Sequence[str]) -> str:
            return "  " + sep.join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))

        print(f"\n{title}")
        print(line(headers))
        for r in rows:
            print(line(r))


def print_targets(o: Out, targets: list[dict[str, Any]], value_text: Callable[[dict[str, Any]], str]) -> None:
    """``Targets:``, then one ``PASS``/``MISS`` line a target: its name and ``value_text(target)``."""
    o.say("Targets:")
    for t in targets:
        o.say(f"  {'PASS' if t['pass'] else 'MISS'}  {t['target']}: {value_text(t)}")


def emit(report: dict[str, Any], as_json: bool, print_report: Callable[[dict[str, Any]], None]) -> None:
    """The report as one JSON object on stdout (``--json``), or ``print_report(report)``."""
    if as_json:
        print(json.dumps(report, indent=2))
    else:
        print_report(report)
