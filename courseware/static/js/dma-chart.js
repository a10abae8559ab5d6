/* Digital maturity chart: grouped bars (earlier assessment beside the latest) drawn from the result table.
 *
 * The table (templates/firm/_maturity.html, class dma-table) is the data and stays on the page as the accessible
 * version: the first column (<th scope="row">) gives the dimensions, each header cell with data-series one set of
 * bars, read from the cells' data-value. No inline script or style (CSP): texts come in data-text-* attributes.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var texts = {summary: "Grouped bar chart.", table: "The numbers are in the table below."};
  if (script) {
    Object.keys(texts).forEach(function (key) {
      var given = script.getAttribute("data-text-" + key);
      if (given) { texts[key] = given; }
    });
  }

  function cssVar(name, fallback) {
    var value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
    return value || fallback;
  }

  /* A long dimension name as lines of at most `width` characters, so a phone shows it whole beside its bars. */
  function wrap(label, width) {
    var lines = [], line = "";
    label.split(/\s+/).forEach(function (word) {
      if (line && (line + " " + word).length > width) { lines.push(line); line = word; }
      else { line = line ? line + " " + word : word; }
    });
    if (line) { lines.push(line); }
    return lines.length > 1 ? lines : label;
  }

  function draw(table) {
    var head = table.tHead.rows[0];
    var series = [];
    Array.prototype.forEach.call(head.cells, function (cell, index) {
      if (cell.hasAttribute("data-series")) { series.push({index: index, label: cell.textContent.trim()}); }
    });
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    var narrow = window.matchMedia && window.matchMedia("(max-width: 40rem)").matches;
    var labels = rows.map(function (row) { return wrap(row.cells[0].textContent.trim(), narrow ? 14 : 28); });
    var colours = [cssVar("--muted", "#4a5565"), cssVar("--brand", "#0b5a8a")];
    var datasets = series.map(function (s, i) {
      var colour = series.length === 1 ? colours[1] : colours[i % colours.length];
      return {
        label: s.label,
        data: rows.map(function (row) {
          var raw = row.cells[s.index].getAttribute("data-value");
          return raw === "" || raw === null ? null : Number(raw);
        }),
        backgroundColor: colour, borderColor: colour, borderWidth: 0,
      };
    });
    var title = table.getAttribute("data-chart-title") || "";
    var figure = document.createElement("figure");
    figure.className = "report-chart report-chart-horizontal";
    var caption = document.createElement("figcaption");
    caption.textContent = title;
    var box = document.createElement("div");
    box.className = "report-chart-box";
    box.style.height = Math.max(14, 3 + labels.length * series.length * 1.6) + "rem";
    var canvas = document.createElement("canvas");
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", title + ". " + texts.summary + " " + texts.table);
    box.appendChild(canvas);
    figure.appendChild(caption);
    figure.appendChild(box);
    var anchor = table.parentElement && table.parentElement.classList.contains("table-wrap") ? table.parentElement : table;
    anchor.parentNode.insertBefore(figure, anchor);
    var ink = cssVar("--ink", "#1d2430"), line = cssVar("--line", "#d5dbe3");
    var reduce = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    new window.Chart(canvas, {
      type: "bar",
      data: {labels: labels, datasets: datasets},
      options: {
        responsive: true, maintainAspectRatio: false, animation: reduce ? false : {duration: 400},
        indexAxis: "y",
        plugins: {legend: {display: series.length > 1, labels: {color: ink}}},
        scales: {
          x: {min: 0, max: 100, ticks: {color: ink}, grid: {color: line}},
          y: {ticks: {color: ink, autoSkip: false}, grid: {display: false}},
        },
      },
    });
    table.setAttribute("data-chart-drawn", "true");
  }

  function drawAll() {
    if (!window.Chart) { return; }
    window.Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    window.Chart.defaults.font.size = 14;
    Array.prototype.forEach.call(document.querySelectorAll("table.dma-table[data-dma-chart]"), draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
