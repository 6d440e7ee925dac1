// The dashboard's script: signs in with an API token (kept in sessionStorage, sent as a
// bearer token), then polls the API every 2 s and redraws. Every string from the server goes
// into the page as text (textContent, text nodes), never as HTML.
"use strict";

const POLL_MS = 2000;
const KEY = "ringmail-token";
const SERIES = [
  ["received", "in", "--in"],
  ["delivered", "delivered", "--out"],
  ["deferred", "deferred", "--deferred"],
  ["bounced", "bounced or expired", "--bounced"],
];
// The figures of one series: bounced and expired recipients are drawn together.
const values = (stats, name) => name === "bounced"
  ? (stats.bounced || []).map((v, i) => v + ((stats.expired || [])[i] || 0)) : stats[name] || [];
const $ = (id) => document.getElementById(id);
let timer = null;
const shown = new Map(); // what each table shows, so that unchanged rows stay (and keep focus)

// Replaces the rows of table `id` with those `make` builds, only when `data` changed (as far
// as `same` sees: the figures that tick every second are updated in place instead).
function rows(id, data, make, same = (x) => x) {
  const key = JSON.stringify(data.map(same));
  if (shown.get(id) === key) return;
  shown.set(id, key);
  $(id).tBodies[0].replaceChildren(...data.map(make));
}

// --- DOM helpers: text only ----------------------------------------------------------
function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (k === "class") node.className = v;
    else if (k === "onclick") node.addEventListener("click", v);
    else node.setAttribute(k, v);
  }
  for (const c of children) {
    if (c !== null && c !== undefined) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

function age(secs) {
  if (secs === null || secs === undefined) return "–";
  if (secs < 60) return `${secs} s`;
  if (secs < 3600) return `${Math.floor(secs / 60)} min ${secs % 60} s`;
  if (secs < 86400) return `${Math.floor(secs / 3600)} h ${Math.floor((secs % 3600) / 60)} min`;
  return `${Math.floor(secs / 86400)} d ${Math.floor((secs % 86400) / 3600)} h`;
}

function bytes(n) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
}

const percent = (r) => (r === null || r === undefined ? "–" : `${(100 * r).toFixed(r < 0.1 && r > 0 ? 1 : 0)} %`);
const clock = (unix) => new Date(unix * 1000).toLocaleTimeString([], { hour12: false });

// --- the API -------------------------------------------------------------------------
class Unauthorized extends Error {}

async function api(method, path, body) {
  const headers = { Authorization: `Bearer ${sessionStorage.getItem(KEY) || ""}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(`/api/v1/${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  let data = null;
  try { data = await response.json(); } catch (_) { /* not JSON */ }
  if (response.status === 401) throw new Unauthorized((data && data.error) || "unauthorized");
  if (!response.ok) throw new Error((data && data.error) || `HTTP ${response.status}`);
  return data;
}

// --- signing in and out --------------------------------------------------------------
function showLogin(error) {
  clearTimeout(timer);
  shown.clear();
  timer = null;
  sessionStorage.removeItem(KEY);
  $("app").hidden = true;
  $("logout").hidden = true;
  $("login").hidden = false;
  $("login-error").textContent = error || "";
  $("token").focus();
}

function showApp() {
  $("login").hidden = true;
  $("app").hidden = false;
  $("logout").hidden = false;
}

$("login").addEventListener("submit", (e) => {
  e.preventDefault();
  sessionStorage.setItem(KEY, $("token").value.trim());
  $("token").value = "";
  $("login-error").textContent = "";
  poll();
});

$("logout").addEventListener("click", () => showLogin(""));

// --- polling -------------------------------------------------------------------------
async function poll() {
  clearTimeout(timer);
  const part = (path) => api("GET", path).catch((e) => (e instanceof Unauthorized ? Promise.reject(e) : e));
  try {
    const [queue, suspensions, stats, bounces, health] = await Promise.all(
      ["queue", "suspensions", "stats", "events?kind=bounce,expiry&limit=50", "health"].map(part));
    showApp();
    const problems = [queue, suspensions, stats, bounces, health].filter((x) => x instanceof Error).map((x) => x.message);
    $("problem").hidden = problems.length === 0;
    $("problem").textContent = problems.length ? `Some figures could not be read: ${problems.join("; ")}` : "";
    if (!(stats instanceof Error)) drawChart(stats);
    if (!(queue instanceof Error)) drawDestinations(queue, suspensions instanceof Error ? [] : suspensions, stats instanceof Error ? null : stats);
    if (!(bounces instanceof Error)) drawBounces(bounces);
    if (!(health instanceof Error)) drawHealth(health);
    $("updated").textContent = `updated ${new Date().toLocaleTimeString([], { hour12: false })}`;
  } catch (e) {
    if (e instanceof Unauthorized) return showLogin(`Sign-in failed: ${e.message}`);
    $("problem").hidden = false;
    $("problem").textContent = `The server did not answer: ${e.message}`;
  }
  timer = setTimeout(poll, POLL_MS);
}

// --- the chart -----------------------------------------------------------------------
function drawChart(stats) {
  const canvas = $("chart");
  const css = getComputedStyle(document.documentElement);
  const scale = window.devicePixelRatio || 1;
  const width = canvas.clientWidth || 1200;
  const height = canvas.clientHeight || 220;
  canvas.width = width * scale;
  canvas.height = height * scale;
  const g = canvas.getContext("2d");
  g.setTransform(scale, 0, 0, scale, 0, 0);
  g.clearRect(0, 0, width, height);

  const seconds = stats.seconds || 3600;
  const bin = 10; // seconds per point: the average rate over each 10 s
  const points = Math.ceil(seconds / bin);
  const binned = SERIES.map(([name]) => {
    const raw = values(stats, name);
    return Array.from({ length: points }, (_, i) => {
      const slice = raw.slice(i * bin, (i + 1) * bin);
      return slice.length ? slice.reduce((a, b) => a + b, 0) / slice.length : 0;
    });
  });
  const top = niceCeiling(Math.max(1, ...binned.flat()));
  const left = 44, right = 8, up = 8, down = 22;
  const w = width - left - right, h = height - up - down;
  const x = (i) => left + (w * i) / Math.max(1, points - 1);
  const y = (v) => up + h - (h * v) / top;

  g.font = "11px system-ui, sans-serif";
  g.fillStyle = "#66707a";
  g.strokeStyle = "#dde2e7";
  g.lineWidth = 1;
  g.textAlign = "right";
  for (let k = 0; k <= 4; k++) {
    const v = (top * k) / 4;
    g.beginPath();
    g.moveTo(left, Math.round(y(v)) + 0.5);
    g.lineTo(left + w, Math.round(y(v)) + 0.5);
    g.stroke();
    g.fillText(String(Number(v.toFixed(2))), left - 6, y(v) + 4);
  }
  for (let m = 60; m >= 0; m -= 10) {
    const at = left + w * (1 - (m * 60) / seconds);
    g.textAlign = m === 0 ? "right" : at - left < 30 ? "left" : "center";
    if (at >= left) g.fillText(m ? `-${m} min` : "now", at, height - 6);
  }
  SERIES.forEach(([, , color], s) => {
    g.strokeStyle = css.getPropertyValue(color).trim();
    g.lineWidth = s === 0 ? 2 : 1.5;
    g.beginPath();
    binned[s].forEach((v, i) => (i ? g.lineTo(x(i), y(v)) : g.moveTo(x(i), y(v))));
    g.stroke();
  });

  const legend = $("legend");
  legend.replaceChildren(...SERIES.map(([name, label, color]) => {
    const raw = values(stats, name);
    const minute = raw.slice(-60);
    const rate = minute.reduce((a, b) => a + b, 0) / Math.max(1, minute.length);
    const total = raw.reduce((a, b) => a + b, 0);
    const item = el("span", { title: `${total} in the last hour` }, `${label}: ${rate.toFixed(2)}/s`, el("span", { class: "muted" }, ` (${total} in the hour)`));
    item.style.setProperty("--c", `var(${color})`);
    return item;
  }));
}

function niceCeiling(v) {
  const step = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 5, 10]) if (v <= m * step) return m * step;
  return 10 * step;
}

// --- destinations --------------------------------------------------------------------
function drawDestinations(queue, suspensions, stats) {
  const rates = new Map(((stats && stats.destinations) || []).map((d) => [d.destination, d]));
  const found = queue.map((d) => ({ ...d }));
  // A suspended destination with nothing queued (or a site) still gets a row, to resume it.
  for (const s of suspensions) {
    if (!found.some((r) => r.domain === s.destination)) {
      found.push({ domain: s.destination, recipients: 0, deferred: 0, oldest_secs: null, last_error: null, suspended: s.suspension });
    }
  }
  const list = found.map((d) => ({ ...d, rates: rates.get(d.domain) || {} }));
  rows("destinations", list, (d) => {
    const r = d.rates;
    const held = d.suspended;
    const button = held
      ? el("button", { class: "resume", type: "button", onclick: () => resume(d.domain) }, "Resume")
      : el("button", { class: "suspend", type: "button", onclick: () => suspend(d.domain) }, "Suspend");
    const state = held
      ? el("td", { class: "delivery" }, el("span", { class: "badge held" }, "suspended"),
        el("span", { class: "reason" }, held.reason || ""), button)
      : el("td", { class: "delivery" }, button);
    const rate = (v) => el("td", { class: v >= 0.5 ? "num high" : "num" }, percent(v));
    return el("tr", { "data-domain": d.domain, class: held ? "suspended" : "" },
      el("td", {}, d.domain),
      el("td", { class: "num queued" }, d.recipients),
      el("td", { class: "num" }, d.deferred),
      el("td", { class: "age" }, age(d.oldest_secs)),
      el("td", { class: "error-text" }, d.last_error || ""),
      rate(r.deferral_rate),
      rate(r.bounce_rate),
      state);
  }, ({ oldest_secs: _, ...rest }) => rest);
  const body = $("destinations").tBodies[0];
  list.forEach((d, i) => { body.rows[i].querySelector("td.age").textContent = age(d.oldest_secs); });
  $("no-destinations").hidden = list.length > 0;
  $("rates-note").textContent = stats && stats.rates_over
    ? `Rates: share of delivery outcomes per destination ${stats.rates_over}.` : "";
}

async function suspend(destination) {
  const reason = window.prompt(`Suspend delivery to ${destination}? Reason:`, "suspended by the postmaster");
  if (reason === null) return;
  await change(() => api("PUT", `suspensions/${encodeURIComponent(destination)}`, { reason: reason || "suspended by the postmaster" }));
}

async function resume(destination) {
  await change(() => api("DELETE", `suspensions/${encodeURIComponent(destination)}`));
}

async function change(request) {
  try {
    await request();
  } catch (e) {
    if (e instanceof Unauthorized) return showLogin(`Sign-in failed: ${e.message}`);
    $("problem").hidden = false;
    $("problem").textContent = `The change failed: ${e.message}`;
    return;
  }
  poll();
}

// --- bounces and health --------------------------------------------------------------
function drawBounces(events) {
  rows("bounces", events, (e) =>
    el("tr", {},
      el("td", { title: new Date(e.time * 1000).toISOString() }, clock(e.time)),
      el("td", {}, e.recipient || ""),
      el("td", {}, el("span", { class: "badge" }, e.event === "expiry" ? `expired, ${e.classification}` : e.classification || "")),
      el("td", { class: "error-text" }, e.reply || "")));
  $("no-bounces").hidden = events.length > 0;
}

function drawHealth(health) {
  $("host").textContent = health.hostname || "";
  const items = [];
  const j = health.journal;
  if (j) {
    const ms = (v) => (v === null || v === undefined ? "–" : `${v.toFixed(2)} ms`);
    const mean = (value, count) => (count ? `${ms(value)} (${count} commits)` : "no commits");
    items.push(["Journal commit, last minute", mean(j.last_minute_mean_ms, j.commits_last_minute)]);
    items.push(["Journal commit, since start", mean(j.mean_ms, j.commits)]);
  }
  if (health.disk) {
    const { free_bytes: free, total_bytes: total } = health.disk;
    const share = total ? free / total : 0;
    const meter = el("div", { class: "meter" }, el("div", { class: share < 0.1 ? "low" : "" }));
    meter.firstChild.style.width = `${(100 * share).toFixed(1)}%`;
    items.push(["Disk free", el("span", {}, `${bytes(free)} of ${bytes(total)} (${percent(share)})`, meter)]);
  }
  $("health").replaceChildren(...items.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
}

// --- start ---------------------------------------------------------------------------
if (sessionStorage.getItem(KEY)) poll();
else showLogin("");
