// The dashboard's charts (ECharts, vendored). Every chart has the same figures in a table
// beside it, so the page still says everything without JavaScript or to a screen reader.
(function () {
  "use strict";
  var source = document.getElementById("chart-data");
  if (!source || !window.echarts) return;
  var data = JSON.parse(source.textContent);
  var font = { fontFamily: "Noto Sans CJK SC, Microsoft YaHei, sans-serif" };
  var charts = [];

  // Category names (units, systems) wrap within a third of the chart, so a phone keeps its bars.
  function nameAxis(node, names) {
    return {
      type: "category", data: names, inverse: true,
      axisLabel: { width: Math.max(64, node.clientWidth * 0.3), overflow: "break", lineHeight: 14 }
    };
  }
  // A week reads "2026年第47周（11月16日—11月22日）" in the tooltip, "2026年第47周" under its bar.
  function weekOnly(label) { return label.split(/（| \(/)[0]; }

  function draw(id, option) {
    var node = document.getElementById(id);
    if (!node) return;
    if (typeof option === "function") option = option(node);
    var chart = window.echarts.init(node, null, { renderer: "svg" });
    option.textStyle = font;
    option.tooltip = option.tooltip || { trigger: "axis" };
    option.grid = option.grid || { left: 28, right: 16, top: 36, bottom: 8, containLabel: true };
    chart.setOption(option);
    charts.push(chart);
  }

  function label(id) {
    var table = document.getElementById(id);
    var heads = table ? table.querySelectorAll("thead th") : [];
    return Array.prototype.map.call(heads, function (th) { return th.textContent.trim(); });
  }

  var w = label("table-weekly");
  draw("chart-weekly", {
    legend: { top: 0 },
    xAxis: { type: "category", data: data.weekly.labels, axisLabel: { formatter: weekOnly } },
    yAxis: { type: "value", minInterval: 1 },
    series: [
      { name: w[1], type: "bar", data: data.weekly.opened, itemStyle: { color: "#c0392b" } },
      { name: w[2], type: "bar", data: data.weekly.closed, itemStyle: { color: "#2e7d32" } }
    ]
  });
  var c = label("table-closure");
  draw("chart-closure", function (node) {
    return {
      xAxis: { type: "value", max: 100, axisLabel: { formatter: "{value}%" } },
      yAxis: nameAxis(node, data.closure.labels),
      series: [{ name: c[3], type: "bar", data: data.closure.rates, itemStyle: { color: "#b22222" },
        label: { show: true, position: "right", formatter: "{c}%" } }]
    };
  });
  var o = label("table-overdue");
  draw("chart-overdue", {
    legend: { top: 0 },
    xAxis: { type: "category", data: data.overdue.labels, axisLabel: { interval: 0, rotate: 20 } },
    yAxis: { type: "value", minInterval: 1 },
    series: [
      { name: o[1], type: "bar", stack: "o", data: data.overdue.findings, itemStyle: { color: "#c0392b" } },
      { name: o[2], type: "bar", stack: "o", data: data.overdue.tasks, itemStyle: { color: "#e67e22" } }
    ]
  });
  var p = label("table-projected");
  draw("chart-projected", function (node) {
    return {
      legend: { top: 0 },
      xAxis: { type: "value", axisLabel: { hideOverlap: true } },
      yAxis: nameAxis(node, data.projected.labels),
      series: [
        { name: p[2], type: "bar", stack: "s", data: data.projected.earned, itemStyle: { color: "#2e7d32" } },
        { name: p[3], type: "bar", stack: "s", data: data.projected.at_risk, itemStyle: { color: "#c0392b" } }
      ]
    };
  });
  window.addEventListener("resize", function () {
    charts.forEach(function (chart) { chart.resize(); });
  });
})();
