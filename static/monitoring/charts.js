/* Monitoring charts (ECharts, vendored): trend with target and bands, radar, warning heat map. */
(function () {
  "use strict";
  function data(id) { var el = document.getElementById(id); return el ? JSON.parse(el.textContent) : null; }
  function chart(id) { var el = document.getElementById(id); if (!el || !window.echarts) return null; var c = echarts.init(el); window.addEventListener("resize", function () { c.resize(); }); return c; }

  function bands(t) {
    var top = t.max !== null ? t.max : Math.max.apply(null, t.values.concat([t.target || 0, t.red * 1.5]));
    if (t.direction === "higher") {
      return [[{ yAxis: t.min, itemStyle: { color: "rgba(220,53,69,.15)" } }, { yAxis: t.red }],
              [{ yAxis: t.red, itemStyle: { color: "rgba(255,193,7,.18)" } }, { yAxis: t.yellow }]];
    }
    return [[{ yAxis: t.yellow, itemStyle: { color: "rgba(255,193,7,.18)" } }, { yAxis: t.red }],
            [{ yAxis: t.red, itemStyle: { color: "rgba(220,53,69,.15)" } }, { yAxis: top }]];
  }

  function trend(el) {
    var c = chart(el.id);
    fetch(el.dataset.url, { headers: { Accept: "application/json" } }).then(function (r) { return r.json(); }).then(function (t) {
      var marks = t.target !== null ? [{ yAxis: t.target, name: el.dataset.targetLabel }] : [];
      c.setOption({
        title: { text: t.indicator + (t.unit ? " (" + t.unit + ")" : ""), textStyle: { fontSize: 14 } },
        tooltip: { trigger: "axis" },
        xAxis: { type: "category", data: t.periods },
        yAxis: { type: "value", min: t.min, max: t.max },
        series: [{ type: "line", data: t.values, name: t.indicator,
                   markLine: { symbol: "none", data: marks, lineStyle: { color: "#198754", type: "dashed" } },
                   markArea: { silent: true, data: bands(t) } }]
      });
    });
  }

  document.querySelectorAll("[data-trend]").forEach(trend);

  var r = data("radar-data");
  if (r) {
    var rc = chart("radar");
    // a smaller radius leaves the axis names room on a phone
    rc && rc.setOption({ tooltip: {}, radar: { indicator: r.axes, radius: "58%", axisName: { fontSize: 11 } }, series: [{ type: "radar", data: [{ value: r.values }], areaStyle: {} }] });
  }

  var h = data("heatmap-data");
  if (h && h.cells.length) {
    // Indicator names stand upright under their columns on a phone (slanted, they ran into each
    // other there), the colour scale sits above the grid (below, it covered the names), and the
    // chart grows with its units and its longest name so that every label stays readable.
    var box = document.getElementById("heatmap");
    var narrow = box.clientWidth < 600;
    var longest = Math.max.apply(null, h.indicators.map(function (n) { return n.length; }));
    var names = Math.min(longest, 12) * 12 * (narrow ? 1 : 0.7) + 16;
    box.style.height = Math.max(320, 50 + h.units.length * 26 + names) + "px";
    var hc = chart("heatmap");
    var max = Math.max.apply(null, h.cells.map(function (x) { return x[2]; }));
    hc && hc.setOption({
      tooltip: { position: "top", formatter: function (p) { return h.units[p.value[1]] + " · " + h.indicators[p.value[0]] + "：" + p.value[2]; } },
      grid: { left: 4, right: 12, top: 48, bottom: 4, containLabel: true },
      xAxis: { type: "category", data: h.indicators, axisLabel: { rotate: narrow ? 90 : 40, interval: 0, fontSize: narrow ? 11 : 12, width: 144, overflow: "truncate" } },
      yAxis: { type: "category", data: h.units, axisLabel: { fontSize: narrow ? 11 : 12, width: narrow ? 84 : 160, overflow: "truncate" } },
      visualMap: { min: 0, max: Math.max(max, 1), calculable: true, orient: "horizontal", left: "center", top: 0, itemHeight: narrow ? 120 : 160, inRange: { color: ["#fff3cd", "#dc3545"] } },
      series: [{ type: "heatmap", data: h.cells, label: { show: true } }]
    });
  }
})();
