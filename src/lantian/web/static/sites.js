/* 蓝天 Lantian — the map of sources, devices and open alarms (/ledger/map) and a source's chart
 * (/ledger/sites/{id}), drawn with Apache ECharts served by Lantian itself.
 * An element with data-chart="sites-map" draws the map from data-src (polled every data-poll
 * seconds) over the boundaries of data-boundaries; data-chart="site-series" draws each device's
 * window means against its rule's threshold from data-src. Words come from data-* attributes of
 * the element (the page's language); simulated devices are labelled with data-simulated. */
(function () {
  "use strict";
  const KIND_COLOURS = { site: "#e67e22", enterprise: "#2c3e50", yard: "#8e6e53", disposal: "#7f8c8d",
    plant: "#16a085", road: "#95a5a6", catering: "#c0392b" };
  const LEVEL_COLOURS = { "预警": "#f1c40f", "报警": "#e67e22", "超标": "#c0392b" };

  async function getJSON(url) {
    const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
    if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
    return response.json();
  }
  function text(value) {  // ECharts formatters build HTML: escape what the data hold
    return String(value ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  }
  function init(el) {
    const chart = echarts.init(el, null, { renderer: "canvas" });
    chart.setOption({ textStyle: { fontFamily: getComputedStyle(el).fontFamily } });
    window.addEventListener("resize", () => chart.resize());
    return chart;
  }
  function box(points) {
    const lons = points.map((p) => p[0]), lats = points.map((p) => p[1]);
    const pad = 0.02;
    return [[Math.min(...lons) - pad, Math.max(...lats) + pad], [Math.max(...lons) + pad, Math.min(...lats) - pad]];
  }

  async function sitesMap(el) {
    const d = el.dataset;
    let area = null;
    try { area = await getJSON(d.boundaries); } catch (error) { area = null; }
    const name = "lantian-sites";
    const features = area ? area.features : [];
    const chart = init(el);
    let framed = false;
    async function draw() {
      const doc = await getJSON(d.src);
      const sources = doc.sources.filter((s) => s.longitude !== null);
      const devices = doc.devices.filter((v) => v.longitude !== null && v.latitude !== null);
      const alarms = doc.alarms.filter((a) => a.longitude !== null && a.latitude !== null);
      const worst = {};
      for (const a of alarms) {
        const order = ["预警", "报警", "超标"];
        if (!worst[a.mn] || order.indexOf(a.level) > order.indexOf(worst[a.mn].level)) worst[a.mn] = a;
      }
      const points = [...sources.map((s) => [s.longitude, s.latitude]), ...devices.map((v) => [v.longitude, v.latitude])];
      if (!framed) {
        const outline = features.length ? features : [{ type: "Feature", properties: { name: "" }, geometry: { type: "Polygon",
          coordinates: [[[points[0]?.[0] - 0.1, points[0]?.[1] - 0.1], [points[0]?.[0] + 0.1, points[0]?.[1] - 0.1],
            [points[0]?.[0] + 0.1, points[0]?.[1] + 0.1], [points[0]?.[0] - 0.1, points[0]?.[1] - 0.1]]] } }];
        echarts.registerMap(name, { type: "FeatureCollection", features: outline });
        chart.setOption({
          geo: { map: name, roam: true, aspectScale: Math.cos(((points[0]?.[1] ?? 26) * Math.PI) / 180),
            boundingCoords: points.length ? box(points) : undefined, left: 4, right: 4, top: 4, bottom: 4,
            itemStyle: { areaColor: "#eef3f9", borderColor: "#8ea3bd" }, emphasis: { disabled: true },
            label: { show: true, color: "#8ea3bd", fontSize: 10 }, select: { disabled: true } },
          tooltip: { trigger: "item", formatter: (p) => p.data?.tip || "" },
          legend: { top: 0, left: "center", data: [d.labelSources, d.labelDevices, d.labelAlarms] },
        });
        framed = true;
      }
      chart.setOption({
        series: [
          { name: d.labelSources, type: "scatter", coordinateSystem: "geo", symbol: "rect", symbolSize: 10,
            data: sources.map((s) => ({ name: s.name, value: [s.longitude, s.latitude], id: s.id,
              itemStyle: { color: KIND_COLOURS[s.kind] || "#555" },
              tip: `${text(s.name)}<br>${text(s.kind_zh)} · ${text(s.unit)}${s.example ? " · " + text(d.example) : ""}` })) },
          { name: d.labelDevices, type: "scatter", coordinateSystem: "geo", symbolSize: 8,
            data: devices.map((v) => ({ name: v.name, value: [v.longitude, v.latitude], mn: v.mn, sourceId: v.source_id,
              itemStyle: { color: v.simulated ? "#6a3d9a" : "#1f78b4" },
              tip: `${text(v.name)}<br>${text(v.mn)} · ${text(v.kind_zh)}${v.simulated ? " · " + text(d.simulated) : ""}<br>${text(d.lastData)} ${text(v.last_data_time ?? "—")}` })) },
          { name: d.labelAlarms, type: "effectScatter", coordinateSystem: "geo", symbolSize: 18, z: 5,
            data: Object.values(worst).map((a) => ({ name: a.mn, value: [a.longitude, a.latitude], sourceId: a.source_id,
              itemStyle: { color: LEVEL_COLOURS[a.level] || "#c0392b" },
              tip: `${text(a.level)} · ${text(a.rule_id)}<br>${text(a.source_name ?? a.mn)}<br>${text(a.ts)} ${text(a.value?.toFixed?.(0))} / ${text(a.limit?.toFixed?.(0))}${a.simulated ? "<br>" + text(d.simulated) : ""}` })) },
        ],
      });
      el.dataset.alarms = String(Object.keys(worst).length);
      el.dataset.updated = doc.generated;
      const list = document.getElementById("open-alarm-count");
      if (list) list.textContent = String(alarms.length);
    }
    chart.on("click", (p) => {
      const id = p.data?.sourceId ?? p.data?.id;
      if (id !== undefined && id !== null) window.location.href = `/ledger/sites/${Number(id)}`;
    });
    await draw();
    const poll = Number(d.poll || 15) * 1000;
    setInterval(() => draw().catch(() => {}), poll);
    return chart;
  }

  async function siteSeries(el) {
    const d = el.dataset;
    const doc = await getJSON(d.src);
    const chart = init(el);
    const series = [];
    const keys = [...new Set(doc.rows.map((r) => `${r.mn}|${r.rule_id}`))];
    const drawn = new Set();  // one line of means per device and pollutant, a threshold per rule
    for (const key of keys) {
      const [mn, rule] = key.split("|");
      const rows = doc.rows.filter((r) => r.mn === mn && r.rule_id === rule);
      const device = doc.devices[mn] || { name: mn, simulated: false };
      const label = `${device.name}${device.simulated ? "（" + d.simulated + "）" : ""} · ${rows[0].pollutant}`;
      if (!drawn.has(label)) {
        drawn.add(label);
        series.push({ name: label, type: "line", step: "start", showSymbol: true, symbolSize: 4,
          data: rows.map((r) => [r.ts.replace(" ", "T") + "+08:00", r.mean]) });
      }
      series.push({ name: `${d.threshold} · ${doc.rules[rule] || rule}`, type: "line", step: "start", showSymbol: false,
        lineStyle: { type: "dashed", color: "#d0021b", width: 1.5 }, itemStyle: { color: "#d0021b" },
        data: rows.map((r) => [r.ts.replace(" ", "T") + "+08:00", r.threshold]) });
    }
    chart.setOption({
      tooltip: { trigger: "axis" },
      legend: { top: 0, type: "scroll" },
      grid: { left: 50, right: 16, top: 40, bottom: 40 },
      xAxis: { type: "time" },
      yAxis: { type: "value", name: doc.unit },
      series,
    });
    el.dataset.points = String(doc.rows.length);
    if (!doc.rows.length) {
      const empty = document.getElementById("series-empty");
      if (empty) empty.hidden = false;
    }
    return chart;
  }

  const builders = { "sites-map": sitesMap, "site-series": siteSeries };
  function start() {
    for (const el of document.querySelectorAll("[data-chart]")) {
      const build = builders[el.dataset.chart];
      if (!build) continue;
      build(el).then(() => { el.dataset.ready = "1"; }).catch((error) => {
        el.dataset.error = String(error);
        el.textContent = String(error);
      });
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
