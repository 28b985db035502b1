"""Helpers of the assumption-store tests (imported by name: ``conftest`` is ambiguous across folders)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import livecalc_lab as lc
from livecalc_lab.api.auth import mint_token


@dataclass(frozen=True)
class ServiceHandle:
    """A running assumptions service: its URL, the secret its tokens are signed with, and its store folder."""

    url: str
    secret: str
    store: Path

    def token(self, *scopes: str, sub: str | None = "alice") -> str:
        """A 5-minute HS256 token with ``scopes`` for subject ``sub``."""
        return mint_token(scopes, secret=self.secret, subject=sub, lifetime_seconds=300)


def edited(multiplier: float = 0.8, *, age: int | None = None, column: str = "5", qx: float | None = None) -> lc.AssumptionSet:
    """The bundled set with basic_term_s's lapse multiplier changed and, optionally, one mortality cell."""
    base = lc.demo_assumptions()
    tables = {}
    if age is not None:
        mort = base.tables["mortality"].frame
        row = mort["Age"].to_list().index(age)
        tables["mortality"] = mort.with_columns(mort[column].scatter(row, qx))
    return base.with_changes({"products.basic_term_s.lapse.multiplier": multiplier}, tables=tables)
