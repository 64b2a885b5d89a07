// wangge indicators: draws the charts of /events/indicators and /disputes/stats with the embedded ECharts. The server renders
// every label in the page's language and puts each chart's data in the container's data-chart attribute
// (no inline script under the CSP); this file only draws. No animation: a printout or a screenshot shows the
// final numbers, not bars halfway up. SVG renderer: the text stays real text (selectable,
// crisp when printed, and visible to tests). The tables below the charts hold the same numbers.
(function () {
  "use strict";

  if (!window.echarts) return;
  var zh = (document.documentElement.lang || "").toLowerCase().indexOf("zh") === 0;
  // The page's own fonts, so CJK labels look like the rest of the page.
  var font = getComputedStyle(document.body).fontFamily;
  var colors = ["#2e86c1", "#27ae60", "#e67e22"];
  var charts = [];

  function percent(v) {
    return v == null ? "—" : v.toFixed(1) + "%";
  }

  function barOption(d, horizontal, width) {
    var names = { type: "category", data: d.names, axisTick: { alignWithLabel: true } };
    var values = { type: "value" };
    if (d.percent) {
      values.max = 100;
      values.axisLabel = { formatter: "{value}%" };
    } else {
      values.minInterval = 1;
    }
    if (d.max) values.max = d.max; // scores out of 100 (the happiness index)
    if (horizontal) {
      names.inverse = true; // the first department on top, as in the table
      names.axisLabel = { width: 140, overflow: "truncate" };
    } else {
      // Every name shown (ECharts would otherwise drop some), slanted when they do not fit side by side.
      names.axisLabel = { interval: 0, rotate: width / d.names.length < 110 ? 30 : 0, width: 120, overflow: "truncate" };
    }
    return {
      animation: false,
      color: colors,
      textStyle: { fontFamily: font },
      legend: { top: 0 },
      tooltip: {
        trigger: "axis",
        axisPointer: { type: "shadow" },
        valueFormatter: d.percent ? percent : undefined
      },
      // containLabel covers the axis names only: the right margin leaves room for a "100.0%" bar label.
      grid: { left: 8, right: horizontal ? 56 : 24, top: 32, bottom: 8, containLabel: true },
      xAxis: horizontal ? values : names,
      yAxis: horizontal ? names : values,
      series: d.series.map(function (s) {
        return {
          type: "bar",
          name: s.name,
          data: s.values,
          barMaxWidth: 28,
          label: {
            show: d.labels !== false, // many small bars (twelve months of two series) read better without
            position: horizontal ? "right" : "top",
            fontSize: 11,
            formatter: d.percent ? function (p) { return percent(p.value); } : "{c}"
          }
        };
      })
    };
  }

  function gaugeOption(d) {
    var n = d.names.length, values = d.series[0].values;
    // Dials without scale numbers: the value in the middle, the name in the arc's opening below it.
    return {
      animation: false,
      color: colors,
      textStyle: { fontFamily: font },
      series: d.names.map(function (name, i) {
        return {
          type: "gauge",
          center: [((i + 0.5) * 100) / n + "%", "52%"],
          radius: "80%",
          min: 0,
          max: 100,
          progress: { show: true, width: 12 },
          axisLine: { lineStyle: { width: 12 } },
          axisTick: { show: false },
          splitLine: { show: false },
          axisLabel: { show: false },
          pointer: { show: false },
          itemStyle: { color: colors[i % colors.length] },
          title: { offsetCenter: [0, "78%"], fontSize: 13, color: "#555" },
          detail: { offsetCenter: [0, "0%"], fontSize: 20, fontWeight: "bold", formatter: function (v) {
            return values[i] == null ? "—" : percent(v);
          } },
          data: [{ name: name, value: values[i] == null ? 0 : values[i] }]
        };
      })
    };
  }

  // Shares of one whole (disputes by status): a ring with each slice named and counted.
  function pieOption(d) {
    var values = d.series[0].values;
    return {
      animation: false,
      color: ["#2e86c1", "#27ae60", "#e67e22", "#c0392b", "#8e44ad", "#16a085", "#7f8c8d"],
      textStyle: { fontFamily: font },
      tooltip: { trigger: "item" },
      legend: { bottom: 0 },
      series: [{
        type: "pie",
        name: d.series[0].name,
        radius: ["38%", "66%"],
        center: ["50%", "44%"],
        label: { formatter: "{b} {c}" },
        data: d.names.map(function (n, i) { return { name: n, value: values[i] }; })
      }]
    };
  }

  // A value per month (disputes registered and resolved): lines with their points labelled.
  function lineOption(d) {
    return {
      animation: false,
      color: colors,
      textStyle: { fontFamily: font },
      legend: { top: 0 },
      tooltip: { trigger: "axis" },
      grid: { left: 8, right: 24, top: 32, bottom: 8, containLabel: true },
      // Few points (two survey rounds): keep them off the edges, where their labels would be cut.
      xAxis: { type: "category", data: d.names, boundaryGap: d.names.length < 4 },
      yAxis: d.max ? { type: "value", min: 0, max: d.max } : { type: "value", minInterval: 1 },
      series: d.series.map(function (s) {
        // Quiet months stay on the zero line unlabelled, so the numbers that matter stand out.
        return { type: "line", name: s.name, data: s.values, symbolSize: 7,
          label: { show: true, position: "top", fontSize: 11, formatter: function (p) { return p.value ? String(p.value) : ""; } } };
      })
    };
  }

  function optionFor(d, el) {
    if (d.kind === "gauge") return gaugeOption(d);
    if (d.kind === "pie") return pieOption(d);
    if (d.kind === "line") return lineOption(d);
    return barOption(d, d.kind === "hbar", el.clientWidth);
  }

  document.querySelectorAll(".chart[data-chart]").forEach(function (el) {
    var d;
    try {
      d = JSON.parse(el.dataset.chart);
    } catch (e) {
      return; // the table below still has the numbers
    }
    if (d.kind === "hbar") {
      // One row of two bars per department: the chart grows with the list instead of squeezing it.
      el.style.height = Math.max(160, 60 + d.names.length * 44) + "px";
    }
    // The command hall's big screen is dark: ECharts' own dark theme, on the page's background.
    var dark = document.body.classList.contains("dark");
    var chart = echarts.init(el, dark ? "dark" : null, { renderer: "svg", locale: zh ? "ZH" : "EN" });
    var option = optionFor(d, el);
    if (dark) option.backgroundColor = "transparent";
    chart.setOption(option);
    charts.push(chart);
  });

  var pending = 0;
  window.addEventListener("resize", function () {
    clearTimeout(pending);
    pending = setTimeout(function () {
      charts.forEach(function (c) { c.resize(); });
    }, 100);
  });
})();
