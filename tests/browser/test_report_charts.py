"""Report charts (static/js/charts.js over the vendored Chart.js): a page with two report tables, one a line chart
with a suppressed month and one a bar chart with many municipalities, served by the real app (its CSP included)
from a route this test adds. Each table gets a drawn chart whose data are the table's numbers, suppressed cells
left out; no CSP violation; axe finds nothing; with reduced motion the charts do not animate."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import render_template_string, request
from tests.live_server import serving

from courseware import create_app

PAGE = """{% extends "base.html" %}
{% from "reports/_charts.html" import chart_styles, chart_scripts with context %}
{% block title %}Diagrammer{% endblock %}
{% block head %}{{ chart_styles() }}{% endblock %}
{% block content %}
<h1>Diagrammer</h1>
<h2 id="over-time">Fullføringer per måned</h2>
<div class="table-wrap">
<table class="data report-table" id="months" data-chart="line" data-chart-title="Fullføringer per måned">
  <thead><tr><th scope="col">Måned</th><th scope="col">Fullføringer</th><th scope="col">Timer</th></tr></thead>
  <tbody>
  {% for label, value in months %}
    <tr><th scope="row">{{ label }}</th>
      <td data-value="{{ '' if value is none else value }}">{{ '<5' if value is none else value }}</td>
      <td data-value="99">99</td></tr>
  {% endfor %}
  </tbody>
</table>
</div>
<h2>Per kommune</h2>
<table class="data report-table" id="places" data-chart="bar" data-chart-title="Fullføringer per kommune">
  <thead><tr><th scope="col">Kommune</th><th scope="col">Kommunenummer</th><th scope="col">Fullføringer</th></tr></thead>
  <tbody>
  {% for label, value in places %}
    <tr><th scope="row">{{ label }}</th><td>50{{ loop.index }}</td>
      <td data-value="{{ '' if value is none else value }}">{{ '<5' if value is none else value }}</td></tr>
  {% endfor %}
  </tbody>
</table>
{% endblock %}
{% block scripts %}{% if custom %}
<script src="{{ url_for('static', filename='vendor/chartjs/chart.umd.min.js') }}" defer></script>
<script src="{{ url_for('static', filename='js/charts.js') }}" defer data-text-line="Linjediagram"
  data-text-hidden="Skjult: {hidden}." data-text-table="Tallene står i tabellen."></script>
{% else %}{{ chart_scripts() }}{% endif %}{% endblock %}
"""
MONTHS = [("2026-01", 12), ("2026-02", None), ("2026-03", 7), ("2026-04", 0), ("2026-05", 31)]
PLACES = [("Trondheim", 120), ("Steinkjer", 40), ("Røros", None), ("Frøya", 9), ("Hitra", 15), ("Oppdal", None),
          ("Malvik", 22), ("Stjørdal", 64), ("Levanger", 38), ("Orkland", 17)]
CSP_WATCH = """window.__csp = [];
document.addEventListener("securitypolicyviolation", e => window.__csp.push(e.violatedDirective + " " + e.blockedURI));"""
axe = Axe()


@pytest.fixture(scope="module")
def chart_server(database_url, tmp_path_factory):
    from tests.conftest import _test_config

    app = create_app(_test_config(database_url, tmp_path_factory.mktemp("charts")))

    @app.route("/test-only/charts")
    def chart_page():
        from flask_babel import force_locale

        with force_locale("en"):  # the texts below are asserted in English (their translations are the catalogues')
            return render_template_string(PAGE, months=MONTHS, places=PLACES, custom="custom" in request.args)

    with serving(app, threads=4) as server:
        yield f"http://127.0.0.1:{server.effective_port}/test-only/charts"


def open_page(browser, url, **context_args):
    context = browser.new_context(locale="nb-NO", **context_args)
    page = context.new_page()
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.add_init_script(CSP_WATCH)
    response = page.goto(url)
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_function("document.querySelectorAll('table[data-chart-drawn=true]').length === 2")
    return context, page, errors


def chart_data(page, table_id):
    return page.evaluate("""id => {
        const table = document.getElementById(id);
        const anchor = table.parentElement.classList.contains('table-wrap') ? table.parentElement : table;
        const figure = anchor.previousElementSibling;
        const canvas = figure.querySelector('canvas');
        const chart = Chart.getChart(canvas);
        return {tag: figure.tagName, caption: figure.querySelector('figcaption').textContent,
                role: canvas.getAttribute('role'), label: canvas.getAttribute('aria-label'),
                type: chart.config.type, axis: chart.options.indexAxis, animation: chart.options.animation,
                labels: chart.data.labels, data: chart.data.datasets[0].data,
                // a point is drawn unless skipped; a bar has a length (the data here has no zero bar)
                drawn: chart.getDatasetMeta(0).data.map(el => chart.config.type === 'line' ? !el.skip
                    : Math.abs(el.base - (chart.options.indexAxis === 'y' ? el.x : el.y)) > 0),
                width: canvas.width, height: canvas.height, visible: document.getElementById(id).checkVisibility()};
    }""", table_id)


@pytest.mark.parametrize("viewport", [{"width": 390, "height": 844}, {"width": 1366, "height": 900}])
def test_each_table_gets_a_chart_of_its_numbers(browser, chart_server, viewport):
    context, page, errors = open_page(browser, chart_server, viewport=viewport)
    try:
        months = chart_data(page, "months")
        assert months["tag"] == "FIGURE" and months["caption"] == "Fullføringer per måned"
        assert months["type"] == "line" and months["role"] == "img"
        assert months["labels"] == [label for label, _ in MONTHS]
        assert months["data"] == [value for _, value in MONTHS]  # the first numeric column; None = not drawn
        assert months["drawn"] == [value is not None for _, value in MONTHS]
        assert "not drawn: 1." in months["label"]
        assert "31 (2026-05)" in months["label"] and "0 (2026-04)" in months["label"]

        places = chart_data(page, "places")
        assert places["type"] == "bar" and places["axis"] == "y"  # ten municipalities: horizontal bars
        assert places["labels"] == [label for label, _ in PLACES]
        assert places["data"] == [value for _, value in PLACES]  # the column with data-value, not the code
        assert places["drawn"] == [value is not None for _, value in PLACES]
        assert "120 (Trondheim)" in places["label"] and "9 (Frøya)" in places["label"]
        assert "not drawn: 2." in places["label"]
        for chart in (months, places):
            assert chart["width"] > 100 and chart["height"] > 100 and chart["visible"]  # the table stays

        results = axe.run(page)
        assert not results.response["violations"], [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
                                                    for v in results.response["violations"]]
        assert page.evaluate("window.__csp") == []
        assert errors == []
    finally:
        context.close()


def test_the_text_alternative_summarises_the_chart(browser, chart_server):
    context, page, errors = open_page(browser, chart_server)
    try:
        # the template's texts (translated there) replace the script's defaults; msgids are English until the
        # lead translates them, so the nb page reads the same as the defaults
        assert chart_data(page, "months")["label"] == (
            "Fullføringer per måned. Line chart, 5 values: highest 31 (2026-05), lowest 0 (2026-04). "
            "Values too small to show, not drawn: 1. The numbers are in the table below.")
    finally:
        context.close()
    # the texts come from the script tag's data attributes (where the template puts the translations)
    context, page, errors = open_page(browser, chart_server + "?custom")
    try:
        assert chart_data(page, "months")["label"] == (
            "Fullføringer per måned. Linjediagram, 5 values: highest 31 (2026-05), lowest 0 (2026-04). "
            "Skjult: 1. Tallene står i tabellen.")
        assert page.evaluate("window.__csp") == [] and errors == []
    finally:
        context.close()


def test_reduced_motion_draws_without_animation(browser, chart_server):
    context, page, errors = open_page(browser, chart_server, reduced_motion="reduce")
    try:
        assert chart_data(page, "months")["animation"] is False
        assert chart_data(page, "places")["animation"] is False
        assert page.evaluate("window.__csp") == [] and errors == []
    finally:
        context.close()
    context, page, errors = open_page(browser, chart_server, reduced_motion="no-preference")
    try:
        assert chart_data(page, "months")["animation"] is not False
    finally:
        context.close()
