/* The indicator explorer's charts (templates/indicators/_explore_results.html).
 *
 * The page carries its data as JSON text in <template id="explorer-data">; loading Chart.js, drawing once per swap
 * and cleaning up before htmx swaps are static/js/charts.js's (window.PlanCharts). This file is loaded on every
 * page but does nothing without that element.
 */
(function () {
  "use strict";

  var charts = window.PlanCharts;
  var PALETTE = ["#1f6f8b", "#d35400", "#2e7d4f", "#8e44ad", "#c0392b", "#2c3e50", "#b7950b", "#16a085",
    "#7f8c8d", "#e67e22", "#2980b9", "#6d4c41"];
  var TONES = {better: "#2e7d4f", worse: "#c0392b", equal: "#7f8c8d", neutral: "#1f6f8b"};

  function setup(data) {
    var loc = charts.locale(data.locale);
    var fa = loc.fa;

    function options(unit, horizontal) {
      var result = charts.options(loc);
      result.indexAxis = horizontal ? "y" : "x";
      result.plugins.tooltip.callbacks = {
        label: function (context) {
          var value = horizontal ? context.parsed.x : context.parsed.y;
          var name = context.dataset.label ? context.dataset.label + ": " : "";
          return name + loc.format(value) + " " + unit;
        }
      };
      return result;
    }

    function valueAxis(position, extra) {
      return Object.assign({position: position, ticks: {callback: function (value, index, ticks) {
        // Short form only where it keeps every tick distinct (a narrow range needs the full numbers).
        var short = ticks.map(function (tick) { return loc.compact.format(tick.value); });
        var distinct = new Set(short).size === short.length;
        return distinct && Math.abs(value) >= 10000 ? short[index] : loc.format(value);
      }}},
        extra || {});
    }

    function line(label, values, color, axis) {
      return {label: label, data: values, borderColor: color, backgroundColor: color, yAxisID: axis || "y",
        tension: 0.2, pointRadius: 3, spanGaps: false};
    }

    data.indicators.forEach(function (indicator) {
      var unit = indicator.unit;

      // (a) the chosen regions over the years; the nation on its own axis when its scale is another.
      // Time runs the way the page reads (right to left in Persian), like the table's columns.
      var series = options(unit, false);
      series.scales.x = {reverse: fa};
      series.scales.y = valueAxis(loc.start);
      if (indicator.series.some(function (s) { return s.axis === "y2"; })) {
        series.scales.y2 = valueAxis(loc.end, {grid: {drawOnChartArea: false}});
      }
      charts.draw(document.getElementById("chart-series-" + indicator.id), {
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
      compare.scales.y = valueAxis(loc.start, {beginAtZero: true});
      compare.plugins.legend.display = false;
      charts.draw(document.getElementById("chart-compare-" + indicator.id), {
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
      national.scales.y = valueAxis(loc.start);
      var nationAxis = "y";
      if (indicator.national.twoAxes) {
        national.scales.y2 = valueAxis(loc.end, {grid: {drawOnChartArea: false}});
        nationAxis = "y2";
      }
      charts.draw(document.getElementById("chart-national-" + indicator.id), {
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
      ranked.scales.y = {position: loc.start, ticks: {autoSkip: false}};
      ranked.plugins.legend.display = false;
      charts.draw(document.getElementById("chart-ranked-" + indicator.id), {
        type: "bar",
        data: {
          labels: indicator.ranked.names.map(function (name, i) {
            return loc.numbers.format(indicator.ranked.ranks[i]) + ". " + name;
          }),
          datasets: [{label: data.labels.value, data: indicator.ranked.values, maxBarThickness: 22,
            backgroundColor: indicator.ranked.tones.map(function (tone) { return TONES[tone] || TONES.neutral; })}]
        },
        options: ranked
      });
    });
  }

  charts.onContent(function () {
    var element = document.getElementById("explorer-data");
    charts.render(element, element && element.closest("#explore-results"), setup);
  });
})();
