"""Jupyter widgets of the workbench (anywidget): a dataset browser, an assumptions editor,
a preview panel and a full-run panel, and :class:`Workbench`, which composes them.

They need the ``widgets`` extra (``pip install 'livecalc-lab[widgets]'``: anywidget,
ipywidgets, plotly) and work in JupyterLab 4, Notebook 7 and VS Code.
"""

from livecalc_lab.widgets.assumptions_editor import AssumptionsEditor
from livecalc_lab.widgets.dataset_browser import DatasetBrowser
from livecalc_lab.widgets.preview_panel import PreviewPanel
from livecalc_lab.widgets.run_panel import RunPanel
from livecalc_lab.widgets.workbench import Workbench

__all__ = ["AssumptionsEditor", "DatasetBrowser", "PreviewPanel", "RunPanel", "Workbench"]
