/* The scoring round's charts on the results page (templates/scoring/_results_ranking.html).
 *
 * Follows static/js/explorer.js: the data is JSON text in <template id="scoring-results-data">, and loading
 * Chart.js, drawing once per swap and cleaning up before htmx swaps are static/js/charts.js's (window.PlanCharts).
 * Canvases are found by data-chart, not by id, so htmx never copies the size Chart.js gives one canvas onto
 * another as an inline style.
 */
(function () {
  "use strict";

  var charts = window.PlanCharts;
  var BRAND = "#1f6f8b";
  var SECOND = "#d35400";

  function setup(box, data) {
    var loc = charts.locale(data.locale, 3);

    function options(max, suffix, legend) {
      var result = charts.options(loc);
      result.plugins.legend.display = legend;
      result.plugins.tooltip.callbacks = {label: function (context) {
        var name = context.dataset.label ? context.dataset.label + ": " : "";
        return name + loc.numbers.format(context.parsed.y) + suffix;
      }};
      // Candidates run the way the page reads (right to left in Persian), like the table's rows read down.
      result.scales = {
        x: {reverse: loc.fa},
        y: {position: loc.start, beginAtZero: true, max: max,
          ticks: {callback: function (value) { return loc.numbers.format(value) + suffix; }}}
      };
      return result;
    }

    charts.draw(box.querySelector('canvas[data-chart="methods"]'), {
      type: "bar",
      data: {labels: data.names, datasets: [
        {label: data.labels.weightedSum, data: data.weightedSum, backgroundColor: BRAND, maxBarThickness: 36},
        {label: data.labels.topsis, data: data.topsis, backgroundColor: SECOND, maxBarThickness: 36}
      ]},
      options: options(1, "", true)
    });
    charts.draw(box.querySelector('canvas[data-chart="top"]'), {
      type: "bar",
      data: {labels: data.names, datasets: [
        {label: data.labels.pTop, data: data.pTop, backgroundColor: BRAND, maxBarThickness: 36}
      ]},
      options: options(100, loc.fa ? "٪" : "%", false)
    });
  }

  charts.onContent(function () {
    var element = document.getElementById("scoring-results-data");
    var box = element && element.closest("#results-charts");
    charts.render(element, box, function (data) { setup(box, data); });
  });
})();
