/* Report charts: draws a Chart.js chart above every <table class="report-table" data-chart="line|bar">.
 *
 * Progressive enhancement: the table is the data and stays on the page (it is the accessible version); the chart
 * is drawn from it. The table's first column (<th scope="row">) gives the labels; the first column whose cells
 * carry data-value gives the numbers. An empty data-value is a suppressed small count ("<5"): no bar or point is
 * drawn for it, and the chart's text alternative says that some values are hidden.
 *
 * No inline script or style (CSP): the texts come translated in data-text-* attributes of this script's own tag
 * (templates/reports/_charts.html), the colours from the stylesheet's custom properties; Chart.js sizes the canvas
 * through the CSSOM, which the policy allows.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var texts = {
    bar: "Bar chart", line: "Line chart",
    summary: "{kind}, {count} values: highest {max} ({max_label}), lowest {min} ({min_label}).",
    hidden: "Values too small to show, not drawn: {hidden}.",
    table: "The numbers are in the table below.",
  };
  if (script) {
    Object.keys(texts).forEach(function (key) {
      var given = script.getAttribute("data-text-" + key);
      if (given) { texts[key] = given; }
    });
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (whole, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole;
    });
  }

  function cssVar(name, fallback) {
    var value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
    return value || fallback;
  }

  /* The table as {labels, values, column}: values[i] is a number, or null when the cell is suppressed. */
  function readTable(table) {
    var rows = Array.prototype.filter.call(table.querySelectorAll("tbody tr"), function (row) {
      return row.querySelector("th[scope=row]");
    });
    var column = -1;
    rows.some(function (row) {
      column = Array.prototype.findIndex.call(row.cells, function (cell) { return cell.hasAttribute("data-value"); });
      return column >= 0;
    });
    var labels = [], values = [], marks = [];
    if (column < 0) { return {labels: labels, values: values, marks: marks, column: column}; }
    rows.forEach(function (row) {
      var cell = row.cells[column];
      var raw = cell && cell.hasAttribute("data-value") ? cell.getAttribute("data-value").trim() : "";
      var number = raw === "" ? NaN : Number(raw);
      labels.push(row.querySelector("th[scope=row]").textContent.trim());
      values.push(isFinite(number) ? number : null);
      marks.push(isFinite(number) ? null : (cell ? cell.textContent.trim() : ""));
    });
    return {labels: labels, values: values, marks: marks, column: column};
  }

  function columnName(table, column) {
    var head = table.tHead && table.tHead.rows.length ? table.tHead.rows[table.tHead.rows.length - 1] : null;
    return head && head.cells[column] ? head.cells[column].textContent.trim() : "";
  }

  function summary(kind, data, format) {
    var shown = [];
    data.values.forEach(function (value, i) { if (value !== null) { shown.push(i); } });
    var hidden = data.values.length - shown.length;
    var parts = [];
    if (shown.length) {
      var max = shown[0], min = shown[0];
      shown.forEach(function (i) {
        if (data.values[i] > data.values[max]) { max = i; }
        if (data.values[i] < data.values[min]) { min = i; }
      });
      parts.push(fill(texts.summary, {
        kind: texts[kind], count: data.values.length,
        max: format.format(data.values[max]), max_label: data.labels[max],
        min: format.format(data.values[min]), min_label: data.labels[min],
      }));
    }
    if (hidden) { parts.push(fill(texts.hidden, {hidden: hidden})); }
    parts.push(texts.table);
    return parts.join(" ");
  }

  /* Writes the table's own text ("<5") where a suppressed value would be, so a missing bar does not read as 0. */
  function suppressedMarks(marks, color) {
    return {
      id: "suppressedMarks",
      afterDatasetsDraw: function (chart) {
        var horizontal = chart.options.indexAxis === "y";
        var index = horizontal ? chart.scales.y : chart.scales.x, value = horizontal ? chart.scales.x : chart.scales.y;
        var ctx = chart.ctx;
        ctx.save();
        ctx.fillStyle = color;
        ctx.font = "14px " + window.Chart.defaults.font.family;
        ctx.textAlign = horizontal ? "left" : "center";
        ctx.textBaseline = horizontal ? "middle" : "bottom";
        marks.forEach(function (text, i) {
          if (text === null) { return; }
          var at = index.getPixelForValue(i), base = value.getPixelForValue(0);
          if (horizontal) { ctx.fillText(text, base + 4, at); } else { ctx.fillText(text, at, base - 4); }
        });
        ctx.restore();
      },
    };
  }

  function draw(table) {
    if (table.getAttribute("data-chart-drawn") === "true") { return; }
    var kind = table.getAttribute("data-chart") === "line" ? "line" : "bar";
    var data = readTable(table);
    if (!data.values.some(function (value) { return value !== null; })) { return; }  // nothing to draw

    var title = table.getAttribute("data-chart-title") || (table.caption ? table.caption.textContent.trim() : "");
    var format = new Intl.NumberFormat(document.documentElement.lang || undefined);
    // Many or long labels read better as horizontal bars (municipalities, industries), most of all on a phone.
    var longest = data.labels.reduce(function (n, label) { return Math.max(n, label.length); }, 0);
    var horizontal = kind === "bar" && (data.labels.length > 8 || longest > 14);

    var figure = document.createElement("figure");
    figure.className = "report-chart report-chart-" + (horizontal ? "horizontal" : kind);
    var caption = document.createElement("figcaption");
    caption.textContent = title;
    var box = document.createElement("div");
    box.className = "report-chart-box";
    if (horizontal) {
      // Room for each bar: the height follows the number of rows (CSSOM, which the CSP allows).
      box.style.height = Math.max(12, 2 + data.labels.length * 1.75) + "rem";
    }
    var canvas = document.createElement("canvas");
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", (title ? title + ". " : "") + summary(kind, data, format));
    box.appendChild(canvas);
    figure.appendChild(caption);
    figure.appendChild(box);
    var anchor = table.parentElement && table.parentElement.classList.contains("table-wrap") ? table.parentElement : table;
    anchor.parentNode.insertBefore(figure, anchor);

    var ink = cssVar("--ink", "#1d2430"), line = cssVar("--line", "#d5dbe3"), brand = cssVar("--brand", "#0b5a8a");
    var reduce = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    var valueAxis = {beginAtZero: true, ticks: {color: ink, precision: 0}, grid: {color: line}};
    var labelAxis = {ticks: {color: ink, autoSkip: !horizontal}, grid: {display: false}};
    new window.Chart(canvas, {
      type: kind,
      plugins: [suppressedMarks(data.marks, cssVar("--muted", "#4a5565"))],
      data: {
        labels: data.labels,
        datasets: [{
          label: columnName(table, data.column) || title,
          data: data.values,
          backgroundColor: brand, borderColor: brand,
          borderWidth: kind === "line" ? 3 : 0, pointRadius: kind === "line" ? 4 : 0,
          spanGaps: false,  // a suppressed month is a gap, not a line drawn through it
        }],
      },
      options: {
        responsive: true, maintainAspectRatio: false, animation: reduce ? false : {duration: 400},
        indexAxis: horizontal ? "y" : "x",
        plugins: {
          legend: {display: false},
          tooltip: {callbacks: {label: function (item) { return format.format(item.parsed[horizontal ? "x" : "y"]); }}},
        },
        scales: horizontal ? {x: valueAxis, y: labelAxis} : {x: labelAxis, y: valueAxis},
      },
    });
    table.setAttribute("data-chart-drawn", "true");
  }

  function drawAll() {
    if (!window.Chart) { return; }  // the library did not load: the tables are still there
    window.Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    window.Chart.defaults.font.size = 14;
    window.Chart.defaults.color = cssVar("--ink", "#1d2430");
    Array.prototype.forEach.call(document.querySelectorAll("table.report-table[data-chart]"), draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
