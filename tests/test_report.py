"""Valuation reports: contents, determinism, escaping, and HTML that renders its charts with no network."""

from __future__ import annotations

import dataclasses
import json
import re
from html.parser import HTMLParser

import pytest

import livecalc_lab as lc
from livecalc_lab import report
from livecalc_lab.preview import compare

from _browser import CHROMIUM, launch

HOSTILE = '<script>alert("x")</script> & "quoted" | pipe'


@pytest.fixture(scope="module")
def stochastic():
    return lc.run(scenarios=lc.hull_white(n=60, seed=7), cashflows=True)


@pytest.fixture(scope="module")
def savings():
    return lc.run(product="savings_ex4", scenarios=lc.hull_white(n=16, seed=2))


@pytest.fixture(scope="module")
def with_preview(tmp_path_factory):
    """``(preview, full result, comparison)`` of a 2,000-policy book."""
    book = lc.synthetic_portfolio(2_000, seed=3, out=tmp_path_factory.mktemp("book") / "book.parquet")
    spec = lc.hull_white(n=25, seed=1)
    p = lc.preview(book, scenarios=spec, n=500, sample_seed=9)
    full = lc.run(book, scenarios=spec)
    return p, full, compare(p, full)


class _Tags(HTMLParser):
    """Every start tag with its attributes, and the text of <script> elements."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts.append(data)


def parse(text: str) -> _Tags:
    p = _Tags()
    p.feed(text)
    return p


def test_html_shows_inputs_versions_statistics_and_timings(stochastic):
    text = stochastic.to_html()
    for value in (stochastic.data_version, stochastic.assumptions_version, stochastic.scenarios_version,
                  stochastic.engine_version, f"livecalc-lab {lc.__version__}"):
        assert value in text
    assert "&quot;seed&quot;: 7" in text
    assert f'>Engine ABI version</th><td class="val">{stochastic.abi_version}</td>' in text
    stats = stochastic.statistics
    for key, value in [("mean", stats.mean), ("p95", stats.percentiles["p95"]), ("cte95", stats.cte["cte95"]),
                       ("pv_net_cf_ce", stochastic.pv_net_cf_ce), ("tvog", stochastic.tvog)]:
        # the shown value (to the cent) and the exact double, in the cell's title
        assert f'<th scope="row">{key}</th><td class="num" title="{value!r}">{value:,.2f}</td>' in text
    assert f'title="{stochastic.elapsed_seconds!r}">{stochastic.elapsed_seconds:.3f}</td>' in text
    charts = [t for t, a in parse(text).tags if t == "div" and "chart" in (a.get("class") or "")]
    assert len(charts) == 3 and text.count("Plotly.newPlot(") == 3


def test_savings_report_shows_the_guarantee_cost(savings):
    text = savings.to_markdown()
    assert f"| guarantee_cost | {savings.guarantee_cost:,.2f} |" in text
    assert f"guarantee cost {savings.guarantee_cost:,.2f}" in text


def test_savings_cashflows_are_charted_without_a_bel():
    result = lc.run(product="savings_ex4", cashflows=True)
    assert "bel" not in result.cashflows.columns
    md = result.to_markdown()
    table = md.split("### Net cashflow\n")[1].split("## Timings")[0]
    assert "| projection year | net_cf in the year |\n" in table
    years = [line for line in table.splitlines() if line.startswith("| ") and line[2].isdigit()]
    assert len(years) == -(-result.cashflows.height // 12)
    fig = report.cashflow_figure(result).to_dict()
    assert [t["name"] for t in fig["data"]] == ["net_cf"]


def test_deterministic_report_has_no_distribution(tmp_path):
    result = lc.run()
    text = result.to_markdown()
    assert "pv_net_cf 14,489,630.53 (deterministic valuation of 10,000 model points)." in text
    assert "Distribution" not in text and "| n |" not in text
    assert "none (deterministic valuation)" in text
    assert result.to_html().count("Plotly.newPlot(") == 1


def test_report_is_a_function_of_the_result_and_survives_filing(stochastic, tmp_path):
    first = stochastic.to_html(tmp_path / "a.html")
    assert stochastic.to_html() == first
    assert (tmp_path / "a.html").read_text(encoding="utf-8") == first
    back = lc.load_result(stochastic.save(tmp_path / "r.parquet"))
    assert back.to_html() == first and back.to_markdown() == stochastic.to_markdown()


def test_html_loads_nothing_from_the_network(stochastic):
    tags = parse(stochastic.to_html())
    for tag, attrs in tags.tags:
        assert "src" not in attrs and (tag != "link"), (tag, attrs)
        assert not (attrs.get("href") or "").startswith(("http", "//")), attrs
    scripts = [t for t, _ in tags.tags if t == "script"]
    assert len(scripts) == 2  # plotly.js (once) and the figures
    assert "plotly.js" not in tags.scripts[1]  # the second holds only figure data


def test_user_strings_are_escaped(stochastic, tmp_path):
    hostile = dataclasses.replace(stochastic, source=HOSTILE, data_version=HOSTILE)
    text = hostile.to_html(title=HOSTILE, extra={"note": HOSTILE})
    assert "<script>alert" not in text
    assert text.count("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &quot;quoted&quot;") == 5
    tags = parse(text)
    assert [t for t, _ in tags.tags if t == "script"] == ["script", "script"]
    md = hostile.to_markdown(title=HOSTILE, extra={"note": HOSTILE})
    assert "<script>" not in md
    assert '\\<script\\>alert("x")\\</script\\> \\& "quoted" \\| pipe' in md
    row = [line for line in md.splitlines() if line.startswith("| Note |")][0]
    assert row.count(" | ") == 1  # the pipe is escaped, the row keeps two cells


def test_figure_json_cannot_close_the_script(stochastic):
    fig = report.distribution_figure(stochastic).to_dict()
    fig["layout"]["title"]["text"] = "</script><script>alert(1)</script>"
    out = report._script_json(fig)
    assert "</script>" not in out and "<" not in out
    assert json.loads(out)["layout"]["title"]["text"] == "</script><script>alert(1)</script>"


def test_preview_and_comparison_sections(with_preview):
    p, full, cmp = with_preview
    md = p.to_markdown(comparison=cmp)
    lo, hi = p.ci95
    assert f"| 95% interval of pv_net_cf | {lo:,.2f} to {hi:,.2f} |" in md
    assert "Preview from a 500-policy sample of 2,000" in md
    assert (f"The full pv_net_cf {full.pv_net_cf:,.2f} fell {'inside' if cmp.inside else 'OUTSIDE'} the "
            "preview's 95% interval") in md
    rel = cmp.table.filter(statistic="pv_net_cf")["rel_diff"][0]
    assert f"| pv_net_cf | {p.pv_net_cf:,.2f} | {full.pv_net_cf:,.2f} | {rel:+.4%} |" in md
    filed = dataclasses.replace(full, comparison=cmp)  # a comparison filed with the result is reported
    assert "## Preview and full run" in filed.to_markdown() and "## Preview\n" not in filed.to_markdown()


def test_markdown_draws_the_distribution_as_a_table(stochastic):
    md = stochastic.to_markdown()
    section = md.split("### Distribution of pv_net_cf over scenarios")[1].split("###")[0]
    counts = [int(line.rsplit("|", 2)[1].strip().replace(",", "")) for line in section.splitlines()
              if re.match(r"\| [\d,.-]+ \|", line)]
    assert sum(counts) == 60 and len(counts) == 10  # sqrt(60) rounds to 8, within 10..40
    assert "_Not drawn in Markdown: The values are in the statistics table." in md
    assert "| 1 | " in md.split("### Net cashflow and best-estimate liability")[1]


def test_distribution_figure_marks_mean_percentiles_and_cte(stochastic):
    fig = report.distribution_figure(stochastic).to_dict()
    marks = {a["text"]: a["x"] for a in fig["layout"]["annotations"]}
    s = stochastic.statistics
    assert marks == {"CTE95": s.cte["cte95"], "P5": s.percentiles["p5"], "mean": s.mean, "P95": s.percentiles["p95"]}
    assert sum(fig["data"][0]["y"]) == s.n
    with pytest.raises(ValueError, match="deterministic valuation has no distribution"):
        report.distribution_figure(lc.run())


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (the README's test command installs it)")
def test_chromium_draws_every_chart_offline(stochastic, tmp_path):
    playwright = pytest.importorskip("playwright.sync_api")
    path = tmp_path / "report.html"
    stochastic.to_html(path)
    requested, errors = [], []
    with playwright.sync_playwright() as pw:
        browser = launch(pw)
        try:
            context = browser.new_context()
            context.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:")
                          else (requested.append(route.request.url), route.abort()))
            page = context.new_page()
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(path.as_uri())
            page.wait_for_function("document.querySelectorAll('.chart .main-svg').length >= 3", timeout=30_000)
            bars = page.evaluate("document.querySelectorAll('#chart-1 .bars path').length")
        finally:
            browser.close()
    assert requested == [] and errors == []
    assert bars == sum(1 for c in report.histogram(stochastic.per_scenario["pv_net_cf"])[1] if c > 0)
