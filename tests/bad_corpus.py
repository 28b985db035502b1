"""The bad-input corpus in tests/data/bad/: its expectation table, read once for every test that uses it."""

from __future__ import annotations

from pathlib import Path

BAD = Path(__file__).resolve().parent / "data" / "bad"


def expected_cases() -> list[dict[str, str]]:
    """Rows of the table in tests/data/bad/EXPECTED.md, cells without backticks."""
    rows = []
    for line in (BAD / "EXPECTED.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if len(cells) != 6 or cells[0] in ("file", "") or set(cells[0]) <= set("-"):
            continue
        rows.append(dict(zip(("file", "stage", "error", "row", "column", "value"), cells)))
    return rows


CASES = expected_cases()


def expected_fragments(case: dict[str, str]) -> list[str]:
    """What the message must contain: file, row, column and value (house style when all known)."""
    if case["row"] and case["column"]:
        return [f"{case['file']} row {case['row']} column '{case['column']}': {case['value']}"]
    frags = [case["file"], case["value"]]
    if case["row"]:
        frags.append(f"{case['file']} row {case['row']}")
    if case["column"]:
        frags.append(f"column '{case['column']}'")
    return frags
