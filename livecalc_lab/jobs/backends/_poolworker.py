"""The loop each local pool process runs: receive ``(job spec JSON, chunk)``, run it, send back the summary."""

from __future__ import annotations

from typing import Any


def main(conn: Any) -> None:
    from livecalc_lab.jobs.worker import run_captured

    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):  # the client went away: finish nothing more
            return
        if msg is None:
            return
        spec_json, index = msg
        result = run_captured(spec_json, index)
        try:
            conn.send(result)
        except (BrokenPipeError, OSError):
            return
