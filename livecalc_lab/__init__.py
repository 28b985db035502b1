"""LiveCalc Lab: a Jupyter-native workbench for life-insurance actuaries.

The public API::

    import livecalc_lab as lc
    result = lc.run()                                   # bundled lifelib portfolio, BasicTerm_S
    result = lc.run("policies.csv", "my_assumptions/", product="basic_term_se")
    result.totals["pv_net_cf"], result.per_policy       # totals and a polars DataFrame

    ds = lc.open_dataset("azure://book/policies.parquet")   # or a path, abfss://, postgresql://, sqlite:///
    ds.metadata, ds.sample(10_000, seed=42), list(ds.iter_chunks())
    ds = lc.open_dataset("livecalc+https://host/datasets/book", token=token)   # served by a Data API

    lc.preview(ds, scenarios=lc.hull_white(n=1000))     # a 10,000-policy sample scaled up, with a 95% interval
    lc.Workbench(ds)                                    # the same in widgets: browse, edit, preview, full run
    job = lc.submit(ds, scenarios=lc.hull_white(n=1000), backend="local")   # or "dask", "azure_batch", "auto"
    job.result(), lc.attach(job.id), lc.jobs()

    result.to_html("report.html"), result.to_markdown("report.md")   # self-contained valuation reports
    result.to_excel("result.xlsx"), result.to_csv("pv.csv"), result.save("result.parquet")
    lc.load_result("result.parquet")                    # the saved result, bit for bit
    store = lc.assumptions.Store()                      # versioned assumption sets: save, approve, diff, Excel, push/pull
    v = store.save(aset, "demo", "lapse study"); store.approve("demo", v, by="reviewer")
    lc.run(assumptions="assumptions://demo:latest")     # the result records the concrete version

Errors all derive from :class:`LivecalcError`.
"""

from livecalc_lab._version import __version__
from livecalc_lab.assumptions import AssumptionSet, demo_assumptions, load_assumptions
from livecalc_lab.data import Dataset, PolicySource, open_dataset, synthetic_portfolio, upload
from livecalc_lab.export import load_result
from livecalc_lab.errors import AssumptionError, AuthError, ConfigError, DataError, EngineError, JobError, LivecalcError
from livecalc_lab.jobs import Job, attach, jobs, submit
from livecalc_lab.model.policies import demo_policies, read_policies
from livecalc_lab.model.scenarios import ScenarioSet, ScenarioSpec, hull_white, read_scenarios
from livecalc_lab.preview import PreviewResult, preview
from livecalc_lab.results import ValuationResult
from livecalc_lab.sensitivities import Shock, sensitivities
from livecalc_lab.valuation import run

__all__ = [
    "__version__",
    "AssumptionError",
    "AssumptionSet",
    "AuthError",
    "ConfigError",
    "DataApiClient",
    "DataError",
    "Dataset",
    "EngineError",
    "Job",
    "JobError",
    "LivecalcError",
    "ScenarioSet",
    "ScenarioSpec",
    "Shock",
    "PolicySource",
    "PreviewResult",
    "ValuationResult",
    "Workbench",
    "attach",
    "demo_assumptions",
    "demo_policies",
    "load_assumptions",
    "hull_white",
    "jobs",
    "load_result",
    "open_dataset",
    "preview",
    "read_policies",
    "read_scenarios",
    "run",
    "sensitivities",
    "submit",
    "synthetic_portfolio",
    "upload",
]


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    """Jupyter server extension: the routes of :mod:`livecalc_lab.lab` (the side panel's server half)."""
    return [{"module": "livecalc_lab.lab"}]


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    """JupyterLab extension ``livecalc-lab``, prebuilt into ``livecalc_lab/labextension`` (for ``jupyter labextension develop``)."""
    return [{"src": "labextension", "dest": "livecalc-lab"}]


def __getattr__(name: str):  # noqa: ANN202 - lazy, so that importing livecalc_lab stays fast
    if name == "DataApiClient":
        from livecalc_lab.api.client import DataApiClient

        return DataApiClient
    if name == "Workbench":  # imports anywidget, ipywidgets and plotly's helpers: only when asked for
        from livecalc_lab._optional import require

        require("anywidget", "widgets", "The workbench")
        from livecalc_lab.widgets import Workbench

        return Workbench
    raise AttributeError(f"module 'livecalc_lab' has no attribute {name!r}")
