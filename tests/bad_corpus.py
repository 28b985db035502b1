"""The bad-input corpus in tests/data/bad/: its expectations (expected.toml), read once for every test that uses it.

Each entry names a file, the read options it needs (if any), where it fails (``read``:
``lc.read_policies``; ``run``: only when ``lc.run`` checks it against the product) and the
exact message, with ``{path}`` standing for the file's path as given.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

BAD = Path(__file__).resolve().parent / "data" / "bad"
CORPUS = tomllib.loads((BAD / "expected.toml").read_text(encoding="utf-8"))


def expected_cases() -> list[dict[str, str]]:
    """Corpus entries that need no read options (those are tested in tests/data/test_schema.py)."""
    rows = []
    for name, spec in sorted(CORPUS.items()):
        if spec.get("options"):
            continue
        rows.append({"file": spec.get("file", f"{name}.csv"), "stage": "check" if spec.get("stage") == "run" else "read",
                     "error": spec.get("error", "DataError"), "message": spec["message"]})
    return rows


CASES = expected_cases()


def expected_fragments(case: dict[str, str]) -> list[str]:
    """What the message must contain: the exact expected message for the file's path."""
    return [case["message"].format(path=str(BAD / case["file"]))]
