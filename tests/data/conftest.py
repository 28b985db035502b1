"""Data-layer test constants; the Azurite and PostgreSQL fixtures live in ``tests/conftest.py``."""

from __future__ import annotations

from pathlib import Path

BAD = Path(__file__).parent / "bad"
