"""A job's specification: its inputs, its id, and its chunk plan.

A job is (PolicySource with its content version, assumption-set version,
scenario spec, product, engine version) → a chunk plan → one task per chunk →
partial results → aggregate (DESIGN.md §8). Everything is content-addressed:

* the **job id** is a hash of the inputs and the chunk size, so submitting the
  same job again finds the same record (and a finished job is never recomputed);
* each chunk's **key** is a hash of what its partial result depends on: the
  source (without its whole-dataset version), the chunk id, the version of the
  part (file) the chunk lies in, the product, the assumption-set and engine
  versions, and — for path-dependent products only — the scenario spec. A
  resubmit after one part of a dataset was fixed reuses the partials of the
  parts that did not change; a term job under other scenarios reuses them all
  (term partials hold the exact portfolio cashflows, scenarios are applied at
  the end).

**Chunk plan.** The plan depends on the dataset only, never on the number of
workers, so results and partials are the same on any backend. Chunks hold at
most :data:`MAX_CHUNK_BYTES` (~500 MB) of source data; the planner aims at
:data:`PLAN_CHUNKS` chunks (64: four chunks for each of 16 workers, so work
balances) but never plans chunks below :data:`MIN_CHUNK_BYTES` (8 MB), where the
per-task cost (a task start, reading a chunk's metadata, writing a partial)
would dominate. So the 500 MB cap always holds; the four-chunks-per-worker aim
holds for up to 16 workers on datasets of 512 MB or more, and for larger
clusters once a dataset has more than 4 × workers × 500 MB; a small dataset
gets fewer, larger chunks because it is done in seconds anyway. A chunk is at
least one scan unit (a Parquet row group, a CSV byte range of 1/256 of a file).
"""

from __future__ import annotations

import hashlib
import json
import math
import time
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

from livecalc_lab.data.chunks import ChunkRef
from livecalc_lab.data.source import PolicySource
from livecalc_lab.errors import JobError

__all__ = ["JobSpec", "ChunkTask", "plan_chunk_bytes", "MAX_CHUNK_BYTES", "MIN_CHUNK_BYTES", "PLAN_CHUNKS",
           "JOB_FORMAT", "PARTIAL_FORMAT"]

JOB_FORMAT = "livecalc-job/1"
PARTIAL_FORMAT = "livecalc-partial/1"
MAX_CHUNK_BYTES = 500 << 20
MIN_CHUNK_BYTES = 8 << 20
PLAN_CHUNKS = 64


def plan_chunk_bytes(total_bytes: int) -> int:
    """Target bytes per chunk for a dataset of ``total_bytes`` (see the module docstring)."""
    return int(min(MAX_CHUNK_BYTES, max(MIN_CHUNK_BYTES, math.ceil(total_bytes / PLAN_CHUNKS))))


def _hash(obj: Any, n: int = 32) -> str:
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()[:n]


@dataclass(frozen=True)
class ChunkTask:
    """One chunk of a job's plan.

    Attributes
    ----------
    index : int
        Position in the plan (0-based): partials are merged in this order.
    id : str
        The chunk id (:meth:`livecalc_lab.data.Dataset.read_chunk`).
    rows, bytes : int
        Rows and bytes stored in the chunk's range (before any filter).
    key : str
        Content key of its partial result (see the module docstring).
    part_version : str or None
        Version of the part the chunk lies in.
    """

    index: int
    id: str
    rows: int
    bytes: int
    key: str
    part_version: str | None


@dataclass
class JobSpec:
    """Everything a worker needs to run any chunk of a job (serialised as ``JOB.json``).

    Attributes
    ----------
    job_id : str
    source : dict
        The PolicySource (``to_dict``), with ``version`` set to the content version
        read at submission, so a worker refuses data that changed since.
    product : str
    assumptions : dict
        ``{"version": ..., "location": folder or None, "ref": ..., "store": ...}``.
        ``location`` None with no ``ref``: the bundled set. ``ref`` is the concrete
        ``assumptions://NAME:sha256:...`` of a set read from a store (never ``latest``
        or ``draft``) and ``store`` that store (a folder, a blob URI or the service's
        URL); a worker loads ``location`` when it has one, else resolves ``ref`` in
        ``store``, and checks the version either way.
    scenarios : dict or None
        A :class:`~livecalc_lab.model.scenarios.ScenarioSpec` as ``to_dict()``.
    engine_version : str
    chunk_bytes : int
        Target chunk size the plan was made with.
    chunks : list of ChunkTask
    total_rows, total_bytes : int
        The dataset's rows (before any filter) and bytes.
    partials : str
        Folder or blob prefix where partials are written, one ``<key>.arrow`` per chunk.
    label : str
        The dataset, for messages and result provenance.
    data_version : str or None
    kind : str
        ``"term"`` or ``"savings"``.
    created : float
        Unix time of the first submission.
    """

    job_id: str
    source: dict[str, Any]
    product: str
    assumptions: dict[str, Any]
    scenarios: dict[str, Any] | None
    engine_version: str
    chunk_bytes: int
    chunks: list[ChunkTask]
    total_rows: int
    total_bytes: int
    partials: str
    label: str
    data_version: str | None
    kind: str
    created: float = field(default_factory=time.time)
    format: str = JOB_FORMAT

    # ---- construction ----------------------------------------------------------------------

    @classmethod
    def create(cls, ds: Any, aset: Any, product: str, scenarios: Any, *, partials: str,
               chunk_bytes: int | None = None) -> "JobSpec":
        """Plan a job: resolve versions, plan the chunks, derive the id and chunk keys.

        Raises
        ------
        JobError
            Scenarios given other than as a spec, an assumption set with no folder,
            or an empty plan.
        """
        from livecalc_lab.assumptions import ProductBasis
        from livecalc_lab.engine import default_engine
        from livecalc_lab.model.scenarios import ScenarioSpec

        basis = aset.basis(product)  # AssumptionError for an unknown product
        kind = "term" if isinstance(basis, ProductBasis) else "savings"
        if scenarios is not None and not isinstance(scenarios, ScenarioSpec):
            raise JobError("jobs take scenarios as a spec (lc.hull_white(n=..., seed=...)), which every worker "
                           f"can regenerate; not a {type(scenarios).__name__}")
        assumptions = {"version": aset.version, "location": _assumption_location(aset),
                       "ref": getattr(aset, "ref", None), "store": getattr(aset, "store", None)}
        data_version = ds.version
        source = ds.source.replace(version=data_version) if data_version is not None and ds.source.type != "database" \
            else ds.source
        meta = ds.metadata
        target = int(chunk_bytes) if chunk_bytes is not None else plan_chunk_bytes(meta.bytes)
        # Unversioned data (a database without a version label) is never assumed unchanged.
        nonce = uuid.uuid4().hex if data_version is None else None
        engine_version = default_engine().version
        scen = scenarios.to_dict() if scenarios is not None else None
        scen_version = scenarios.version if scenarios is not None else None
        base = {k: v for k, v in source.to_dict().items() if k != "version"}
        parts = ds.part_versions()
        chunks = []
        for c in ds.iter_chunks(target):
            ref = ChunkRef.decode(c.id)
            pv = parts.get(ref.part, data_version)
            key = _hash({"format": PARTIAL_FORMAT, "source": base, "chunk": c.id, "part_version": pv,
                         "nonce": nonce, "product": product, "assumptions": aset.version, "engine": engine_version,
                         "scenarios": scen_version if kind == "savings" else None})
            chunks.append(ChunkTask(c.index, c.id, c.rows, c.bytes, key, pv))
        job_id = "j" + _hash({"format": JOB_FORMAT, "source": source.to_dict(), "product": product,
                              "assumptions": aset.version, "scenarios": scen_version, "engine": engine_version,
                              "chunk_bytes": target, "nonce": nonce}, 16)
        return cls(job_id=job_id, source=source.to_dict(), product=product, assumptions=assumptions,
                   scenarios=scen, engine_version=engine_version, chunk_bytes=target, chunks=chunks,
                   total_rows=meta.rows, total_bytes=meta.bytes, partials=partials, label=ds.label,
                   data_version=data_version, kind=kind)

    # ---- derived ----------------------------------------------------------------------------

    @property
    def policy_source(self) -> PolicySource:
        return PolicySource.from_dict(self.source)

    @property
    def filtered(self) -> bool:
        return self.source.get("filter") is not None

    @property
    def scenarios_version(self) -> str | None:
        return self.scenario_spec.version if self.scenarios is not None else None

    @property
    def scenario_spec(self) -> Any:
        from livecalc_lab.model.scenarios import ScenarioSpec

        return ScenarioSpec.from_dict(self.scenarios) if self.scenarios is not None else None

    def partial_uri(self, index: int) -> str:
        """Where chunk ``index``'s partial result is written."""
        from livecalc_lab.jobs._storage import join

        return join(self.partials, f"{self.chunks[index].key}.arrow")

    def load_assumptions(self) -> Any:
        """The job's assumption set, checked against the recorded version.

        Raises
        ------
        JobError
            The folder now holds another version of the assumption set.
        """
        return load_job_assumptions(self.assumptions)

    # ---- serialisation ------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["chunks"] = [asdict(c) for c in self.chunks]
        return d

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, indent=1)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "JobSpec":
        if d.get("format") != JOB_FORMAT:
            raise JobError(f"not a job specification of format {JOB_FORMAT!r}: {d.get('format')!r}")
        d = dict(d)
        d["chunks"] = [ChunkTask(**c) for c in d["chunks"]]
        return cls(**d)

    @classmethod
    def from_json(cls, text: str) -> "JobSpec":
        try:
            return cls.from_dict(json.loads(text))
        except (json.JSONDecodeError, TypeError, KeyError) as exc:
            raise JobError(f"malformed job specification: {exc}") from None


def _assumption_location(aset: Any) -> str | None:
    from livecalc_lab.assumptions import demo_assumptions

    if aset.version == demo_assumptions().version:
        return None
    if aset.path is not None:
        return str(aset.path.resolve())
    if getattr(aset, "ref", None) is not None:
        return None  # workers resolve the concrete reference in its store
    raise JobError("the assumption set was not read from a folder or a store; workers load assumptions from one "
                   "(save it with lc.assumptions.Store().save(aset, name) and pass assumptions://NAME:VERSION, "
                   "or save it to a folder and load it with lc.load_assumptions)")


_ASETS: dict[tuple[str, str | None], Any] = {}


def load_job_assumptions(assumptions: dict[str, Any], folder: str | None = None) -> Any:
    """The assumption set a job names, version-checked.

    From ``folder`` if given (e.g. a staged copy), else the recorded ``location``,
    else the recorded ``ref`` in its ``store`` (a folder, a blob prefix, or the
    service, with the token in ``$LIVECALC_TOKEN``), else the bundled set.

    Raises
    ------
    JobError
        The set found is another version than the job was submitted with.
    AssumptionError
        The store does not hold the version (or cannot be read).
    """
    from livecalc_lab.assumptions import demo_assumptions, load_assumptions

    where = folder if folder is not None else assumptions.get("location")
    ref = assumptions.get("ref") if where is None else None
    key = (assumptions["version"], where or ref)
    if key not in _ASETS:
        if ref is not None:
            from livecalc_lab.assumptions.store import resolve_ref

            aset = resolve_ref(ref, assumptions.get("store"))
        else:
            aset = demo_assumptions() if where is None else load_assumptions(where)
        if aset.version != assumptions["version"]:
            raise JobError(f"assumption set {where or ref or '(bundled)'} is version {aset.version}, but the job was "
                           f"submitted with {assumptions['version']}; it changed since")
        _ASETS[key] = aset
    return _ASETS[key]
