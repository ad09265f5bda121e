/* The scoring round's charts on the results page (templates/scoring/_results_ranking.html).
 *
 * Follows static/js/explorer.js: the data is JSON text in <template id="scoring-results-data"> (no inline code
 * under the CSP), Chart.js is loaded only when that element is on the page, and the charts are drawn on the first
 * load and after htmx settles a boosted navigation. Canvases are found by data-chart, not by id, so htmx never
 * copies the size Chart.js gives one canvas onto another as an inline style.
 */
(function () {
  "use strict";

  var BRAND = "#1f6f8b";
  var SECOND = "#d35400";
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
    return document.fonts.load("12px Vazirmatn").catch(function () { return null; });
  }

  function draw(canvas, config) {
    if (!canvas) return;
    var old = window.Chart.getChart(canvas);
    if (old) old.destroy();
    new window.Chart(canvas, config);
  }

  function setup(box, data) {
    var fa = data.locale !== "en";
    var numbers = new Intl.NumberFormat(fa ? "fa-IR" : "en-US", {maximumFractionDigits: 3});
    var reduced = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    var Chart = window.Chart;
    Chart.defaults.font.family = "Vazirmatn, Tahoma, sans-serif";
    Chart.defaults.font.size = 12;
    Chart.defaults.color = "#1d2733";
    var direction = fa ? "rtl" : "ltr";

    function options(max, suffix, legend) {
      return {
        responsive: true,
        maintainAspectRatio: false,
        locale: fa ? "fa-IR" : "en-US",
        animation: reduced ? false : {duration: 300},
        plugins: {
          legend: {display: legend, rtl: fa, textDirection: direction, position: "bottom", labels: {boxWidth: 12}},
          tooltip: {rtl: fa, textDirection: direction, callbacks: {label: function (context) {
            var name = context.dataset.label ? context.dataset.label + ": " : "";
            return name + numbers.format(context.parsed.y) + suffix;
          }}}
        },
        // Candidates run the way the page reads (right to left in Persian), like the table's rows read down.
        scales: {
          x: {reverse: fa},
          y: {position: fa ? "right" : "left", beginAtZero: true, max: max,
            ticks: {callback: function (value) { return numbers.format(value) + suffix; }}}
        }
      };
    }

    draw(box.querySelector('canvas[data-chart="methods"]'), {
      type: "bar",
      data: {labels: data.names, datasets: [
        {label: data.labels.weightedSum, data: data.weightedSum, backgroundColor: BRAND, maxBarThickness: 36},
        {label: data.labels.topsis, data: data.topsis, backgroundColor: SECOND, maxBarThickness: 36}
      ]},
      options: options(1, "", true)
    });
    draw(box.querySelector('canvas[data-chart="top"]'), {
      type: "bar",
      data: {labels: data.names, datasets: [
        {label: data.labels.pTop, data: data.pTop, backgroundColor: BRAND, maxBarThickness: 36}
      ]},
      options: options(100, fa ? "٪" : "%", false)
    });
  }

  var drawn = new WeakSet();

  function init() {
    var element = document.getElementById("scoring-results-data");
    if (!element || drawn.has(element)) return;
    drawn.add(element);
    var data = JSON.parse(element.content.textContent);
    var box = element.closest("#results-charts");
    loadChartJs(data.chartjs).then(fontsReady).then(function () {
      if (!element.isConnected) return;  // left the page meanwhile
      Object.values(window.Chart.instances).forEach(function (chart) {
        if (!chart.canvas || !chart.canvas.isConnected) chart.destroy();
      });
      setup(box, data);
      box.dataset.charts = "ready";
    }).catch(function (error) {
      if (box) box.dataset.charts = "failed";
      throw error;
    });
  }

  document.body.addEventListener("htmx:afterSettle", init);
  document.body.addEventListener("htmx:historyRestore", init);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
