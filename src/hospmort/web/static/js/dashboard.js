/* hospmort dashboard: charts (Plotly.js, served locally) and sortable tables. Selectors submit with their
   button (no change-triggered navigation, WCAG 3.2.2).
   No inline script or event handler anywhere: everything is attached here. */
(function () {
  "use strict";

  var COLOURS = { 1: "#d5281b", 2: "#005eb8", 3: "#007f3b" };
  var SYMBOLS = { 1: "triangle-up", 2: "circle", 3: "triangle-down" };
  var BAND_NAMES = { 1: "Higher than expected", 2: "As expected", 3: "Lower than expected" };
  var FONT = { family: "Arial, Helvetica, sans-serif", size: 14, color: "#212b32" };
  var fetches = {};

  function getJson(url) {
    if (!fetches[url]) {
      fetches[url] = fetch(url, { headers: { Accept: "application/json" } }).then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      });
    }
    return fetches[url];
  }

  function pick(data, path) {
    if (!path) { return data; }
    return path.split(".").reduce(function (value, key) { return value == null ? null : value[key]; }, data);
  }

  function number(value) { return typeof value === "number" ? value : null; }

  function message(element, text) {
    element.textContent = "";
    var p = document.createElement("p");
    p.className = "chart-message";
    p.textContent = text;
    element.appendChild(p);
    element.setAttribute("data-rendered", "message");
  }

  function funnelTraces(funnel) {
    var c = funnel.curves;
    var traces = [
      { x: c.x, y: c.upper_998, name: "99.8% limits", mode: "lines", line: { color: "#4c6272", width: 2 }, hoverinfo: "skip", legendgroup: "l998" },
      { x: c.x, y: c.lower_998, name: "99.8% lower", mode: "lines", line: { color: "#4c6272", width: 2 }, hoverinfo: "skip", showlegend: false, legendgroup: "l998" },
      { x: c.x, y: c.upper_95, name: "95% limits", mode: "lines", line: { color: "#768692", width: 2, dash: "dash" }, hoverinfo: "skip", legendgroup: "l95" },
      { x: c.x, y: c.lower_95, name: "95% lower", mode: "lines", line: { color: "#768692", width: 2, dash: "dash" }, hoverinfo: "skip", showlegend: false, legendgroup: "l95" },
      { x: [c.x[0], c.x[c.x.length - 1]], y: [funnel.target, funnel.target], name: "Target", mode: "lines", line: { color: "#212b32", width: 1 }, hoverinfo: "skip", showlegend: false }
    ];
    [1, 2, 3].forEach(function (band) {
      var points = funnel.points.filter(function (p) { return p.banding === band; });
      traces.push({
        x: points.map(function (p) { return p.expected; }),
        y: points.map(function (p) { return p.value; }),
        text: points.map(function (p) { return p.provider_name + " (" + p.provider_code + ")"; }),
        customdata: points.map(function (p) { return p.provider_code; }),
        name: BAND_NAMES[band], mode: "markers", type: "scatter",
        marker: { color: COLOURS[band], symbol: SYMBOLS[band], size: 10, line: { color: "#ffffff", width: 1 } },
        hovertemplate: "<b>%{text}</b><br>" + funnel.indicator + " %{y}<br>expected %{x:.1f}<br>" + BAND_NAMES[band] + "<extra></extra>"
      });
    });
    var selected = funnel.points.filter(function (p) { return p.provider_code === funnel.highlight; });
    if (selected.length) {
      traces.push({
        x: [selected[0].expected], y: [selected[0].value], text: [selected[0].provider_name], name: "Selected: " + selected[0].provider_name,
        mode: "markers+text", textposition: "top center", type: "scatter",
        marker: { color: "rgba(0,0,0,0)", size: 22, line: { color: "#212b32", width: 3 } },
        hovertemplate: "<b>%{text}</b><br>" + funnel.indicator + " %{y}<br>expected %{x:.1f}<extra>selected</extra>"
      });
    }
    return traces;
  }

  function drawFunnel(element, funnel) {
    if (!funnel) { message(element, "No data for this chart."); return null; }
    var layout = {
      font: FONT, margin: { t: 40, r: 16, b: 56, l: 64 }, title: { text: funnel.title, font: { size: 16 } },
      xaxis: { title: { text: "Expected deaths" }, type: "log", gridcolor: "#d8dde0" },
      yaxis: { title: { text: funnel.indicator }, gridcolor: "#d8dde0", zeroline: false },
      legend: { orientation: "h", y: -0.22 }, hovermode: "closest", paper_bgcolor: "#ffffff", plot_bgcolor: "#ffffff"
    };
    var values = funnel.points.map(function (p) { return p.value; });
    if (values.length) {
      var low = Math.min.apply(null, values.concat([funnel.target])), high = Math.max.apply(null, values.concat([funnel.target]));
      var pad = (high - low) * 0.25 + funnel.target * 0.1;
      layout.yaxis.range = [Math.max(0, low - pad), high + pad];  /* clip the curves, not the data */
    }
    return Plotly.newPlot(element, funnelTraces(funnel), layout, { responsive: true, displaylogo: false });
  }

  function drawTrend(element, table) {
    var rows = table.rows;
    if (!rows.length) { message(element, "No stored publication for this trust."); return null; }
    var x = rows.map(function (r) { return r.time_period; });
    function series(key) { return rows.map(function (r) { return number(r[key]); }); }
    var traces = [
      { x: x, y: series("shmi_od_ul_998"), name: "SHMI 99.8% limits", mode: "lines", line: { color: "#4c6272" }, xaxis: "x", yaxis: "y" },
      { x: x, y: series("shmi_od_ll_998"), showlegend: false, mode: "lines", line: { color: "#4c6272" }, xaxis: "x", yaxis: "y", hoverinfo: "skip" },
      { x: x, y: series("shmi_od_ul_95"), name: "SHMI 95% limits", mode: "lines", line: { color: "#768692", dash: "dash" }, xaxis: "x", yaxis: "y" },
      { x: x, y: series("shmi_od_ll_95"), showlegend: false, mode: "lines", line: { color: "#768692", dash: "dash" }, xaxis: "x", yaxis: "y", hoverinfo: "skip" },
      { x: x, y: series("shmi"), name: "SHMI", mode: "lines+markers", line: { color: "#005eb8", width: 3 }, marker: { size: 9 }, xaxis: "x", yaxis: "y" }
    ];
    var hasHsmr = rows.some(function (r) { return number(r.hsmr) !== null; });
    if (hasHsmr) {
      traces.push(
        { x: x, y: series("hsmr_ul_998"), name: "HSMR 99.8% interval", mode: "lines", line: { color: "#4c6272" }, xaxis: "x2", yaxis: "y2" },
        { x: x, y: series("hsmr_ll_998"), showlegend: false, mode: "lines", line: { color: "#4c6272" }, xaxis: "x2", yaxis: "y2", hoverinfo: "skip" },
        { x: x, y: series("hsmr"), name: "HSMR", mode: "lines+markers", line: { color: "#330072", width: 3 }, marker: { size: 9 }, xaxis: "x2", yaxis: "y2" }
      );
    }
    var layout = {
      font: FONT, margin: { t: 24, r: 16, b: 64, l: 64 }, legend: { orientation: "h", y: -0.2 },
      grid: { rows: 1, columns: hasHsmr ? 2 : 1, pattern: "independent" },
      xaxis: { type: "category", title: { text: "Publication" } }, yaxis: { title: { text: "SHMI" }, gridcolor: "#d8dde0" },
      xaxis2: { type: "category", title: { text: "Publication" } }, yaxis2: { title: { text: "HSMR" }, gridcolor: "#d8dde0" },
      paper_bgcolor: "#ffffff", plot_bgcolor: "#ffffff"
    };
    return Plotly.newPlot(element, traces, layout, { responsive: true, displaylogo: false });
  }

  function drawGap(element, table) {
    var rows = table.rows.filter(function (r) { return r.step.indexOf("C_") === 0 || r.step === "GAP"; });
    if (!rows.length || rows.every(function (r) { return number(r.value) === null; })) {
      message(element, "The decomposition is shown only when the trust is eligible for both indicators."); return null;
    }
    var trace = { type: "bar", x: rows.map(function (r) { return r.label; }), y: rows.map(function (r) { return number(r.value); }),
      marker: { color: rows.map(function (r) { return r.step === "GAP" ? "#212b32" : "#005eb8"; }) } };
    return Plotly.newPlot(element, [trace], { font: FONT, margin: { t: 24, r: 16, b: 120, l: 64 },
      yaxis: { title: { text: "Points of HSMR − 100 × SHMI" } }, paper_bgcolor: "#ffffff", plot_bgcolor: "#ffffff" },
      { responsive: true, displaylogo: false });
  }

  function drawVlad(element, chart) {
    if (!chart || !chart.available) { message(element, "No VLAD chart for this publication."); return null; }
    var traces = [
      { x: chart.dates, y: chart.vlad, name: "VLAD (expected − observed deaths)", mode: "lines", line: { color: "#005eb8", width: 2 } }
    ];
    if (chart.vlad_a.some(function (v) { return v !== null; })) {
      traces.push({ x: chart.dates, y: chart.vlad_a, name: "Deterioration line", mode: "lines", line: { color: "#d5281b", dash: "dot" } });
      traces.push({ x: chart.dates, y: chart.vlad_b, name: "Improvement line", mode: "lines", line: { color: "#007f3b", dash: "dot" } });
    }
    var byDate = {};
    chart.dates.forEach(function (d, i) { byDate[d] = chart.vlad[i]; });
    ["UP", "DOWN"].forEach(function (kind) {
      var signals = chart.signals.filter(function (s) { return s.chart === kind; });
      if (!signals.length) { return; }
      traces.push({ x: signals.map(function (s) { return s.date; }), y: signals.map(function (s) { return byDate[s.date]; }),
        text: signals.map(function (s) { return "unit " + s.unit; }), mode: "markers",
        name: kind === "UP" ? "CUSUM signal: higher mortality" : "CUSUM signal: lower mortality",
        marker: { color: kind === "UP" ? "#d5281b" : "#007f3b", symbol: kind === "UP" ? "triangle-down" : "triangle-up", size: 11 } });
    });
    return Plotly.newPlot(element, traces, { font: FONT, margin: { t: 24, r: 16, b: 64, l: 64 }, legend: { orientation: "h", y: -0.2 },
      xaxis: { type: "date", dtick: "M1", tickformat: "%b %Y" }, yaxis: { title: { text: "Statistical lives gained" } },
      paper_bgcolor: "#ffffff", plot_bgcolor: "#ffffff" }, { responsive: true, displaylogo: false });
  }

  var DRAW = { funnel: drawFunnel, trend: drawTrend, gap: drawGap, vlad: drawVlad };

  function renderChart(element) {
    if (typeof Plotly === "undefined") { message(element, "Charts need JavaScript; the table gives the same figures."); return; }
    getJson(element.getAttribute("data-src")).then(function (data) {
      var drawn = DRAW[element.getAttribute("data-chart")](element, pick(data, element.getAttribute("data-key")));
      if (drawn && drawn.then) {
        drawn.then(function () { element.setAttribute("data-rendered", "true"); });
      }
    }).catch(function (error) { message(element, "The chart could not be drawn (" + error.message + ")."); });
  }

  function sortTable(button) {
    var th = button.closest("th"), table = button.closest("table"), body = table.tBodies[0];
    var index = Array.prototype.indexOf.call(th.parentNode.children, th);
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    Array.prototype.forEach.call(th.parentNode.children, function (cell) { cell.setAttribute("aria-sort", "none"); });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var ca = a.cells[index], cb = b.cells[index];
      if (!ca || !cb) { return 0; }
      var sa = ca.getAttribute("data-sort"), sb = cb.getAttribute("data-sort");
      var na = parseFloat(sa), nb = parseFloat(sb);
      var result;
      if (!isNaN(na) && !isNaN(nb)) { result = na - nb; }
      else if (!isNaN(na)) { return -1; }
      else if (!isNaN(nb)) { return 1; }
      else { result = (sa || ca.textContent).localeCompare(sb || cb.textContent); }
      return ascending ? result : -result;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("table.sortable .sort-button"), function (button) {
      button.addEventListener("click", function () { sortTable(button); });
    });
    var highlight = new URLSearchParams(window.location.search).get("trust");
    if (highlight) {
      Array.prototype.forEach.call(document.querySelectorAll("tr[data-provider='" + highlight.replace(/[^A-Za-z0-9]/g, "") + "']"),
        function (row) { row.classList.add("highlighted"); });
    }
    Array.prototype.forEach.call(document.querySelectorAll(".chart[data-src]"), renderChart);
  });
}());
