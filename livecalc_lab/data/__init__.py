"""The data layer: one PolicySource for local files, Azure Blob, data lake folders and SQL tables.

A user never loads a whole dataset to work with it::

    ds = lc.open_dataset("azure://book/policies/2026-Q1.parquet", filter="region = 'UK'")
    ds.metadata.rows, ds.metadata.columns, ds.version     # footer / properties / catalogue only
    preview = ds.sample(10_000, seed=42)                  # reproducible, bounded memory
    for chunk in ds.iter_chunks():                        # for the job layer
        policies = lc.open_dataset(ds.source).read_chunk(chunk.id)

Modules: :mod:`~.source` (PolicySource), :mod:`~.dataset` (Dataset, metadata,
chunks, validation), :mod:`~.schema` (strict parsing), :mod:`~.sampling`,
:mod:`~.filter`, :mod:`~.upload`, :mod:`~.synthetic`; the readers are private
(``_csv``, ``_parquet``, ``_sql``, ``_store``, ``_azure``).
"""

from livecalc_lab.data.chunks import Chunk
from livecalc_lab.data.dataset import Dataset, Metadata, open_dataset, read_chunk
from livecalc_lab.data.filter import Filter, parse_filter
from livecalc_lab.data.problems import Problem, ValidationReport
from livecalc_lab.data.sampling import sample_keys
from livecalc_lab.data.schema import ReadOptions
from livecalc_lab.data.source import PolicySource
from livecalc_lab.data.synthetic import synthetic_portfolio
from livecalc_lab.data.upload import UploadResult, upload

__all__ = [
    "Chunk",
    "Dataset",
    "Filter",
    "Metadata",
    "PolicySource",
    "Problem",
    "ReadOptions",
    "UploadResult",
    "ValidationReport",
    "open_dataset",
    "parse_filter",
    "read_chunk",
    "sample_keys",
    "synthetic_portfolio",
    "upload",
]
