/* The indicator explorer's charts (templates/indicators/_explore_results.html).
 *
 * The page carries its data as JSON text in <template id="explorer-data"> (no inline code: the CSP forbids it;
 * and not in a <script type="application/json">, because htmx, configured with allowScriptTags: false, removes
 * every <script> element from swapped content). This file is loaded on every page but does nothing without that element; Chart.js itself
 * (static/vendor/chartjs) is loaded only when a page needs it. After each htmx swap (once settled) the charts are drawn again
 * and the instances of canvases that left the page are destroyed.
 */
(function () {
  "use strict";

  var PALETTE = ["#1f6f8b", "#d35400", "#2e7d4f", "#8e44ad", "#c0392b", "#2c3e50", "#b7950b", "#16a085",
    "#7f8c8d", "#e67e22", "#2980b9", "#6d4c41"];
  var TONES = {better: "#2e7d4f", worse: "#c0392b", equal: "#7f8c8d", neutral: "#1f6f8b"};
  var loading = null;

  function loadChartJs(src) {
    if (window.Chart) return Promise.resolve();
    if (!loading) {
      loading = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = src;
        script.onload = resolve;
        script.onerror = function () { loading = null; reject(new Error("Chart.js did not load: " + src)); };
        document.head.appendChild(script);
      });
    }
    return loading;
  }

  function fontsReady() {
    if (!document.fonts || !document.fonts.load) return Promise.resolve();
    return Promise.all([document.fonts.load("12px Vazirmatn"), document.fonts.load("bold 12px Vazirmatn")])
      .catch(function () { return null; });
  }

  function destroyDetached() {
    Object.values(window.Chart.instances).forEach(function (chart) {
      if (!chart.canvas || !chart.canvas.isConnected) chart.destroy();
    });
  }

  function draw(canvas, config) {
    if (!canvas) return;
    var old = window.Chart.getChart(canvas);
    if (old) old.destroy();
    new window.Chart(canvas, config);
  }

  function setup(data) {
    var fa = data.locale !== "en";
    var numbers = new Intl.NumberFormat(fa ? "fa-IR" : "en-US", {maximumFractionDigits: 2});
    // Axis ticks of large values in short form (۸۶ میلیون, 86M): narrow screens keep room for the plot.
    var compact = new Intl.NumberFormat(fa ? "fa-IR" : "en-US", {notation: "compact", maximumSignificantDigits: 3});
    var reduced = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    var Chart = window.Chart;
    Chart.defaults.font.family = "Vazirmatn, Tahoma, sans-serif";
    Chart.defaults.font.size = 12;
    Chart.defaults.color = "#1d2733";
    var direction = fa ? "rtl" : "ltr";

    function format(value) {
      return value === null || value === undefined ? "—" : numbers.format(value);
    }

    function options(unit, horizontal) {
      return {
        responsive: true,
        maintainAspectRatio: false,
        locale: fa ? "fa-IR" : "en-US",
        animation: reduced ? false : {duration: 300},
        indexAxis: horizontal ? "y" : "x",
        plugins: {
          legend: {rtl: fa, textDirection: direction, position: "bottom", labels: {boxWidth: 12}},
          tooltip: {
            rtl: fa,
            textDirection: direction,
            callbacks: {
              label: function (context) {
                var value = horizontal ? context.parsed.x : context.parsed.y;
                var name = context.dataset.label ? context.dataset.label + ": " : "";
                return name + format(value) + " " + unit;
              }
            }
          }
        },
        scales: {}
      };
    }

    function valueAxis(position, extra) {
      return Object.assign({position: position, ticks: {callback: function (value, index, ticks) {
        // Short form only where it keeps every tick distinct (a narrow range needs the full numbers).
        var short = ticks.map(function (tick) { return compact.format(tick.value); });
        var distinct = new Set(short).size === short.length;
        return distinct && Math.abs(value) >= 10000 ? short[index] : format(value);
      }}},
        extra || {});
    }

    function line(label, values, color, axis) {
      return {label: label, data: values, borderColor: color, backgroundColor: color, yAxisID: axis || "y",
        tension: 0.2, pointRadius: 3, spanGaps: false};
    }

    data.indicators.forEach(function (indicator) {
      var start = fa ? "right" : "left";
      var end = fa ? "left" : "right";
      var unit = indicator.unit;

      // (a) the chosen regions over the years; the nation on its own axis when its scale is another.
      // Time runs the way the page reads (right to left in Persian), like the table's columns.
      var series = options(unit, false);
      series.scales.x = {reverse: fa};
      series.scales.y = valueAxis(start);
      if (indicator.series.some(function (s) { return s.axis === "y2"; })) {
        series.scales.y2 = valueAxis(end, {grid: {drawOnChartArea: false}});
      }
      draw(document.getElementById("chart-series-" + indicator.id), {
        type: "line",
        data: {
          labels: indicator.yearLabels,
          datasets: indicator.series.map(function (s, i) {
            return line(s.name, s.values, PALETTE[i % PALETTE.length], s.axis);
          })
        },
        options: series
      });

      // (b) counties side by side in one year.
      var compare = options(unit, false);
      compare.scales.x = {reverse: fa};
      compare.scales.y = valueAxis(start, {beginAtZero: true});
      compare.plugins.legend.display = false;
      draw(document.getElementById("chart-compare-" + indicator.id), {
        type: "bar",
        data: {
          labels: indicator.compare.names,
          datasets: [{label: indicator.compare.yearLabel, data: indicator.compare.values,
            backgroundColor: PALETTE[0], maxBarThickness: 40}]
        },
        options: compare
      });

      // (c) the province and the nation: two axes when their magnitudes differ, else one shared axis.
      var national = options(unit, false);
      national.scales.x = {reverse: fa};
      national.scales.y = valueAxis(start);
      var nationAxis = "y";
      if (indicator.national.twoAxes) {
        national.scales.y2 = valueAxis(end, {grid: {drawOnChartArea: false}});
        nationAxis = "y2";
      }
      draw(document.getElementById("chart-national-" + indicator.id), {
        type: "line",
        data: {
          labels: indicator.yearLabels,
          datasets: [line(indicator.national.provinceName, indicator.national.province, PALETTE[0], "y"),
            line(indicator.national.nationName, indicator.national.nation, PALETTE[1], nationAxis)]
        },
        options: national
      });

      // (d) every county, best first, coloured by how it compares with the province.
      var ranked = options(unit, true);
      ranked.scales.x = valueAxis("bottom", {beginAtZero: true, reverse: fa});
      ranked.scales.y = {position: start, ticks: {autoSkip: false}};
      ranked.plugins.legend.display = false;
      draw(document.getElementById("chart-ranked-" + indicator.id), {
        type: "bar",
        data: {
          labels: indicator.ranked.names.map(function (name, i) {
            return numbers.format(indicator.ranked.ranks[i]) + ". " + name;
          }),
          datasets: [{label: data.labels.value, data: indicator.ranked.values, maxBarThickness: 22,
            backgroundColor: indicator.ranked.tones.map(function (tone) { return TONES[tone] || TONES.neutral; })}]
        },
        options: ranked
      });
    });
  }

  // Drawn on the first load and whenever htmx has settled new content; each data element only once.
  var drawn = new WeakSet();

  function init() {
    var element = document.getElementById("explorer-data");
    if (!element || drawn.has(element)) return;
    drawn.add(element);
    var data = JSON.parse(element.content.textContent);
    var results = element.closest("#explore-results");
    loadChartJs(element.dataset.chartjs).then(fontsReady).then(function () {
      if (!element.isConnected) return;  // replaced by a newer swap meanwhile
      destroyDetached();
      setup(data);
      if (results) results.dataset.charts = "ready";
    }).catch(function (error) {
      if (results) results.dataset.charts = "failed";
      throw error;
    });
  }

  // Before htmx replaces the results, their charts are destroyed and the canvases stripped of the size Chart.js
  // gave them: htmx settles the new element of the same id with the old one's style, width and height, and copying
  // a style attribute is an inline style the CSP blocks.
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (!window.Chart || !target || !event.detail.shouldSwap) return;
    Object.values(window.Chart.instances).forEach(function (chart) {
      var canvas = chart.canvas;
      if (canvas && target.contains(canvas)) {
        chart.destroy();
        ["style", "width", "height"].forEach(function (name) { canvas.removeAttribute(name); });
      }
    });
  });
  document.body.addEventListener("htmx:afterSettle", init);
  document.body.addEventListener("htmx:historyRestore", init);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
