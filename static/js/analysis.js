/* The analysis page's charts (templates/analysis/_results.html and _io.html), in the manner of explorer.js.
 *
 * Each partial carries its data as JSON text in <template class="analysis-data" data-kind="regional|io">; the
 * canvases have no ids, only data-chart="lq|shift|linkages" inside the partial that owns them. Loading Chart.js,
 * drawing once per swap and cleaning up before htmx swaps are static/js/charts.js's (window.PlanCharts). Loaded
 * on every page; does nothing without such an element.
 */
(function () {
  "use strict";

  var charts = window.PlanCharts;
  var COLORS = {above: "#2e7d4f", below: "#7f8c8d", national: "#1f6f8b", mix: "#d35400", shift: "#8e44ad",
    key: "#c0392b", other: "#1f6f8b", line: "#1d2733"};

  // Dashed reference lines at given values of the x and/or y scale (LQ = 1; linkages = 1): a plugin object,
  // not an inline script, so the CSP is kept.
  var referenceLines = {
    id: "referenceLines",
    afterDatasetsDraw: function (chart, args, options) {
      var ctx = chart.ctx;
      var area = chart.chartArea;
      ctx.save();
      ctx.strokeStyle = COLORS.line;
      ctx.lineWidth = 1.5;
      ctx.setLineDash([6, 4]);
      (options.x || []).forEach(function (value) {
        var x = chart.scales.x.getPixelForValue(value);
        if (x < area.left || x > area.right) return;
        ctx.beginPath(); ctx.moveTo(x, area.top); ctx.lineTo(x, area.bottom); ctx.stroke();
      });
      (options.y || []).forEach(function (value) {
        var y = chart.scales.y.getPixelForValue(value);
        if (y < area.top || y > area.bottom) return;
        ctx.beginPath(); ctx.moveTo(area.left, y); ctx.lineTo(area.right, y); ctx.stroke();
      });
      ctx.restore();
    }
  };

  function setup(kind, data, owner) {
    var loc = charts.locale(data.locale);
    var fa = loc.fa;
    var start = loc.start;
    var format = loc.format;

    function tick(value) { return Math.abs(value) >= 10000 ? loc.compact.format(value) : loc.numbers.format(value); }

    function options(lines) {
      var result = charts.options(loc);
      result.plugins.referenceLines = lines || {};
      return result;
    }

    if (kind === "regional") {
      var lq = data.lq;
      var lqOptions = options({x: [1]});
      lqOptions.indexAxis = "y";
      lqOptions.plugins.legend.display = false;
      lqOptions.plugins.tooltip.callbacks = {label: function (c) { return format(c.parsed.x); }};
      lqOptions.scales.x = {beginAtZero: true, reverse: fa, ticks: {callback: tick}};
      lqOptions.scales.y = {position: start, ticks: {autoSkip: false}};
      charts.draw(owner.querySelector('canvas[data-chart="lq"]'), {
        type: "bar",
        data: {labels: lq.names, datasets: [{label: data.labels.lq, data: lq.values,
          maxBarThickness: 22, backgroundColor: lq.values.map(function (v) { return v > 1 ? COLORS.above : COLORS.below; })}]},
        options: lqOptions,
        plugins: [referenceLines]
      });

      var shift = data.shift;
      var shiftOptions = options({});
      shiftOptions.indexAxis = "y";
      shiftOptions.plugins.tooltip.callbacks = {label: function (c) { return c.dataset.label + ": " + format(c.parsed.x); }};
      shiftOptions.scales.x = {stacked: true, reverse: fa, ticks: {callback: tick}};
      shiftOptions.scales.y = {stacked: true, position: start, ticks: {autoSkip: false}};
      charts.draw(owner.querySelector('canvas[data-chart="shift"]'), {
        type: "bar",
        data: {labels: shift.names, datasets: [
          {label: data.labels.nationalShare, data: shift.nationalShare, backgroundColor: COLORS.national, maxBarThickness: 22},
          {label: data.labels.industryMix, data: shift.industryMix, backgroundColor: COLORS.mix, maxBarThickness: 22},
          {label: data.labels.regionalShift, data: shift.regionalShift, backgroundColor: COLORS.shift, maxBarThickness: 22}
        ]},
        options: shiftOptions
      });
    }

    if (kind === "io") {
      var points = data.points;
      var ioOptions = options({x: [1], y: [1]});
      ioOptions.plugins.legend.display = false;
      ioOptions.plugins.tooltip.callbacks = {label: function (c) {
        var point = points[c.dataIndex];
        return point.name + ": " + data.labels.backward + " " + format(point.x) + (fa ? "، " : ", ") + data.labels.forward + " " + format(point.y);
      }};
      // Not mirrored in Persian: a scatter's axes read as in mathematics, so key sectors sit top right.
      ioOptions.scales.x = {title: {display: true, text: data.labels.backward}, ticks: {callback: tick}};
      ioOptions.scales.y = {position: start, title: {display: true, text: data.labels.forward}, ticks: {callback: tick}};
      charts.draw(owner.querySelector('canvas[data-chart="linkages"]'), {
        type: "scatter",
        data: {datasets: [{label: data.labels.forward, data: points.map(function (p) { return {x: p.x, y: p.y}; }),
          pointRadius: 6, pointHoverRadius: 8,
          backgroundColor: points.map(function (p) { return p.key ? COLORS.key : COLORS.other; })}]},
        options: ioOptions,
        plugins: [referenceLines]
      });
    }
  }

  charts.onContent(function () {
    document.querySelectorAll("template.analysis-data").forEach(function (element) {
      var owner = element.parentElement;
      charts.render(element, owner, function (data) { setup(element.dataset.kind, data, owner); });
    });
  });
})();
