/* The analysis pages' charts (/insights): the key drivers' impact as horizontal bars with their 95 % intervals.
   The figures are also in the table under the chart, which works without this script. */
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState === "complete") fn(); else document.addEventListener("DOMContentLoaded", fn);
  }

  function css(name) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  }

  function driversChart(el) {
    // The figures travel in an attribute, not a <script> block: a result swapped in by HTMX (the page polls while
    // the analysis is being computed) loses its script elements (allowScriptTags is off).
    if (!window.echarts || el.classList.contains("ready")) return;
    var data = JSON.parse(el.getAttribute("data-figures"));
    var drivers = data.drivers.slice().reverse(); // the largest impact at the top
    var labels = drivers.map(function (d) { return d.label; });
    el.style.height = Math.max(160, 36 * drivers.length + 56) + "px";
    var bars = drivers.map(function (d) {
      // Only a significant driver is coloured; a pain point (positive impact) and a strength differ by colour and sign.
      var colour = !d.significant ? css("--muted") : d.impact > 0 ? css("--detractor") : css("--promoter");
      return { value: d.impact, itemStyle: { color: colour, opacity: d.small ? 0.45 : 1 } };
    });
    // One short line per driver from its interval's low to its high end.
    var intervals = drivers.map(function (d) {
      return {
        name: "95 % interval", type: "line", data: [[d.low, d.label], [d.high, d.label]], silent: true,
        symbol: "rect", symbolSize: [2, 12], lineStyle: { color: css("--fg"), width: 1.5 }, itemStyle: { color: css("--fg") }
      };
    });
    var chart = window.echarts.init(el, null, { renderer: "canvas" });
    chart.setOption({
      animation: false,
      textStyle: { color: css("--fg"), fontFamily: css("--font") },
      grid: { left: 8, right: 24, top: 8, bottom: 40, containLabel: true },
      tooltip: {
        trigger: "item",
        formatter: function (item) {
          var d = drivers[item.dataIndex];
          return d.label + "<br>impact " + d.impact.toFixed(1) + " " + data.unit + "<br>95 % interval " +
            d.low.toFixed(1) + " to " + d.high.toFixed(1) + "<br>n = " + d.n + (d.small ? " (too few to read)" : "") +
            (d.significant ? "" : "<br>within noise");
        }
      },
      xAxis: { type: "value", name: data.unit, nameLocation: "middle", nameGap: 26, axisLabel: { color: css("--muted") },
               splitLine: { lineStyle: { color: css("--border") } } },
      yAxis: { type: "category", data: labels, axisLabel: { color: css("--fg"), width: 220, overflow: "truncate" } },
      series: [{ name: "impact", type: "bar", data: bars, barMaxWidth: 18 }].concat(intervals)
    });
    el.classList.add("ready");
    window.addEventListener("resize", function () { chart.resize(); });
  }

  ready(function () {
    document.querySelectorAll("[data-chart=drivers]").forEach(driversChart);
    document.body.addEventListener("htmx:load", function (event) {
      event.target.querySelectorAll("[data-chart=drivers]").forEach(driversChart);
    });
  });
})();
