/* What the pages that draw Chart.js charts share (explorer.js, analysis.js, scoring_results.js keep only their own
 * chart configurations): window.PlanCharts.
 *
 * A page carries its data as JSON text in a <template> (no inline code: the CSP forbids it; and not in a
 * <script type="application/json">, because htmx, configured with allowScriptTags: false, removes every <script>
 * element from swapped content). Chart.js itself (static/vendor/chartjs) is loaded only when a page needs it, once
 * for all of them. This file is included before the page scripts (deferred scripts run in order).
 */
(function () {
  "use strict";

  var loading = null;

  // Chart.js once, whichever page asks first; a failed load may be tried again by the next page.
  function load(src) {
    if (window.Chart) return Promise.resolve();
    if (!loading) {
      loading = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = src;
        script.onload = function () {
          window.Chart.defaults.font.family = "Vazirmatn, Tahoma, sans-serif";
          window.Chart.defaults.font.size = 12;
          window.Chart.defaults.color = "#1d2733";
          resolve();
        };
        script.onerror = function () { loading = null; reject(new Error("Chart.js did not load: " + src)); };
        document.head.appendChild(script);
      });
    }
    return loading;
  }

  // Chart.js measures its labels when it draws: drawn in the fallback font, Persian labels would be cut or overlap.
  function fontsReady() {
    if (!document.fonts || !document.fonts.load) return Promise.resolve();
    return Promise.all([document.fonts.load("12px Vazirmatn"), document.fonts.load("bold 12px Vazirmatn")])
      .catch(function () { return null; });
  }

  function draw(canvas, config) {
    if (!canvas) return;
    var old = window.Chart.getChart(canvas);
    if (old) old.destroy();
    new window.Chart(canvas, config);
  }

  function destroyDetached() {
    Object.values(window.Chart.instances).forEach(function (chart) {
      if (!chart.canvas || !chart.canvas.isConnected) chart.destroy();
    });
  }

  // Numbers and directions in the page's language ("en", else Persian); digits: the most fraction digits shown.
  function locale(code, digits) {
    var fa = code !== "en";
    var tag = fa ? "fa-IR" : "en-US";
    var numbers = new Intl.NumberFormat(tag, {maximumFractionDigits: digits === undefined ? 2 : digits});
    return {
      fa: fa,
      tag: tag,
      direction: fa ? "rtl" : "ltr",
      start: fa ? "right" : "left",
      end: fa ? "left" : "right",
      numbers: numbers,
      // Axis ticks of large values in short form (۸۶ میلیون, 86M): narrow screens keep room for the plot.
      compact: new Intl.NumberFormat(tag, {notation: "compact", maximumSignificantDigits: 3}),
      format: function (value) { return value === null || value === undefined ? "—" : numbers.format(value); }
    };
  }

  // The options every chart starts from (a new object each time: the pages change them in place).
  function options(loc) {
    var reduced = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    return {
      responsive: true,
      maintainAspectRatio: false,
      locale: loc.tag,
      animation: reduced ? false : {duration: 300},
      plugins: {
        legend: {rtl: loc.fa, textDirection: loc.direction, position: "bottom", labels: {boxWidth: 12}},
        tooltip: {rtl: loc.fa, textDirection: loc.direction}
      },
      scales: {}
    };
  }

  // Each data element is drawn once: after Chart.js and the font, unless a newer swap replaced it meanwhile. The
  // box's data-charts says "ready" or "failed" (the browser tests wait for it). The explorer and analysis
  // templates name Chart.js in data-chartjs, the scoring results in their JSON.
  var drawn = new WeakSet();

  function render(element, box, setup) {
    if (!element || drawn.has(element)) return;
    drawn.add(element);
    var data = JSON.parse(element.content.textContent);
    load(element.dataset.chartjs || data.chartjs).then(fontsReady).then(function () {
      if (!element.isConnected) return;
      destroyDetached();
      setup(data);
      if (box) box.dataset.charts = "ready";
    }).catch(function (error) {
      if (box) box.dataset.charts = "failed";
      throw error;
    });
  }

  // init on the first load and whenever htmx has settled new content or restored a page from history.
  function onContent(init) {
    document.body.addEventListener("htmx:afterSettle", init);
    document.body.addEventListener("htmx:historyRestore", init);
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", init);
    } else {
      init();
    }
  }

  // Before htmx replaces an element, its charts are destroyed and their canvases stripped of the size Chart.js
  // gave them: htmx settles a new element of the same id with the old one's style, width and height, and copying
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

  window.PlanCharts = {load: load, fontsReady: fontsReady, draw: draw, locale: locale, options: options,
    render: render, onContent: onContent};
})();
