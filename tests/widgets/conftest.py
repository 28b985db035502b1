"""Fixtures of the widget tests: a private LIVECALC_HOME, small portfolios, comms that record messages."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest

import livecalc_lab as lc

pytest.importorskip("anywidget")


@pytest.fixture(autouse=True)
def _own_home(home: Path) -> Path:
    """Job records, saved assumption sets and config of each test in their own $LIVECALC_HOME."""
    return home


@pytest.fixture(scope="session")
def book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """4,000 synthetic term policies (Parquet): previews sample 1,000 of them in the tests."""
    return lc.synthetic_portfolio(4_000, seed=11, out=tmp_path_factory.mktemp("book") / "book.parquet")


@pytest.fixture
def messages(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, Any, list[Any]]]]:
    """Every comm message the widgets created in the test send: ``(msg_type, data, buffers)``."""
    import comm

    sent: list[tuple[str, Any, list[Any]]] = []

    class RecordingComm(comm.DummyComm):
        def publish_msg(self, msg_type: str, data: Any = None, metadata: Any = None, buffers: Any = None,
                        **keys: Any) -> None:
            sent.append((msg_type, data, list(buffers or [])))

    monkeypatch.setattr(comm, "create_comm", lambda *a, **k: RecordingComm(*a, **k))
    yield sent
