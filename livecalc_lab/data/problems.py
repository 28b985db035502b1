"""Problems found in policy data: raised one at a time, or collected up to a limit.

Every reader reports a bad value through a :class:`ProblemLog`. With no limit
the first problem raises :class:`~livecalc_lab.errors.DataError` at once (what
``lc.run`` and ``ds.read()`` want); with a limit the problems are collected and
reading goes on (what ``ds.validate()`` wants), so the user sees all of them.

Messages have one shape everywhere::

    <source> row 1,204 column 'sum_assured': '1,,0' is not a number

Rows are numbered from 1, the first data row after the header.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np
import polars as pl

from livecalc_lab.errors import DataError

__all__ = ["Problem", "ProblemLog", "ValidationReport"]


@dataclass(frozen=True)
class Problem:
    """One problem: where (source, 1-based row, column), the value as written, and the message."""

    source: str
    row: int | None
    column: str | None
    value: Any
    message: str

    def __str__(self) -> str:
        return self.message


def format_problem(source: str, row: int | None, column: str | None, text: str) -> str:
    """``"<source> row 12 column 'x': <text>"`` (row and column left out when None)."""
    where = source
    if row is not None:
        where += f" row {row:,}"
    if column is not None:
        where += f" column '{column}'"
    return f"{where}: {text}"


class ProblemLog:
    """Where readers report problems.

    Parameters
    ----------
    limit : int or None
        None: raise :class:`DataError` on the first problem. An integer: keep
        the first ``limit`` problems and count the rest.
    """

    def __init__(self, limit: int | None = None):
        self.limit = limit
        self.problems: list[Problem] = []
        self.n_more = 0

    @property
    def collecting(self) -> bool:
        """True when problems are collected rather than raised."""
        return self.limit is not None

    @property
    def full(self) -> bool:
        """True once ``limit`` problems are held (later ones are only counted)."""
        return self.limit is not None and len(self.problems) >= self.limit

    def add(self, source: str, row: int | None, column: str | None, value: Any, text: str) -> None:
        """Report one problem; ``text`` says what is wrong with ``value``."""
        message = format_problem(source, row, column, text)
        if not self.collecting:
            raise DataError(message)
        if self.full:
            self.n_more += 1
        else:
            self.problems.append(Problem(source, row, column, value, message))

    def add_each(
        self,
        source: str,
        idx: np.ndarray,
        row_of: Callable[[int], int],
        column: str | None,
        value_of: Callable[[int], Any],
        text_of: Callable[[int], str],
    ) -> None:
        """Report the problem at each position in ``idx`` (in order), as far as the limit allows."""
        if not len(idx):
            return
        room = len(idx) if not self.collecting else max(self.limit - len(self.problems), 0)
        for i in (int(j) for j in idx[: max(room, 1)]):
            if self.full:
                break
            self.add(source, row_of(i), column, value_of(i), text_of(i))  # raises when not collecting
        self.n_more += max(len(idx) - room, 0)

    def add_rows(
        self,
        source: str,
        rows: np.ndarray,
        column: str | None,
        values: pl.Series | Sequence[Any],
        bad: np.ndarray,
        describe: Callable[[Any], str],
    ) -> None:
        """Report every row where ``bad`` is True (rows are 1-based source rows).

        ``describe(value)`` gives the text for one value, e.g. ``"'12a' is not a number"``.
        """
        self.add_each(
            source, np.flatnonzero(bad), lambda i: int(rows[i]), column, lambda i: values[i], lambda i: describe(values[i])
        )

    def raise_if_any(self) -> None:
        """Raise :class:`DataError` listing the problems held, if any."""
        if self.problems:
            raise DataError(str(ValidationReport(self.problems, self.n_more)))


@dataclass(frozen=True)
class ValidationReport:
    """What :meth:`Dataset.validate` found.

    Attributes
    ----------
    problems : list of Problem
        The first ``limit`` problems, in source order per check.
    n_more : int
        How many more were found beyond ``limit``.
    """

    problems: list[Problem]
    n_more: int = 0

    @property
    def ok(self) -> bool:
        """True when nothing is wrong."""
        return not self.problems

    def __len__(self) -> int:
        return len(self.problems) + self.n_more

    def __bool__(self) -> bool:  # a report is truthy when the data is valid
        return self.ok

    def __str__(self) -> str:
        if self.ok:
            return "no problems found"
        lines = [f"{len(self)} problem{'s' if len(self) != 1 else ''} found:"]
        lines += [f"  {p.message}" for p in self.problems]
        if self.n_more:
            lines.append(f"  ... and {self.n_more:,} more")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """``{"ok", "n_problems", "problems": [{"source", "row", "column", "value", "message"}]}``."""
        return {
            "ok": self.ok,
            "n_problems": len(self),
            "problems": [
                {"source": p.source, "row": p.row, "column": p.column, "value": _jsonable(p.value), "message": p.message}
                for p in self.problems
            ],
        }


def _jsonable(v: Any) -> Any:
    return v if isinstance(v, (str, int, float, bool, type(None))) else str(v)
