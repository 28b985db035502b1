"""The driver: the thread that runs one job to its end in the process holding the job's driver lock.

It finds the chunks that already have a valid partial (reused), hands the others
to the backend, records each chunk's status in the job record (it is the
:class:`~livecalc_lab.jobs.backends.TaskSink` backends report to), emits progress
events, recomputes chunks whose partial turns out missing or unusable, then has
the aggregator check and merge the partials and the job store the result.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from typing import TYPE_CHECKING, Any

from livecalc_lab.jobs.progress import eta_seconds
from livecalc_lab.jobs.spec import JobSpec

if TYPE_CHECKING:
    from livecalc_lab.jobs.job import Job

__all__ = ["Driver", "rows_done", "ROUNDS"]

ROUNDS = 3  # passes over chunks whose partial is missing or unusable after a run


class Driver(threading.Thread):
    """Runs one job to its end in this process (see the module docstring)."""

    def __init__(self, job: "Job", backend: Any):
        super().__init__(name=f"livecalc-job-{job.id}", daemon=True)
        self.job = job
        self.rec = job.record
        self.spec = job.record.spec
        self.backend = backend
        self.cancel_event = threading.Event()
        self._t0 = time.monotonic()
        self._rows_valued = 0
        self._state: dict[str, Any] = {}
        self._last_poll = 0.0
        self._lock = threading.RLock()

    # ---- the TaskSink interface ------------------------------------------------------------------

    def started(self, index: int) -> None:
        with self._lock:
            c = self._state["chunks"][index]
            c["status"] = "running"
            c["attempts"] = c.get("attempts", 0) + 1
            c["started"] = time.time()
            self.rec.save_state(self._state)

    def done(self, index: int, info: dict[str, Any]) -> None:
        with self._lock:
            c = self._state["chunks"][index]
            reused = info.get("status") == "reused"
            c.update(status="reused" if reused else "done", rows=info.get("rows"), error=None,
                     seconds=info.get("seconds"), read_seconds=info.get("read_seconds"),
                     value_seconds=info.get("value_seconds"), pid=info.get("pid"), host=info.get("host"),
                     max_rss=info.get("max_rss"))
            c.setdefault("id_checksum", info.get("id_checksum"))
            if not reused:
                self._rows_valued += int(info.get("rows") or 0)
            self.rec.save_state(self._state)
            self._emit("chunk_done", chunk=index)

    def retry(self, index: int, message: str, log: str = "") -> None:
        with self._lock:
            c = self._state["chunks"][index]
            c.update(status="pending", error=message)
            self.rec.write_log(index, f"--- attempt {c.get('attempts', 0)}: {message}\n{log}")
            self.rec.save_state(self._state)
            self._emit("chunk_retry", chunk=index, message=message)

    def failed(self, index: int, message: str, log: str = "", data_error: bool = False) -> None:
        with self._lock:
            c = self._state["chunks"][index]
            c.update(status="failed", error=message, data_error=data_error)
            chunk_id = self.spec.chunks[index].id
            self._state["errors"].append({"chunk": index, "chunk_id": chunk_id, "message": message,
                                          "data_error": data_error})
            self.rec.write_log(index, f"--- attempt {c.get('attempts', 0)} failed: {message}\n{log}")
            self.rec.save_state(self._state)
            self._emit("chunk_failed", chunk=index, message=message)

    def cancelled(self) -> bool:
        if self.cancel_event.is_set():
            return True
        now = time.monotonic()
        if now - self._last_poll > 0.2:
            self._last_poll = now
            if self.rec.cancel_requested:
                self.cancel_event.set()
        return self.cancel_event.is_set()

    # ---- driving ------------------------------------------------------------------------------------

    def _emit(self, kind: str, chunk: int | None = None, message: str = "") -> None:
        event = self.job._event_from(self._state, kind, time.monotonic() - self._t0, chunk, message,
                                     eta_seconds(time.monotonic() - self._t0, self._rows_valued,
                                                 self.spec.total_rows - rows_done(self._state, self.spec)))
        self.job._publish(event)

    def run(self) -> None:
        try:
            self._drive()
        except Exception as exc:  # noqa: BLE001 - the job records why it failed
            with self._lock:
                self._state["state"] = "failed"
                self._state["error"] = f"{type(exc).__name__}: {exc}"
                self._state["finished"] = time.time()
                self.rec.save_state(self._state)
                self._emit("failed", message=self._state["error"])
        finally:
            self.rec.release_drive()

    def _drive(self) -> None:
        from livecalc_lab.jobs.aggregate import aggregate, collect

        spec, rec = self.spec, self.rec
        st = self._state = rec.load_state()
        st.update(state="running", error=None, errors=[], finished=None, started=st.get("started") or time.time(),
                  driver={"pid": os.getpid(), "host": socket.gethostname()})
        rec.save_state(st)
        parts, bad = collect(spec)
        for k, c in enumerate(st["chunks"]):
            if k in parts:
                if c["status"] not in ("done", "reused"):
                    c.update(status="reused", rows=parts[k].n_model_points, error=None)
                c.setdefault("id_checksum", str(parts[k].id_checksum))
            else:
                c["status"] = "pending"
                if "no partial result" not in bad[k]:  # there, but truncated, corrupted or of another version
                    rec.write_log(k, f"--- partial unusable, recomputing: {bad[k]}")
        rec.save_state(st)
        self._emit("started")
        todo = sorted(bad)
        for _ in range(ROUNDS):
            if not todo:
                break
            self.backend.run(spec, todo, self)
            if self.cancelled():
                self._end("cancelled")
                return
            failed = [k for k in todo if st["chunks"][k]["status"] == "failed"]
            if failed:
                first = st["errors"][0] if st["errors"] else {"chunk": failed[0], "chunk_id": spec.chunks[failed[0]].id,
                                                              "message": st["chunks"][failed[0]].get("error")}
                st["error"] = (f"chunk {first['chunk']} ({first['chunk_id']}) failed: {first['message']}"
                               + (f" (and {len(failed) - 1} more chunk(s))" if len(failed) > 1 else ""))
                self._end("failed")
                return
            got, bad = collect(spec, todo)
            parts.update(got)
            for k, reason in bad.items():
                st["chunks"][k].update(status="pending", error=reason)
                rec.write_log(k, f"--- partial unusable, recomputing: {reason}")
            todo = sorted(bad)
        if todo:
            st["error"] = f"chunks {todo[:10]} have no usable partial after {ROUNDS} passes"
            self._end("failed")
            return
        checksums = {k: c.get("id_checksum") for k, c in enumerate(st["chunks"])}
        merged = aggregate(spec, parts, checksums)
        self.job._store_result(merged, st, time.monotonic() - self._t0)
        self._end("finished")

    def _end(self, state: str) -> None:
        with self._lock:
            self._state["state"] = state
            self._state["finished"] = time.time()
            if state == "cancelled":
                for c in self._state["chunks"]:
                    if c["status"] == "running":
                        c["status"] = "pending"
            self.rec.save_state(self._state)
            if state == "cancelled":
                try:
                    self.backend.cancel(self.spec)
                except Exception as exc:  # noqa: BLE001 - cancelling is best effort
                    self._state["error"] = f"cancel: {exc}"
            self._emit(state, message=self._state.get("error") or "")


def rows_done(state: dict[str, Any], spec: JobSpec) -> int:
    return sum(int(c.get("rows") or spec.chunks[k].rows) for k, c in enumerate(state["chunks"])
               if c["status"] in ("done", "reused"))
