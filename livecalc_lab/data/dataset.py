"""A policy dataset opened without loading it: metadata, samples, chunks, validation.

>>> import livecalc_lab as lc
>>> from livecalc_lab.model.policies import demo_policies_path
>>> ds = lc.open_dataset(demo_policies_path())
>>> ds.metadata.rows
10000
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import polars as pl

from livecalc_lab.data._cache import memo_get, memo_put, sample_cache
from livecalc_lab.data.chunks import Chunk, ChunkRef
from livecalc_lab.data.filter import Filter, parse_filter
from livecalc_lab.data.metadata import Metadata, SchemaReport
from livecalc_lab.data.problems import Problem, ProblemLog, ValidationReport
from livecalc_lab.data.sampling import KEY, TopN
from livecalc_lab.data.schema import (
    DERIVED_FROM,
    Normalised,
    ReadOptions,
    normalise,
    plan_columns,
    report_duplicates,
)
from livecalc_lab.data.source import PolicySource, split_credentials
from livecalc_lab.errors import DataError
from livecalc_lab.model.policies import CATEGORY_COLUMNS, POLICY_COLUMNS, Policies

__all__ = ["Dataset", "Metadata", "SchemaReport", "open_dataset", "read_chunk", "DEFAULT_CHUNK_BYTES"]

DEFAULT_CHUNK_BYTES = 32 << 20
_READ_ALL_BYTES = 256 << 20
_SQL_TTL = 30.0
_ROW = "__row"
_LOC = "__unit"


class Dataset:
    """A policy dataset: one :class:`PolicySource` plus the means to read it.

    Open one with :func:`open_dataset`. Nothing is loaded until asked for:
    :attr:`metadata` reads footers, properties, the catalogue or one cached pass
    over a CSV; :meth:`sample` and :meth:`iter_chunks` read only what they must.
    """

    def __init__(self, source: PolicySource, *, credential: Any = None):
        self.source = source
        self.options = ReadOptions.from_mapping(source.options)
        self.filter: Filter | None = parse_filter(source.filter) if source.filter else None
        self._credential = credential
        self._metadata: Metadata | None = None
        self._version: str | None = None
        self._filter_checked = False
        if source.type == "database":
            from livecalc_lab.data._sql import SqlBackend

            self._backend: Any = SqlBackend(source.uri, self.options, credential)
        else:
            from livecalc_lab.data._files import make_file_backend

            self._backend = make_file_backend(source, credential, self.options)
        self.label: str = self._backend.label
        if source.version is not None and source.type in ("local", "blob") and source.version != self.version:
            raise DataError(f"{self.label}: version is {self.version}, not the requested {source.version}")

    def __repr__(self) -> str:
        return f"Dataset({self.source!r})"

    @property
    def is_sql(self) -> bool:
        return self.source.type == "database"

    # ---- metadata --------------------------------------------------------------------------

    @property
    def metadata(self) -> Metadata:
        """Rows, bytes, columns, format and version, without loading the data (cached)."""
        if self._metadata is not None:
            return self._metadata
        key = None
        if self.is_sql:
            # In-process only; the credential is part of the key so a wrong password never sees cached facts.
            key = f"sql-meta:{self.source.to_json()}:{hash(repr(self._credential))}"
            hit = memo_get(key, ttl=None if self.source.version is not None else _SQL_TTL)
            if hit is not None:
                self._metadata = Metadata(self, *hit)
                return self._metadata
        b = self._backend
        args = (b.rows(), b.nbytes(), self.columns, b.format, len(getattr(b, "parts", [None])))
        if key is not None:
            memo_put(key, args)
        self._metadata = Metadata(self, *args)
        return self._metadata

    def filtered_rows(self) -> int:
        """Rows of the dataset after its filter: the population size ``N`` a sample stands for.

        Without a filter this is ``metadata.rows`` (nothing read). With one, a
        pass over the policy (and filter) columns counts the rows that pass it;
        the count is kept in process memory under the source (with its filter),
        its content version and the credential, as :meth:`sample` keeps samples,
        so it is counted once per version (an unversioned source, or local files
        changed since opening, are counted again every time).

        Returns
        -------
        int

        Raises
        ------
        DataError
            A bad value in a column the filter or the policy schema needs (file, row, column, value).
        """
        if self.filter is None:
            return int(self.metadata.rows)
        key = None
        if self.version is not None and self._backend_unchanged():
            key = f"filtered-rows:{self.source.to_json()}:{self.version}:{hash(repr(self._credential))}"
            hit = memo_get(key, ttl=None)
            if hit is not None:
                return int(hit)
        n = sum(b.frame.height for ref in self._plan(64 << 20) for b in self._normalised(ref, ProblemLog()))
        if key is not None:
            memo_put(key, n)
        return n

    @property
    def columns(self) -> dict[str, pl.DataType]:
        """The columns as read (see :attr:`Metadata.columns`)."""
        return self._columns()

    def _columns(self, id_kind: str | None = None) -> dict[str, pl.DataType]:
        """The columns as read; ``id_kind`` (from a chunk id) saves finding how ids are held."""
        raw = self._backend.raw_columns()
        plan = plan_columns(list(raw), self.options)
        out: dict[str, pl.DataType] = {}
        if "policy_id" in plan.sources:
            out["policy_id"] = pl.Int64 if (id_kind or self._backend.id_kind()) == "int" else pl.String
        for name, dtype in POLICY_COLUMNS.items():
            if name in plan.sources:
                out[name] = dtype
        for name in CATEGORY_COLUMNS:
            if name in plan.sources:
                out[name] = pl.String
        for name in plan.extra:
            out[name] = raw[name]
        return out

    @property
    def version(self) -> str | None:
        """The content version: what results are keyed by.

        Local files: ``xxh3:<hex>``, a full streaming xxh3-128 hash of the bytes
        (a CSV's comes from the metadata pass; a Parquet file's from one extra
        pass), cached by size, mtime and a hash of head and tail. Blobs:
        ``etag:<ETag>``. Several parts or a data lake folder: a hash of each
        part's name and version (prefixed by the snapshot folder). Databases:
        the source's ``version`` as given (None: unversioned).
        """
        if self.is_sql:
            return self.source.version
        if self._version is None:
            self._version = self._backend.version()
        return self._version

    def part_versions(self) -> dict[str, str | None]:
        """The content version of each part, by the part name chunk ids carry.

        Files and blobs: each file's own version (as in :attr:`version`), so a
        job can reuse the partial results of the parts that did not change.
        Databases: empty; every chunk of a table has the source's ``version``.
        """
        if self.is_sql:
            return {}
        b = self._backend
        known = {}
        if b.format == "csv":
            known = {p.name: b.csv_scan(i).content_hash for i, p in enumerate(b.parts)}
        return {p.name: b.store.content_hash(p, known=known.get(p.name)) for p in b.parts}

    def schema(self) -> "SchemaReport":
        """Which policy columns the projection needs, where each comes from, and what is missing."""
        raw = self._backend.raw_columns()
        return SchemaReport(self.label, dict(raw), plan_columns(list(raw), self.options))

    def _check_filter(self, id_kind: str | None = None) -> None:
        if self.filter is not None and not self._filter_checked:
            self.filter.check(self._columns(id_kind))
            if self.is_sql:
                plan = plan_columns(list(self._backend.raw_columns()), self.options)
                derived = [c for c in self.filter.columns if plan.sources.get(c) == "derived"]
                if derived:
                    raise DataError(
                        f"filter {self.filter.text!r}: {derived[0]!r} is derived from "
                        f"{' and '.join(DERIVED_FROM[derived[0]])}; a database filter can use only the table's columns"
                    )
            self._filter_checked = True

    # ---- reading ---------------------------------------------------------------------------

    def _plan(self, target_bytes: int) -> list[ChunkRef]:
        self._check_filter()
        if self.is_sql:
            return self._backend.plan(target_bytes, self.filter)
        return self._backend.plan(target_bytes)

    def _normalised(self, ref: ChunkRef, log: ProblemLog, *, keep_extra: bool = False, columns: list[str] | None = None) -> Iterator[Normalised]:
        """Strictly converted, filtered batches of one chunk."""
        post_filter = self.filter is not None and not self.is_sql
        for raw, rows, label in self._backend.read(ref, columns, self.filter):
            n = normalise(raw, label, rows=rows, options=self.options, id_kind=ref.id_kind, log=log,
                          keep_extra=keep_extra or post_filter)
            if n is None:
                return
            if post_filter:
                mask = n.frame.select(self.filter.to_polars(n.frame.schema).fill_null(False)).to_series()
                n = Normalised(n.frame.filter(mask), n.rows[mask.to_numpy()], n.has_duration)
            if not keep_extra:
                cats = [c for c in CATEGORY_COLUMNS if c in n.frame.columns]
                n = Normalised(n.frame.select(["policy_id", *POLICY_COLUMNS, *cats]), n.rows, n.has_duration)
            yield n

    def iter_chunks(self, target_bytes: int = DEFAULT_CHUNK_BYTES) -> Iterator[Chunk]:
        """Deterministic, contiguous chunks covering every row once.

        Parquet: runs of whole row groups; CSV: byte ranges on record
        boundaries; SQL: ``policy_id`` key ranges. Each chunk holds about
        ``target_bytes`` of stored data (at least one row group or scan unit).
        A filter applies within chunks, so a chunk may yield fewer rows.

        Yields
        ------
        Chunk
            ``id`` is readable by :meth:`read_chunk` on any machine given only
            this dataset's :class:`PolicySource`.
        """
        if target_bytes <= 0:
            raise ValueError(f"target_bytes must be positive, not {target_bytes}")
        for i, ref in enumerate(self._plan(int(target_bytes))):
            yield Chunk(ref.encode(), i, ref.rows, ref.nbytes)

    def read_chunk(self, chunk_id: str | Chunk, *, extra_columns: bool = False) -> Policies:
        """The policies of one chunk, strictly parsed and filtered.

        Raises
        ------
        DataError
            A bad value, or a policy id repeated within the chunk.
        """
        ref = ChunkRef.decode(chunk_id.id if isinstance(chunk_id, Chunk) else chunk_id)
        self._check_filter(ref.id_kind)  # a worker never rescans the data to learn how ids are held
        log = ProblemLog()
        # Without extra columns only the policy (and filter) columns are read: Parquet skips the rest.
        columns = None if extra_columns else self._needed_columns()
        batches = list(self._normalised(ref, log, keep_extra=extra_columns, columns=columns))
        return self._policies(batches, log)

    def _policies(self, batches: list[Normalised], log: ProblemLog, version: str | None = None) -> Policies:
        columns = {"policy_id": pl.Int64, **POLICY_COLUMNS}
        frame = pl.concat([b.frame for b in batches], how="vertical_relaxed") if batches else pl.DataFrame(schema=columns)
        rows = np.concatenate([b.rows for b in batches]) if batches else np.zeros(0, dtype=np.int64)
        report_duplicates(frame["policy_id"], rows, self.label, log)
        has_duration = self.schema().sources.get("duration_mth") not in (None, "default")
        return Policies(frame=frame, source=self.label, has_duration=has_duration, rows=rows, version=version)

    def read(self) -> Policies:
        """Every (filtered) policy in the canonical schema, for a valuation held in memory.

        Other columns are dropped. Prefer :meth:`iter_chunks` for data larger than memory.

        Raises
        ------
        DataError
            The first problem found (use :meth:`validate` to see all of them).
        """
        log = ProblemLog()
        batches = [n for ref in self._plan(_READ_ALL_BYTES) for n in self._normalised(ref, log)]
        return self._policies(batches, log, version=self.version)

    # ---- validation ------------------------------------------------------------------------

    def validate(self, assumptions: Any = None, product: str | None = None, *, limit: int = 100) -> ValidationReport:
        """Every problem that would stop a projection, up to ``limit``.

        Checks the whole dataset (after the filter): required columns, each
        value's format and range, duplicate ids, and — against ``assumptions``
        (default: the bundled set) — ages beyond the mortality table, terms past
        its end or the discount curve's, and unknown product codes (a
        ``product`` column naming products the assumption set lacks). Without
        ``product``, rows are checked against their ``product`` column, or the
        default product ``basic_term_s``.
        """
        from livecalc_lab.model.policies import policy_problems
        from livecalc_lab.valuation import DEFAULT_PRODUCT, resolve_assumptions

        aset = resolve_assumptions(assumptions)
        log = ProblemLog(limit)
        ids: list[pl.Series] = []
        rows: list[np.ndarray] = []
        try:
            self._check_filter()
            by_column = product is None and "product" in self.columns
            for ref in self._plan(DEFAULT_CHUNK_BYTES):
                for n in self._normalised(ref, log, keep_extra=by_column):
                    ids.append(n.frame["policy_id"])
                    rows.append(n.rows)
                    groups = [(product or DEFAULT_PRODUCT, np.ones(n.frame.height, dtype=bool))]
                    if by_column:
                        names = n.frame["product"].cast(pl.String)
                        groups = [(p, (names == p).fill_null(False).to_numpy()) for p in names.unique().drop_nulls().sort()]
                        unknown = ~names.is_in(aset.products).fill_null(False).to_numpy()
                        log.add_rows(self.label, n.rows, "product", names, unknown,
                                     lambda v: f"{v!r} is not a product of the assumption set ({', '.join(aset.products)})")
                    for name, mask in groups:
                        if name not in aset.products or not mask.any():
                            continue
                        pols = Policies(n.frame.filter(pl.Series(mask)), self.label, n.has_duration, rows=n.rows[mask])
                        policy_problems(pols, aset.basis(name), log)
            if ids:
                report_duplicates(pl.concat(ids), np.concatenate(rows), self.label, log)
        except DataError as exc:  # a problem that stops reading (unreadable file, bad encoding, ...)
            log.problems.append(Problem(self.label, None, None, None, str(exc)))
        return ValidationReport(list(log.problems), log.n_more)

    # ---- sampling --------------------------------------------------------------------------

    def sample(self, n: int = 10_000, seed: int = 42, *, cache: bool = True) -> pl.DataFrame:
        """``n`` policies drawn uniformly without replacement, reproducibly.

        The draw is a function of ``(seed, n, the set of policy ids)`` only —
        the same rows whatever the row order, file split, chunk layout or source
        type (see :mod:`livecalc_lab.data.sampling` for the exact rule). Rows
        come in key order, with the policy columns in the canonical schema and
        the other columns as stored. Memory is bounded by ``n`` plus one chunk.

        Parquet: a first pass reads only the policy (and filter) columns, a
        second only the row groups holding sampled rows. SQL: a first query
        streams the ids; a second fetches the sampled rows by id. CSV: one
        streaming pass.

        A drawn sample is kept in memory (:func:`livecalc_lab.data._cache.sample_cache`,
        least recently used dropped first, 256 MiB by default) under the source
        (with its filter and read options), its content version, ``n`` and
        ``seed``, so the workbench's preview does not draw it again at every edit.
        New content has a new version and so a new sample; a source without a
        version (a database table opened without ``version=``) or a local file
        changed since this dataset was opened is drawn again every time.

        Parameters
        ----------
        n : int
            Policies to draw (>= 0).
        seed : int
            Sample seed, 0 <= seed < 2**64.
        cache : bool
            Use the sample cache (False: always draw, and keep nothing).

        Returns
        -------
        polars.DataFrame
            ``min(n, rows)`` rows; a frame of its own (changing it in place leaves the
            cached sample as it was).

        Raises
        ------
        ValueError
            A negative ``n`` or a seed out of range.
        DataError
            A bad value in a column the sample needs (file, row, column, value).
        """
        if n < 0:
            raise ValueError(f"n must be >= 0, not {n}")
        self._check_filter()
        key = self._sample_key(n, seed) if cache else None
        if key is None:
            return self._draw(n, seed)
        return sample_cache().get_or_compute(key, lambda: self._draw(n, seed)).clone()

    def _sample_key(self, n: int, seed: int) -> tuple[Any, ...] | None:
        """The sample's key in the cache, or None when it must be drawn (no version, or changed files)."""
        version = self.version
        if version is None or not self._backend_unchanged():
            return None
        # The credential is part of the key (as in metadata's), so a wrong database password never meets a
        # cached sample; files and blobs are read (and so authorised) to learn their version.
        return ("sample", self.source.to_json(), version, int(n), int(seed), hash(repr(self._credential)))

    def _backend_unchanged(self) -> bool:
        """Whether a local dataset's files still have the size and mtime they had when it was opened.

        Blob reads are conditional on the ETags seen at opening, and a database's
        version is the one given, so only local files are checked (one stat each).
        """
        from livecalc_lab.data._store import LocalStore

        store = getattr(self._backend, "store", None)
        if not isinstance(store, LocalStore):
            return True
        try:
            return [p.token for p in store.parts()] == [p.token for p in self._backend.parts]
        except OSError:
            return False

    def _draw(self, n: int, seed: int) -> pl.DataFrame:
        """The sample, read from the data (see :meth:`sample`)."""
        top = TopN(n, seed)
        if self.is_sql:
            out = self._sample_sql(top)
        elif self._backend.format == "parquet":
            out = self._sample_parquet(top)
        else:
            out = self._sample_stream(top)
        if out is None:
            return pl.DataFrame(schema=self.columns)
        return out.sort([KEY, "policy_id"]).select(list(self.columns))

    def _needed_columns(self) -> list[str]:
        """Source columns that the policy columns and the filter are made from."""
        plan = plan_columns(list(self._backend.raw_columns()), self.options)
        needed = {v for v in plan.sources.values() if v not in ("derived", "default")}
        needed |= {c for k, v in plan.sources.items() if v == "derived" for c in DERIVED_FROM[k]}
        if self.filter is not None:
            needed |= {plan.sources.get(c, c) for c in self.filter.columns}
        return [c for c in self._backend.raw_columns() if c in needed]

    def _candidates(self, raw: pl.DataFrame, rows: np.ndarray, label: str, id_kind: str, top: TopN) -> tuple[pl.DataFrame, np.ndarray, np.ndarray]:
        """Strictly parse the policy (and filter) columns of ``raw``, apply the filter, and return
        ``(policy frame, positions in raw, keys)`` of the rows that could enter the sample."""
        n = normalise(raw.select(self._needed_columns()), label, rows=rows, options=self.options, id_kind=id_kind,
                      log=ProblemLog(), keep_extra=self.filter is not None)
        assert n is not None and n.frame.height == raw.height  # raising mode drops no row
        frame, pos = n.frame, np.arange(raw.height)
        if self.filter is not None and not self.is_sql:
            mask = frame.select(self.filter.to_polars(frame.schema).fill_null(False)).to_series()
            frame, pos = frame.filter(mask), pos[mask.to_numpy()]
        keys, below = top.keys_below(frame["policy_id"])
        return frame.filter(pl.Series(below)), pos[below], keys[below]

    def _full_rows(self, raw: pl.DataFrame, rows: np.ndarray, label: str, id_kind: str, keys: np.ndarray) -> pl.DataFrame:
        """``raw`` (the chosen rows) in the output schema (policy columns parsed, others as stored), keyed."""
        n = normalise(raw, label, rows=rows, options=self.options, id_kind=id_kind, log=ProblemLog(), keep_extra=True)
        assert n is not None
        return n.frame.with_columns(pl.Series(KEY, keys, dtype=pl.UInt64), pl.Series(_ROW, rows))

    def _sample_stream(self, top: TopN) -> pl.DataFrame | None:
        """CSV: one streaming pass; whole rows are kept only for the current candidates."""
        for ref in self._backend.plan(16 << 20):
            for raw, rows, label in self._backend.read(ref, None, self.filter):
                _, pos, keys = self._candidates(raw, rows, label, ref.id_kind, top)
                if len(pos):
                    # shrink_to_fit copies the chosen strings out of the batch's buffers, which would
                    # otherwise stay alive as long as the sample holds a row pointing into them.
                    top.add(self._full_rows(raw[pos].shrink_to_fit(), rows[pos], label, ref.id_kind, keys))
        return top.result()

    def _sample_parquet(self, top: TopN) -> pl.DataFrame | None:
        """Parquet: ids (and filter columns) of every row group, then whole rows of the chosen ones."""
        units = self._backend.plan(1)  # one row group each
        needed = self._needed_columns()
        for u, ref in enumerate(units):
            for raw, rows, label in self._backend.read(ref, needed, self.filter):
                frame, pos, keys = self._candidates(raw, rows, label, ref.id_kind, top)
                top.add(frame.select("policy_id").with_columns(
                    pl.Series(KEY, keys, dtype=pl.UInt64), pl.Series(_ROW, rows[pos]), pl.lit(u, dtype=pl.Int64).alias(_LOC)))
        chosen = top.result()
        if chosen is None:
            return None
        pieces = []
        for u in sorted(set(chosen[_LOC].to_list())):
            want = chosen.filter(pl.col(_LOC) == u)
            take = want[_ROW].to_numpy() - units[u].row_base - 1
            for raw, rows, label in self._backend.read(units[u], None, None, take=take):
                pieces.append(self._full_rows(raw, rows, label, units[u].id_kind, want[KEY].to_numpy()))
        return pl.concat(pieces, how="vertical_relaxed")

    def _sample_sql(self, top: TopN) -> pl.DataFrame | None:
        b = self._backend
        b.check_ids_present(self.filter)
        kind = b.id_kind()
        seen = 0
        for ids in b.iter_ids(self.filter):
            canon = ids.str.strip_chars().cast(pl.Int64) if kind == "int" and ids.dtype == pl.String else ids
            top.offer(pl.DataFrame({"policy_id": canon, "__raw": ids, _ROW: np.arange(seen + 1, seen + 1 + len(ids))}))
            seen += len(ids)
        chosen = top.result()
        if chosen is None:
            return None
        log = ProblemLog()
        raw = pl.concat(list(b.take(chosen["__raw"].to_list())), how="vertical_relaxed")
        id_col = b.id_column()
        raw = raw.join(chosen.select(pl.col("__raw").alias(id_col), _ROW, KEY), on=id_col, how="inner")
        rows = raw[_ROW].to_numpy()
        keys = raw[KEY]
        res = normalise(raw.drop(_ROW, KEY), self.label, rows=rows, options=self.options, id_kind=kind, log=log, keep_extra=True)
        assert res is not None
        return res.frame.with_columns(keys)


def open_dataset(uri_or_source: Any, *, credential: Any = None, version: str | None = None, filter: str | None = None, **options: Any) -> Dataset:
    """Open a policy dataset without loading it.

    Parameters
    ----------
    uri_or_source : str, pathlib.Path, PolicySource or Dataset
        A path or URI (see :class:`PolicySource` for the forms understood), or
        ``livecalc+https://host/datasets/<id>``: a dataset served by a LiveCalc
        Data API, returned as a :class:`~livecalc_lab.api.client.RemoteDataset`
        whose metadata, schema, samples and validation come from the service
        (pass ``token=``; default ``$LIVECALC_TOKEN``).
    credential : optional
        A SAS token, account key or token credential (Azure), or a database
        password; kept out of the PolicySource. A password or SAS token inside
        the URI is split off and used the same way.
    version, filter : str, optional
        See :class:`PolicySource`.
    **options
        Read options (:class:`~livecalc_lab.data.schema.ReadOptions`), e.g.
        ``table="policies"``, ``delimiter=";"``, ``decimal=","``.

    Returns
    -------
    Dataset

    Raises
    ------
    DataError
        Unknown URI scheme, missing file, unreachable storage or bad option.
    """
    if isinstance(uri_or_source, Dataset):
        if version is None and filter is None and not options:
            return uri_or_source
        uri_or_source = uri_or_source.source
    service = sys.modules.get("livecalc_lab.api.client")  # only loaded once a Data API dataset was opened
    if service is not None and isinstance(uri_or_source, service.RemoteDataset):
        if version is not None or filter is not None or options:
            raise DataError(f"{uri_or_source.label}: a Data API dataset takes no version, filter or read options")
        return uri_or_source
    if isinstance(uri_or_source, PolicySource):
        src = uri_or_source
        if version is not None or filter is not None or options:
            changes: dict[str, Any] = {"options": options}
            if version is not None:
                changes["version"] = version
            if filter is not None:
                changes["filter"] = filter
            src = src.replace(**changes)
        return Dataset(src, credential=credential)
    if not isinstance(uri_or_source, (str, Path)):
        raise TypeError(f"open_dataset takes a path, URI, PolicySource or Dataset, not {type(uri_or_source).__name__}")
    if isinstance(uri_or_source, str) and uri_or_source.startswith("livecalc+"):
        return _open_service(uri_or_source, credential, version, filter, options)
    clean, secret = split_credentials(str(uri_or_source))
    src = PolicySource.from_uri(clean, version=version, filter=filter, **options)
    return Dataset(src, credential=credential if credential is not None else secret)


def _open_service(url: str, credential: Any, version: str | None, filter: str | None, options: dict[str, Any]) -> Any:
    """A dataset of a LiveCalc Data API (``livecalc+https://host/datasets/<id>``): see :mod:`livecalc_lab.api.client`."""
    from livecalc_lab.api.client import open_remote

    token = options.pop("token", None)
    if token is not None and credential is not None:
        raise DataError("give the Data API token as token= or credential=, not both")
    if version is not None or filter is not None or options:
        raise DataError(
            "a Data API dataset takes no version, filter or read options: they are set where the dataset is registered"
        )
    return open_remote(url, token=token if token is not None else credential)


def read_chunk(source: PolicySource | str, chunk_id: str, *, credential: Any = None) -> Policies:
    """What a worker calls: the policies of chunk ``chunk_id`` of ``source`` (a PolicySource or its JSON)."""
    if isinstance(source, str):
        source = PolicySource.from_json(source)
    return Dataset(source, credential=credential).read_chunk(chunk_id)


def timed(fn: Any, *args: Any, **kwargs: Any) -> tuple[Any, float]:
    """``(fn(*args, **kwargs), seconds)`` — used by the benchmark and the CLI."""
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t0
