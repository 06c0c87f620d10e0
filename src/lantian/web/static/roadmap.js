/* 蓝天 Lantian — the roadmap's waterfall (/ledger/roadmap), drawn with Apache ECharts served by
 * Lantian itself: the base year's PM2.5, each linked measure's planned decrease, the level after
 * the measures, and the target. The numbers come from the page's JSON block #roadmap-chart-data;
 * words from the chart element's data-* attributes (the page's language). */
(function () {
  "use strict";
  function draw(el) {
    const block = document.getElementById("roadmap-chart-data");
    if (!block || typeof echarts === "undefined") return;
    const rm = JSON.parse(block.textContent);
    const d = el.dataset;
    const names = [d.labelBase].concat(rm.measures.map((m) => `${d.labelMeasure}${m.measure}`), [d.labelAfter, d.labelTarget]);
    let level = rm.base;
    const base = [0], value = [rm.base];
    rm.measures.forEach((m) => { level -= m.planned_ugm3; base.push(level); value.push(m.planned_ugm3); });
    base.push(0, 0);
    value.push(rm.after, rm.target);
    const chart = echarts.init(el, null, { renderer: "canvas" });
    chart.setOption({
      animation: false,
      textStyle: { fontFamily: getComputedStyle(el).fontFamily },
      tooltip: { trigger: "axis" },
      grid: { bottom: 80 },
      xAxis: { type: "category", data: names, axisLabel: { interval: 0, rotate: 30 } },
      yAxis: { type: "value", name: "PM2.5 μg/m³" },
      series: [
        { type: "bar", stack: "w", itemStyle: { color: "transparent" }, data: base, tooltip: { show: false } },
        { type: "bar", stack: "w", data: value, label: { show: true, position: "top", formatter: (p) => (+p.value).toFixed(2) } },
      ],
    });
    el.dataset.drawn = "true";
    window.addEventListener("resize", () => chart.resize());
  }
  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll('[data-chart="roadmap"]').forEach(draw);
  });
})();
