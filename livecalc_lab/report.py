"""Valuation reports: one self-contained HTML file (or Markdown) per result.

A report shows, from the result alone (nothing is recomputed, timings included):

* the inputs and their versions — dataset label and content version, assumption-set
  version, scenario spec and seed, engine module hash and ABI version, package version;
* the statistics table — PV totals, and over scenarios mean, std, percentiles, CTE,
  ``pv_net_cf_ce``, TVOG and the guarantee cost when there is one;
* a preview's sampling interval, and a preview-versus-full comparison when one is
  given or filed with the result (:func:`livecalc_lab.preview.compare`);
* charts: the distribution of per-scenario ``pv_net_cf`` with mean, P5, P95 and
  CTE95 marked, the PV of each cashflow line, and the monthly net cashflow and
  best-estimate liability when the result has cashflows;
* the recorded timings.

HTML reports draw their charts with plotly.js, embedded once in the file (from the
``plotly`` package): they open without any network. Every string that comes from
the user (paths, labels, versions, extra entries) is HTML-escaped, and figure data
is embedded as JSON with ``<``, ``>`` and ``&`` escaped. The output is a function of
the result: the same result gives the same bytes.

Markdown reports carry the same tables; charts become small tables (a histogram's
bins, annual cashflows) or a note.
"""

from __future__ import annotations

import html
import json
import math
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from livecalc_lab import _result_tables as rt

__all__ = ["Report", "Chart", "build_report", "render_html", "render_markdown", "to_html", "to_markdown",
           "distribution_figure", "totals_figure", "cashflow_figure", "PLOTLY_TEMPLATE", "use_plotly_template"]

PLOTLY_TEMPLATE: dict[str, Any] = {
    "layout": {
        "font": {"family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", "size": 13,
                 "color": "#222"},
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "colorway": ["#1f5f99", "#d9822b", "#3a8a4a", "#b03a48", "#6b4fa0", "#7f7f7f"],
        "xaxis": {"gridcolor": "#e6e6e6", "linecolor": "#555", "ticks": "outside", "zeroline": False,
                  "automargin": True},
        "yaxis": {"gridcolor": "#e6e6e6", "linecolor": "#555", "ticks": "outside", "zeroline": False,
                  "automargin": True},
        "margin": {"l": 70, "r": 30, "t": 60, "b": 60},
        "legend": {"orientation": "h", "y": -0.2},
    }
}
"""A small plotly template (layout defaults only) for the reports' and notebooks' charts.

Our own, so a stored figure depends on this code and the data, not on plotly's built-in themes."""

_CONFIG = {"displaylogo": False, "responsive": True}
_MARKS = (("cte", "cte95", "CTE95", "dot"), ("pct", "p5", "P5", "dash"), ("mean", None, "mean", "solid"),
          ("pct", "p95", "P95", "dash"))


def use_plotly_template() -> None:
    """Register :data:`PLOTLY_TEMPLATE` as plotly's ``"livecalc"`` template and make it the default."""
    import plotly.graph_objects as go
    import plotly.io as pio

    pio.templates["livecalc"] = go.layout.Template(PLOTLY_TEMPLATE)
    pio.templates.default = "livecalc"


# ---- charts ----------------------------------------------------------------------------------------------


def _figure(data: list[dict[str, Any]], layout: dict[str, Any]) -> Any:
    import plotly.graph_objects as go

    return go.Figure({"data": data, "layout": {"template": PLOTLY_TEMPLATE, **layout}})


def histogram(values: Any, bins: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(edges (bins + 1,) float64, counts (bins,) int64)`` of ``values`` over equal-width bins.

    ``bins`` defaults to √n rounded, kept within 10..40; edges as ``numpy.histogram``.
    """
    x = np.asarray(values, dtype=np.float64)
    if bins is None:
        bins = int(min(40, max(10, round(math.sqrt(x.size)))))
    counts, edges = np.histogram(x, bins=bins)
    return edges, counts.astype(np.int64)


def distribution_figure(result: Any, bins: int | None = None) -> Any:
    """Histogram of the per-scenario ``pv_net_cf`` with mean, P5, P95 and CTE95 marked.

    Returns
    -------
    plotly.graph_objects.Figure

    Raises
    ------
    ValueError
        The result has no scenarios (a deterministic valuation).
    """
    if result.per_scenario is None or result.statistics is None:
        raise ValueError("a deterministic valuation has no distribution over scenarios")
    edges, counts = histogram(result.per_scenario["pv_net_cf"].to_numpy(), bins)
    s = result.statistics
    bar = {"type": "bar", "x": ((edges[:-1] + edges[1:]) / 2).tolist(), "y": counts.tolist(),
           "width": float(edges[1] - edges[0]) if len(edges) > 1 else None, "name": "scenarios",
           "marker": {"color": "#9bb8d6", "line": {"color": "#1f5f99", "width": 0.5}},
           "hovertemplate": "pv_net_cf %{x:,.0f}<br>%{y} scenarios<extra></extra>"}
    shapes, notes = [], []
    for k, (kind, key, label, dash) in enumerate(_MARKS):
        x = s.mean if kind == "mean" else (s.cte if kind == "cte" else s.percentiles)[key]
        shapes.append({"type": "line", "xref": "x", "yref": "paper", "x0": x, "x1": x, "y0": 0, "y1": 1,
                       "line": {"color": "#b03a48" if kind == "cte" else "#333", "dash": dash, "width": 1.5}})
        notes.append({"x": x, "y": 1.0 - 0.07 * (k % 2), "xref": "x", "yref": "paper", "text": label,
                      "showarrow": False, "xanchor": "left", "yanchor": "bottom", "font": {"size": 11}})
    return _figure([bar], {"title": {"text": f"Distribution of pv_net_cf over {s.n:,} scenarios"},
                           "xaxis": {"title": {"text": "pv_net_cf"}, "tickformat": ",.0f"},
                           "yaxis": {"title": {"text": "scenarios"}}, "shapes": shapes, "annotations": notes,
                           "bargap": 0, "showlegend": False})


def totals_figure(result: Any) -> Any:
    """Horizontal bars: the portfolio PV of each cashflow line (means over scenarios, with scenarios)."""
    names = list(result.totals)
    return _figure([{"type": "bar", "orientation": "h", "y": names, "x": [float(result.totals[n]) for n in names],
                     "marker": {"color": ["#1f5f99" if n == "pv_net_cf" else "#9bb8d6" for n in names]},
                     "hovertemplate": "%{y}: %{x:,.2f}<extra></extra>"}],
                   {"title": {"text": "Present value by cashflow line"},
                    "xaxis": {"tickformat": ",.0f"}, "yaxis": {"autorange": "reversed"}, "showlegend": False,
                    "height": 120 + 28 * len(names)})


def cashflow_figure(result: Any) -> Any:
    """Monthly portfolio ``net_cf`` against t (months), with the best-estimate liability ``bel`` when the
    product reports it (term products; right-hand axis).

    Raises
    ------
    ValueError
        The result has no cashflows (value with ``cashflows=True``).
    """
    cf = result.cashflows
    if cf is None:
        raise ValueError("the result has no cashflows: value with cashflows=True")
    t = cf["t"].to_list()
    traces = [{"type": "scatter", "mode": "lines", "x": t, "y": cf["net_cf"].to_list(), "name": "net_cf"}]
    layout: dict[str, Any] = {"title": {"text": "Portfolio net cashflow by month"},
                              "xaxis": {"title": {"text": "t (months)"}},
                              "yaxis": {"title": {"text": "net_cf"}, "tickformat": ",.0f"}}
    if "bel" in cf.columns:
        traces.append({"type": "scatter", "mode": "lines", "x": t, "y": cf["bel"].to_list(), "name": "bel",
                       "yaxis": "y2"})
        layout["title"]["text"] = "Portfolio net cashflow and best-estimate liability"
        layout["yaxis2"] = {"title": {"text": "bel"}, "overlaying": "y", "side": "right", "tickformat": ",.0f",
                            "showgrid": False}
    return _figure(traces, layout)


# ---- the report ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Chart:
    """A chart of the report: a plotly figure, and what Markdown shows instead.

    Attributes
    ----------
    key, title, caption : str
    figure : dict
        The plotly figure as a dict (``Figure.to_dict()``).
    header, rows : list
        A small table standing for the chart in Markdown (empty: ``note`` instead).
    note : str
    """

    key: str
    title: str
    caption: str
    figure: dict[str, Any]
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    note: str = ""


@dataclass(frozen=True)
class Report:
    """The contents of a report, ready to render (:func:`render_html`, :func:`render_markdown`).

    Attributes
    ----------
    title : str
    headline : str
        One sentence: the portfolio value (and TVOG, or the preview's interval).
    inputs : list of (key, label, value)
    statistics : list of (statistic, value)
    preview : list of (label, text)
        A preview's sample and interval (empty for a full valuation).
    comparison : dict or None
        ``rows`` (statistic, preview, full, rel_diff) and ``verdict``.
    charts : list of Chart
    timings : list of (key, label, value)
    package_version : str
    """

    title: str
    headline: str
    inputs: list[rt.Entry]
    statistics: list[tuple[str, float | None]]
    preview: list[tuple[str, str]]
    comparison: dict[str, Any] | None
    charts: list[Chart]
    timings: list[rt.Entry]
    package_version: str


def _money(x: float | None) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    return f"{x:,.2f}"


def _stat_text(name: str, value: float | None) -> str:
    if value is not None and name == "n":
        return f"{int(value):,}"
    return _money(value)


def _value_text(value: Any, key: str = "") -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.3f}" if key.endswith("_seconds") else _money(value)
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _pct(x: float) -> str:
    return f"{x:+.4%}" if math.isfinite(x) else str(x)


def _headline(result: Any) -> str:
    if rt.is_preview(result):
        lo, hi = result.ci95
        what = "mean pv_net_cf over scenarios" if result.statistics is not None else "pv_net_cf"
        return (f"Preview from a {result.sample_size:,}-policy sample of {result.total_rows:,}: {what} "
                f"{_money(result.pv_net_cf)} ± {result.relative_halfwidth:.2%} (95%: {_money(lo)} to {_money(hi)}).")
    if result.statistics is None:
        return (f"pv_net_cf {_money(result.pv_net_cf)} (deterministic valuation of {result.n_model_points:,} "
                "model points).")
    text = (f"Mean pv_net_cf over {result.statistics.n:,} scenarios {_money(result.pv_net_cf)}; "
            f"certainty-equivalent {_money(result.pv_net_cf_ce)}; TVOG {_money(result.tvog)}")
    if result.guarantee_cost is not None:
        text += f"; guarantee cost {_money(result.guarantee_cost)}"
    return text + "."


def _distribution_chart(result: Any) -> Chart:
    fig = distribution_figure(result)
    edges, counts = histogram(result.per_scenario["pv_net_cf"].to_numpy())
    rows = [[_money(float(edges[i])), _money(float(edges[i + 1])), f"{int(c):,}"] for i, c in enumerate(counts)]
    return Chart("distribution", "Distribution of pv_net_cf over scenarios",
                 "Per-scenario totals of pv_net_cf; lines mark the mean, P5, P95 and CTE95 (the mean of the "
                 "worst 5%).", fig.to_dict(), ["from", "to", "scenarios"], rows)


def _cashflow_chart(result: Any) -> Chart:
    cf = result.cashflows
    net = cf["net_cf"].to_numpy()
    bel = cf["bel"].to_numpy() if "bel" in cf.columns else None
    header = ["projection year", "net_cf in the year"] + (["bel at its start"] if bel is not None else [])
    rows = []
    for year, start in enumerate(range(0, cf.height, 12)):
        row = [str(year + 1), _money(math.fsum(net[start:start + 12]))]
        rows.append(row + ([_money(float(bel[start]))] if bel is not None else []))
    caption = "Monthly portfolio net cashflow (certainty-equivalent projection)" + \
        (" and the best-estimate liability at t." if bel is not None else ".")
    return Chart("cashflows", "Net cashflow" + (" and best-estimate liability" if bel is not None else ""),
                 caption, cashflow_figure(result).to_dict(), header, rows)


def build_report(result: Any, *, comparison: Any = None, title: str | None = None,
                 extra: dict[str, Any] | None = None) -> Report:
    """Collect what a report of ``result`` shows (see the module docstring).

    Parameters
    ----------
    result : ValuationResult or PreviewResult
    comparison : Comparison, optional
        A preview-versus-full comparison; default: the one filed with the result.
    title : str, optional
        Default: ``"Valuation report: <product>"``.
    extra : dict, optional
        Further inputs to list (e.g. ``{"job_id": ..., "backend": "local"}``).

    Returns
    -------
    Report
    """
    cmp = comparison if comparison is not None else result.comparison
    stats = rt.statistics_table(result)
    preview: list[tuple[str, str]] = []
    if rt.is_preview(result):
        lo, hi = result.ci95
        preview = [("Sample", f"{result.sample_size:,} of {result.total_rows:,} policies (sample seed "
                              f"{result.sample_seed})"),
                   ("95% interval of pv_net_cf", f"{_money(lo)} to {_money(hi)}"),
                   ("Standard error", _money(result.std_error)),
                   ("Relative half-width", f"{result.relative_halfwidth:.4%}")]
    comparison_part = None
    if cmp is not None:
        rows = [[name, _money(p), _money(f), _pct(d)] for name, p, f, d in cmp.table.iter_rows()]
        verdict = (f"The full pv_net_cf {_money(cmp.full_value)} fell {'inside' if cmp.inside else 'OUTSIDE'} "
                   f"the preview's 95% interval {_money(cmp.ci95[0])} to {_money(cmp.ci95[1])}.")
        comparison_part = {"rows": rows, "verdict": verdict, "inside": bool(cmp.inside)}
    charts = []
    if result.per_scenario is not None and result.statistics is not None:
        charts.append(_distribution_chart(result))
    charts.append(Chart("totals", "Present value by cashflow line",
                        "Portfolio PV of each cashflow line" + (" (mean over scenarios)." if result.statistics
                                                                 is not None else "."),
                        totals_figure(result).to_dict(), note="The values are in the statistics table."))
    if result.cashflows is not None:
        charts.append(_cashflow_chart(result))
    return Report(
        title=title or f"Valuation report: {result.product}",
        headline=_headline(result),
        inputs=rt.inputs(result, extra),
        statistics=list(zip(stats["statistic"].to_list(), stats["value"].to_list())),
        preview=preview,
        comparison=comparison_part,
        charts=charts,
        timings=rt.timings(result),
        package_version=result.package_version,
    )


# ---- HTML ------------------------------------------------------------------------------------------------

_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#222;max-width:1100px;margin:2rem auto;
padding:0 1.2rem;line-height:1.45}
h1{font-size:1.6rem;margin-bottom:.3rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd}
p.headline{font-size:1.1rem}table{border-collapse:collapse;margin:.5rem 0}
th,td{padding:.25rem .7rem;border-bottom:1px solid #eee;text-align:left;vertical-align:top}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}td.val{font-variant-numeric:tabular-nums}
td.text{word-break:break-all;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9rem}
.chart{width:100%}figure{margin:1rem 0}figcaption{color:#555;font-size:.9rem}
.inside{color:#2d6a35}.outside{color:#a02c2c;font-weight:bold}footer{margin-top:3rem;color:#777;font-size:.85rem}
"""


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _script_json(obj: Any) -> str:
    """JSON safe inside a ``<script>`` element: no ``</script>``, no HTML entities, no line separators."""
    import plotly.io as pio

    text = pio.to_json(obj, validate=False, engine="json") if isinstance(obj, dict) and "data" in obj else \
        json.dumps(obj)
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"),
                    ("\u2029", "\\u2029")):
        text = text.replace(ch, esc)
    return text


def _entry_rows(entries: list[rt.Entry]) -> str:
    out = []
    for key, label, value in entries:
        cls = "val" if isinstance(value, (int, float)) and not isinstance(value, bool) else "text"
        exact = f' title="{_e(repr(value))}"' if isinstance(value, float) else ""
        out.append(f'<tr><th scope="row" title="{_e(key)}">{_e(label)}</th><td class="{cls}"{exact}>'
                   f'{_e(_value_text(value, key))}</td></tr>')
    return "\n".join(out)


def render_html(report: Report) -> str:
    """The report as one self-contained HTML document (plotly.js inline; no network)."""
    parts = [f"<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
             f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
             f"<meta name=\"generator\" content=\"livecalc-lab {_e(report.package_version)}\">\n"
             f"<title>{_e(report.title)}</title>\n<style>{_CSS}</style>\n"]
    if report.charts:
        from plotly.offline import get_plotlyjs, get_plotlyjs_version

        parts.append(f"<!-- plotly.js {_e(get_plotlyjs_version())}, embedded -->\n"
                     f"<script type=\"text/javascript\">{get_plotlyjs()}</script>\n")
    parts.append("</head>\n<body>\n<header>\n"
                 f"<h1>{_e(report.title)}</h1>\n<p class=\"headline\">{_e(report.headline)}</p>\n</header>\n")
    parts.append(f"<section id=\"inputs\">\n<h2>Inputs and versions</h2>\n<table>\n{_entry_rows(report.inputs)}"
                 "\n</table>\n</section>\n")
    stat_rows = "\n".join(f'<tr><th scope="row">{_e(n)}</th><td class="num" title="{_e(repr(v))}">'
                          f"{_e(_stat_text(n, v))}</td></tr>" for n, v in report.statistics)
    parts.append("<section id=\"statistics\">\n<h2>Statistics</h2>\n<table>\n<tr><th>statistic</th><th>value</th>"
                 f"</tr>\n{stat_rows}\n</table>\n<p><small>Percentiles: nearest rank. CTE&alpha;: mean of the "
                 "worst (100&minus;&alpha;)% of per-scenario totals. TVOG: pv_net_cf on the certainty-equivalent "
                 "scenario minus the mean over scenarios.</small></p>\n</section>\n")
    if report.preview:
        rows = "\n".join(f'<tr><th scope="row">{_e(k)}</th><td class="num">{_e(v)}</td></tr>'
                         for k, v in report.preview)
        parts.append(f"<section id=\"preview\">\n<h2>Preview</h2>\n<table>\n{rows}\n</table>\n</section>\n")
    if report.comparison is not None:
        cmp = report.comparison
        rows = "\n".join("<tr>" + f'<th scope="row">{_e(r[0])}</th>' + "".join(f'<td class="num">{_e(c)}</td>'
                                                                               for c in r[1:]) + "</tr>"
                         for r in cmp["rows"])
        parts.append("<section id=\"comparison\">\n<h2>Preview and full run</h2>\n"
                     f"<p class=\"{'inside' if cmp['inside'] else 'outside'}\">{_e(cmp['verdict'])}</p>\n"
                     "<table>\n<tr><th>statistic</th><th>preview</th><th>full</th><th>(preview &minus; full) / "
                     f"|full|</th></tr>\n{rows}\n</table>\n</section>\n")
    if report.charts:
        parts.append("<section id=\"charts\">\n<h2>Charts</h2>\n")
        for k, chart in enumerate(report.charts, 1):
            parts.append(f"<figure>\n<div id=\"chart-{k}\" class=\"chart\" data-chart=\"{_e(chart.key)}\"></div>\n"
                         f"<figcaption>{_e(chart.caption)}</figcaption>\n</figure>\n")
        parts.append("</section>\n")
    parts.append(f"<section id=\"timings\">\n<h2>Timings</h2>\n<table>\n{_entry_rows(report.timings)}\n</table>\n"
                 "<p><small>As recorded when the result was computed.</small></p>\n</section>\n")
    parts.append(f"<footer>Generated by LiveCalc Lab {_e(report.package_version)}.</footer>\n")
    if report.charts:
        calls = "\n".join(
            f"(function(){{var f={_script_json(c.figure)};Plotly.newPlot(\"chart-{k}\",f.data,f.layout,"
            f"{_script_json(_CONFIG)});}})();" for k, c in enumerate(report.charts, 1))
        parts.append(f"<script type=\"text/javascript\">\n{calls}\n</script>\n")
    parts.append("</body>\n</html>\n")
    return "".join(parts)


# ---- Markdown --------------------------------------------------------------------------------------------

_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*[]|<>&"})


def _m(value: Any) -> str:
    """Text safe in Markdown (and a table cell): one line; backslash before the characters that could
    start a link, code, emphasis, raw HTML or an entity, or end a cell (CommonMark escapes)."""
    return " ".join(str(value).translate(_MD_SPECIAL).split())


def _md_table(header: list[str], rows: list[list[str]], right: set[int] = frozenset()) -> str:
    align = ["---:" if k in right else "---" for k in range(len(header))]
    lines = ["| " + " | ".join(_m(h) for h in header) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(_m(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def render_markdown(report: Report) -> str:
    """The report as Markdown: the same tables; charts as small tables or a note."""
    out = [f"# {_m(report.title)}", "", _m(report.headline), "", "## Inputs and versions", "",
           _md_table(["input", "value"], [[label, _value_text(v, k)] for k, label, v in report.inputs]), "",
           "## Statistics", "",
           _md_table(["statistic", "value"], [[n, _stat_text(n, v)] for n, v in report.statistics], {1}), "",
           "Percentiles: nearest rank. CTE(a): mean of the worst (100 - a)% of per-scenario totals. "
           "TVOG: pv_net_cf on the certainty-equivalent scenario minus the mean over scenarios.", ""]
    if report.preview:
        out += ["## Preview", "", _md_table(["", "value"], [list(r) for r in report.preview]), ""]
    if report.comparison is not None:
        out += ["## Preview and full run", "", _m(report.comparison["verdict"]), "",
                _md_table(["statistic", "preview", "full", "(preview - full) / |full|"], report.comparison["rows"],
                          {1, 2, 3}), ""]
    out += ["## Charts", ""]
    for chart in report.charts:
        out += [f"### {_m(chart.title)}", "", _m(chart.caption), ""]
        if chart.rows:
            out += [_md_table(chart.header, chart.rows, set(range(len(chart.header)))), ""]
        else:
            out += [f"_Not drawn in Markdown: {_m(chart.note)} The HTML report draws it._", ""]
    out += ["## Timings", "", _md_table(["", "value"], [[label, _value_text(v, k)] for k, label, v in report.timings]),
            "", "As recorded when the result was computed.", "", "---", "",
            f"Generated by LiveCalc Lab {_m(report.package_version)}.", ""]
    return "\n".join(out)


# ---- entry points ----------------------------------------------------------------------------------------


def _write(text: str, path: str | os.PathLike[str] | None) -> str:
    if path is not None:
        from livecalc_lab.export import atomic_output

        with atomic_output(path) as tmp:
            tmp.write_text(text, encoding="utf-8")
    return text


def to_html(result: Any, path: str | os.PathLike[str] | None = None, **options: Any) -> str:
    """The HTML report of ``result`` (``options``: see :func:`build_report`); written atomically to ``path``."""
    return _write(render_html(build_report(result, **options)), path)


def to_markdown(result: Any, path: str | os.PathLike[str] | None = None, **options: Any) -> str:
    """The Markdown report of ``result`` (``options``: see :func:`build_report`); written atomically to ``path``."""
    return _write(render_markdown(build_report(result, **options)), path)

