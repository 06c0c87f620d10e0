/* 蓝天 Lantian — the forecast, the warning and the verification chart (issue #7).
 * #forecast-now (the "now" page) is filled from data-forecast-src and data-warning-src (the API);
 * #verification-pending (the /forecast page) asks its data-poll URL again until it answers 200,
 * then reloads; [data-fchart="mae"] draws the MAE of each method by lead with ECharts (served
 * locally). Each element gets data-ready="1" when done ("error" on failure). */
(function () {
  "use strict";
  const T = JSON.parse(document.getElementById("lantian-i18n").textContent);
  const ZH = document.documentElement.lang === "zh-CN";
  const MODELS = { gbrt: T.fc_model_gbrt, persistence: T.fc_model_persistence, climatology: T.fc_model_climatology };
  const MODEL_COLOURS = { gbrt: "#1f5fa8", persistence: "#9aa5b1", climatology: "#e0a030" };

  function textColour(hex) {
    if (!hex || hex.length !== 7) return "#000000";
    const lin = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255)
      .map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2] > 0.179 ? "#000000" : "#FFFFFF";
  }
  // dayLabel and hourLabel are lantian.js's own: the /forecast page loads this script without
  // lantian.js (each script is one closure), so keep the two copies the same.
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
    return { status: response.status, body: await response.json() };
  }
  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, v));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function showWarning(section, w) {
    const box = section.querySelector("#warning-now");
    const level = section.querySelector("#warning-level");
    level.textContent = w.level ? (ZH ? w.level_zh : w.level_en) : T.fc_no_warning;
    level.dataset.level = w.level || "none";
    level.style.background = w.colour || "#e6ebf1";
    level.style.color = textColour(w.colour || "#e6ebf1");
    section.querySelector("#warning-response").textContent = w.level ? w.response_zh : "";
    section.querySelector("#warning-reason").textContent = w.level ? w.reason_zh : T.fc_no_warning_note;
    const notice = section.querySelector("#warning-notice");
    if (w.notice_zh) {
      notice.textContent = w.notice_zh;
      notice.hidden = false;
      const language = section.querySelector("#warning-notice-language");
      if (language) language.hidden = false;
    }
    box.hidden = false;
  }
  function showForecast(section, f) {
    const list = section.querySelector("#forecast-days");
    list.replaceChildren();
    f.rows.forEach((r) => {
      const item = el("li", { "data-day": r.day, "data-lead": String(r.lead), "data-aqi": String(r.aqi) });
      item.append(el("div", { class: "forecast-day" }, dayLabel(r.day)));
      const value = el("div", { class: "forecast-aqi" }, r.aqi === null ? "—" : String(Math.round(r.aqi)));
      item.append(value);
      const chip = el("span", { class: "chip", "data-colour": r.colour || "" }, ZH ? r.category_zh : r.category_en);
      chip.style.background = r.colour || "#eeeeee";
      chip.style.color = textColour(r.colour || "#eeeeee");
      item.append(chip);
      item.style.borderTopColor = r.colour || "#dde3ea";
      list.append(item);
    });
    const time = section.querySelector("#forecast-issue");
    time.textContent = hourLabel(f.issue_time);
    time.setAttribute("datetime", f.issue_time);
  }
  async function fillNow(section) {
    const status = section.querySelector("#forecast-status");
    const [forecast, warning] = await Promise.allSettled([
      getJSON(section.dataset.forecastSrc), getJSON(section.dataset.warningSrc),
    ]);
    if (forecast.status === "fulfilled") showForecast(section, forecast.value.body);
    if (warning.status === "fulfilled") showWarning(section, warning.value.body);
    if (forecast.status === "fulfilled" && warning.status === "fulfilled") {
      status.hidden = true;
      section.dataset.ready = "1";
    } else {
      status.textContent = T.fc_failed;
      section.dataset.ready = "error";
    }
  }

  function poll(section) {
    const again = async () => {
      try {
        const answer = await getJSON(section.dataset.poll);
        if (answer.status === 200) { window.location.reload(); return; }
      } catch (error) {
        section.dataset.ready = "error";
        section.append(el("p", { class: "note" }, `${T.fc_failed} (${error.message})`));
        return;
      }
      window.setTimeout(again, 5000);
    };
    window.setTimeout(again, 5000);
  }

  async function maeChart(node) {
    const doc = (await getJSON(node.dataset.src)).body;
    const scopes = [node.dataset.scope, "all"];
    const models = [...new Set(doc.rows.map((r) => r.model))];
    const leads = [...new Set(doc.rows.map((r) => r.lead))].sort();
    const series = [];
    scopes.forEach((scope, k) => models.forEach((model) => {
      series.push({
        name: `${MODELS[model] || model}`, type: "bar", xAxisIndex: k, yAxisIndex: k,
        itemStyle: { color: MODEL_COLOURS[model] || "#666" },
        data: leads.map((lead) => {
          const row = doc.rows.find((r) => r.scope === scope && r.model === model && r.lead === lead);
          return row ? row.mae : null;
        }),
      });
    }));
    await Promise.race([document.fonts.ready, new Promise((done) => setTimeout(done, 2000))]);
    const chart = echarts.init(node, null, { renderer: "canvas" });
    window.addEventListener("resize", () => chart.resize());
    const axis = (k) => ({ type: "category", gridIndex: k, data: leads.map((l) => `${l} ${T.fc_lead_unit}`),
      name: k === 0 ? node.dataset.scope : T.fc_scope_all, nameLocation: "middle", nameGap: 28 });
    chart.setOption({
      textStyle: { fontFamily: getComputedStyle(node).fontFamily },  // Lantian Sans, as the page
      tooltip: { trigger: "axis" },
      legend: { top: 0, data: models.map((m) => MODELS[m] || m) },
      grid: [{ left: 50, right: "53%", top: 40, bottom: 50 }, { left: "55%", right: 20, top: 40, bottom: 50 }],
      xAxis: [axis(0), axis(1)],
      yAxis: [{ type: "value", gridIndex: 0, name: T.fc_mae }, { type: "value", gridIndex: 1, name: T.fc_mae }],
      series,
    });
    return chart;
  }

  function start() {
    const now = document.getElementById("forecast-now");
    if (now) fillNow(now).catch(() => { now.dataset.ready = "error"; });
    const pending = document.getElementById("verification-pending");
    if (pending) poll(pending);
    document.querySelectorAll('[data-fchart="mae"]').forEach((node) => {
      maeChart(node)
        .then(() => { node.dataset.ready = "1"; })
        .catch((error) => { node.dataset.ready = "error"; node.textContent = `${T.fc_failed} (${error.message})`; });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
