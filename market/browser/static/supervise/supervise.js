// The supervisors' dashboard (/supervise). Plain JavaScript modules, no libraries, no network beyond
// this service: it reads the supervision API with the pasted token (kept in sessionStorage only) and
// draws its charts as SVG. Every chart has a data table beside it holding the numbers drawn
// (data-* attributes), so what a supervisor sees can be checked against the API. The pieces every
// page shares (the API client, formatting, the language toggle, the DOM helpers) are ../shared/.
import { createApi } from "../shared/api.js";
import { $, el, svg } from "../shared/dom.js";
import { beijingDate, localDate, localTime, nowClock, num, pct, span, yuan } from "../shared/format.js";
import { createI18n } from "../shared/i18n.js";
import { LABELS, RELATIONSHIPS, STATES, TEXT } from "./labels.js";

const TOKEN_KEY = "market.supervisor.token";

const i18n = createI18n(TEXT);
const state = { token: null, me: null, names: {}, overview: null, alertCursor: null, orderCursor: null, stream: null,
                lastEventId: null, refreshTimer: null };

const t = i18n.t;
const label = (key) => i18n.pick(LABELS[key], key);
const stateLabel = (thing) => (key) => i18n.pick(STATES[thing][key], key);

// --- API -----------------------------------------------------------------------------------------
const client = createApi({ token: () => state.token, onUnauthorized: () => signOut(t("badToken")) });
const api = (path) => client.get(path);

function selectedDistricts() {
  return [...document.querySelectorAll("#districts input:checked")].map((box) => box.value);
}

function scopeQuery() {
  const params = new URLSearchParams();
  const chosen = selectedDistricts();
  if (chosen.length) params.set("districts", chosen.join(","));
  if ($("from").value) params.set("from", $("from").value);
  if ($("to").value) params.set("to", $("to").value);
  return params;
}

// --- sign-in -------------------------------------------------------------------------------------
async function signIn(token) {
  state.token = token;
  $("sign-in-error").textContent = "";
  let me;
  try {
    me = await api("/v1/me");
  } catch (error) {
    signOut(error.status === 401 ? t("badToken") : error.message);
    return;
  }
  if (me.role !== "supervisor") { signOut(t("notSupervisor")); return; }
  sessionStorage.setItem(TOKEN_KEY, token);
  state.me = me;
  const catalogue = await (await fetch("/v1/districts")).json();
  for (const d of catalogue.items) state.names[d.code] = d.name;
  $("who-name").textContent = me.display_name;
  const box = $("districts");
  box.replaceChildren(...me.districts.map((code) => el("label", {},
    el("input", { type: "checkbox", value: code, checked: "checked", "data-district": code }), " ",
    state.names[code] || code)));
  $("from").value ||= beijingDate(29);
  $("to").value ||= beijingDate(0);
  showSignedIn(true);
  document.body.dataset.state = "loading";
  await loadAll();
  openStream();
}

// Signed out: the sign-in card alone. Signed in: the board, the name and 退出 (never both).
function showSignedIn(signedIn) {
  $("sign-in").hidden = signedIn;
  for (const id of ["board", "who-name", "sign-out"]) $(id).hidden = !signedIn;
}

function signOut(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  state.token = null;
  if (state.stream) state.stream.abort();
  showSignedIn(false);
  $("sign-in-error").textContent = message || "";
  document.body.dataset.state = "signed-out";
}

// --- loading -------------------------------------------------------------------------------------
async function loadAll() {
  document.body.dataset.state = "loading";
  try {
    const [overview] = await Promise.all([api("/v1/supervision/overview?" + scopeQuery()), loadAlerts(true),
                                          loadOrders(true), loadCases(), loadColours(), loadSigning(),
                                          loadEveryday(), loadAgencies()]);
    state.overview = overview;
    renderOverview(overview);
    document.body.dataset.state = "ready";
  } catch (error) {
    if (state.token) {
      document.body.dataset.state = "error";
      $("kpis").replaceChildren(el("div", { class: "panel error" }, error.message));
    }
  }
}

function renderOverview(o) {
  const k = o.totals;
  const lastDay = o.series[o.series.length - 1] || {};
  // Every figure with its unit: counts in 单/个/人/笔, time in 分钟 or 小时, money in ¥ (two decimals).
  const ttf = k.median_time_to_fill_seconds;
  const cards = [
    ["kOrders", num(k.orders_posted), t("unitOrders"), "orders_posted"],
    ["kSeats", num(k.seats_posted), t("unitSeats"), "seats_posted"],
    ["kFilled", num(k.seats_filled), t("unitSeats"), "seats_filled"],
    ["kRate", k.fill_rate === null ? "—" : (k.fill_rate * 100).toFixed(1), "%", "fill_rate"],
    ["kTtf", ttf === null ? "—" : ttf < 3600 ? String(Math.round(ttf / 60)) : (ttf / 3600).toFixed(1),
     ttf !== null && ttf >= 3600 ? t("hours") : t("minutes"), "median_time_to_fill_seconds"],
    ["kWorkers", num(k.workers_active), t("person"), "workers_active"],
    ["kHours", num(k.hours_worked), t("hours"), "hours_worked"],
    ["kGross", yuan(k.gross_paid_fen), "", "gross_paid_fen"],
    ["kBelow", num(k.below_minimum_orders), t("unitOrders"), "below_minimum_orders", true],
    ["kArrears", num(lastDay.open_arrears ?? 0), t("unitCases"), "open_arrears", true],
    ["kArrearsFen", yuan(lastDay.open_arrears_fen ?? 0), "", "open_arrears_fen", true],
  ];
  $("kpis").replaceChildren(...cards.map(([key, value, unit, field, alarm]) =>
    el("div", { class: "kpi" + (alarm ? " alert" : ""), "data-kpi": field },
      el("div", { class: "label" }, t(key)), el("div", { class: "value" }, value, el("span", { class: "unit" }, unit)))));
  chartOrders(o.series);
  chartRelationships(o.totals);
  chartPay(o.series);
  chartArrears(o.series);
  renderFlows(o.shared_flows);
}

// --- charts --------------------------------------------------------------------------------------
const W = 640, H = 240, PAD = { l: 48, r: 12, t: 28, b: 30 };

function frame(container, maxValue, dates, formatY = (v) => num(v)) {
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img" });
  const top = maxValue > 0 ? niceCeil(maxValue / 4) * 4 : 4;
  const y = (v) => PAD.t + (H - PAD.t - PAD.b) * (1 - v / top);
  for (let i = 0; i <= 4; i++) {
    const value = (top * i) / 4;
    root.append(svg("line", { x1: PAD.l, x2: W - PAD.r, y1: y(value), y2: y(value), stroke: "#eef1f4" }));
    root.append(svg("text", { x: PAD.l - 6, y: y(value) + 4, "text-anchor": "end" }, formatY(value)));
  }
  const step = (W - PAD.l - PAD.r) / Math.max(dates.length, 1);
  const x = (i) => PAD.l + step * i + step / 2;
  const every = Math.ceil(dates.length / 8);
  dates.forEach((d, i) => {
    if (i % every === 0) root.append(svg("text", { x: x(i), y: H - 10, "text-anchor": "middle" }, d.slice(5)));
  });
  container.replaceChildren(root);
  return { root, x, y, step };
}

function niceCeil(v) {
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function legend(root, items) {
  let x = PAD.l;
  const g = svg("g", { class: "legend" });
  for (const [name, color, dashed] of items) {
    g.append(svg("rect", { x, y: 8, width: 12, height: dashed ? 3 : 10, fill: color }));
    g.append(svg("text", { x: x + 16, y: 17 }, name));
    x += 24 + name.length * 12;
  }
  root.append(g);
}

function polyline(root, points, color, dashed) {
  root.append(svg("polyline", { points: points.map(([a, b]) => `${a},${b}`).join(" "), fill: "none", stroke: color,
                                "stroke-width": 2, "stroke-dasharray": dashed ? "5 4" : "none" }));
}

function dataTable(container, chart, columns, rows) {
  const table = el("table", { "data-chart": chart },
    el("thead", {}, el("tr", {}, ...columns.map(([, title]) => el("th", {}, title)))),
    el("tbody", {}, ...rows.map((row) => {
      const tr = el("tr", {});
      for (const [field, , format] of columns) {
        tr.setAttribute("data-" + field.replaceAll("_", "-"), row[field] ?? "");
        tr.append(el("td", {}, format ? format(row[field]) : row[field] ?? "—"));
      }
      return tr;
    })));
  container.replaceChildren(table);
}

function chartOrders(series) {
  const box = $("chart-orders");
  const dates = series.map((d) => d.date);
  const max = Math.max(0, ...series.map((d) => Math.max(d.seats_posted, d.orders_posted)));
  const { root, x, y, step } = frame(box.querySelector(".svg"), max, dates);
  const w = Math.max(2, step * 0.35);
  series.forEach((d, i) => {
    root.append(svg("rect", { x: x(i) - w, y: y(d.seats_posted), width: w, height: y(0) - y(d.seats_posted),
                              fill: "#7aa6d6" }));
    root.append(svg("rect", { x: x(i), y: y(d.seats_filled), width: w, height: y(0) - y(d.seats_filled),
                              fill: "#12355b" }));
  });
  polyline(root, series.map((d, i) => [x(i), y(d.orders_posted)]), "#b35c00");
  legend(root, [[t("seatsPosted"), "#7aa6d6"], [t("seatsFilled"), "#12355b"], [t("ordersPosted"), "#b35c00", true]]);
  dataTable(box.querySelector(".table"), "orders", [["date", t("date")], ["orders_posted", t("ordersPosted"), num],
    ["seats_posted", t("seatsPosted"), num], ["seats_filled", t("seatsFilled"), num], ["fill_rate", t("kRate"), pct]],
    series);
}

function chartRelationships(totals) {
  const box = $("chart-relationships");
  const rows = RELATIONSHIPS.map((r) => ({ relationship: r, name: label(r), ...totals.by_relationship[r] }));
  const max = Math.max(1, ...rows.map((r) => Math.max(r.seats_posted, r.orders_posted)));
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img" });
  const barArea = W - 190;
  rows.forEach((r, i) => {
    const top = 34 + i * 50;
    root.append(svg("text", { x: 120, y: top + 14, "text-anchor": "end", class: "category" }, r.name));
    const wide = (v) => (barArea * v) / max;
    root.append(svg("rect", { x: 130, y: top, width: wide(r.seats_posted), height: 14, fill: "#7aa6d6" }));
    root.append(svg("rect", { x: 130, y: top + 16, width: wide(r.seats_filled), height: 14, fill: "#12355b" }));
    root.append(svg("text", { x: 134 + wide(r.seats_posted), y: top + 11 }, `${r.seats_posted}`));
    root.append(svg("text", { x: 134 + wide(r.seats_filled), y: top + 27 }, `${r.seats_filled}`));
  });
  legend(root, [[t("seatsPosted"), "#7aa6d6"], [t("seatsFilled"), "#12355b"]]);
  box.querySelector(".svg").replaceChildren(root);
  dataTable(box.querySelector(".table"), "relationships", [["relationship", t("type"), label],
    ["orders_posted", t("ordersPosted"), num], ["seats_posted", t("seatsPosted"), num],
    ["seats_filled", t("seatsFilled"), num], ["hours_worked", t("kHours"), num],
    ["gross_paid_fen", t("gross"), yuan], ["below_minimum_orders", t("kBelow"), num]], rows);
}

function chartPay(series) {
  const box = $("chart-pay");
  const dates = series.map((d) => d.date);
  const values = series.flatMap((d) => [d.avg_hourly_posted_fen, d.avg_hourly_paid_fen, d.minimum_hourly_fen])
    .filter((v) => v !== null);
  const { root, x, y } = frame(box.querySelector(".svg"), Math.max(0, ...values), dates, (v) => (v / 100).toFixed(0));
  polyline(root, series.map((d, i) => [x(i), y(d.minimum_hourly_fen ?? 0)]), "#b3261e", true);
  for (const [field, color] of [["avg_hourly_posted_fen", "#12355b"], ["avg_hourly_paid_fen", "#1b7f3b"]]) {
    series.forEach((d, i) => {
      if (d[field] === null) return;
      const below = d.minimum_hourly_fen !== null && d[field] < d.minimum_hourly_fen;
      root.append(svg("circle", { cx: x(i), cy: y(d[field]), r: 4, fill: below ? "#b3261e" : color,
                                  stroke: color, "stroke-width": 1.5 }));
    });
  }
  legend(root, [[t("avgPosted"), "#12355b"], [t("avgPaid"), "#1b7f3b"], [t("minimum"), "#b3261e", true]]);
  dataTable(box.querySelector(".table"), "pay", [["date", t("date")], ["avg_hourly_posted_fen", t("avgPosted"), yuan],
    ["avg_hourly_paid_fen", t("avgPaid"), yuan], ["minimum_hourly_fen", t("minimum"), yuan]], series);
}

function chartArrears(series) {
  const box = $("chart-arrears");
  const dates = series.map((d) => d.date);
  const { root, x, y, step } = frame(box.querySelector(".svg"), Math.max(0, ...series.map((d) => d.open_arrears_fen)),
                                     dates, (v) => (v / 100).toFixed(0));
  const w = Math.max(2, step * 0.6);
  series.forEach((d, i) => {
    root.append(svg("rect", { x: x(i) - w / 2, y: y(d.open_arrears_fen), width: w, height: y(0) - y(d.open_arrears_fen),
                              fill: "#b3261e", opacity: 0.8 }));
  });
  legend(root, [[t("openArrearsFen") + "（" + t("yuan") + "）", "#b3261e"]]);
  dataTable(box.querySelector(".table"), "arrears", [["date", t("date")], ["open_arrears", t("openArrears"), num],
    ["open_arrears_fen", t("openArrearsFen"), yuan]], series);
}

function renderFlows(flows) {
  const box = $("shared-flows");
  if (!flows.length) { box.replaceChildren(el("div", { class: "empty" }, t("none"))); return; }
  box.replaceChildren(el("table", { "data-table": "shared-flows" },
    el("thead", {}, el("tr", {}, ...[t("district"), t("lender"), t("borrower"), t("workers"), t("workerDays")]
      .map((h) => el("th", {}, h)))),
    el("tbody", {}, ...flows.map((f) => el("tr", { "data-workers": f.workers, "data-worker-days": f.worker_days },
      el("td", {}, state.names[f.district_code] || f.district_code), el("td", {}, f.lender_name),
      el("td", {}, f.borrower_name), el("td", { class: "num" }, f.workers), el("td", { class: "num" }, f.worker_days))))));
}

// --- alerts and orders ----------------------------------------------------------------------------
// What tells an alert from its neighbours: the figures (rate against the minimum, per hour) and, for
// an alert about one seat, its worker (masked) and the shift's start.
function alertDetail(a) {
  const parts = [];
  const d = a.details || {};
  if (Number.isInteger(d.hourly_rate_fen) && Number.isInteger(d.hourly_minimum_fen)) {
    parts.push(`${t("rate")} ${yuan(d.hourly_rate_fen)}/${t("hours")} < ${t("minimum")} ${yuan(d.hourly_minimum_fen)}/${t("hours")}`);
  } else if (a.category === "below_minimum" && Number.isInteger(d.hourly_equivalent_fen)) {
    parts.push(`${t("rate")} ${yuan(d.hourly_equivalent_fen)}/${t("hours")}`);
  } else if (a.category === "red_flag" && Number.isInteger(d.open_arrears)) {
    parts.push(`${t("openArrears")} ${d.open_arrears} ${t("unitCases")}`);
  }
  if (a.worker_name) parts.push(a.worker_name);
  if (a.shift_starts_at) parts.push(`${t("shift")} ${localTime(a.shift_starts_at)}`);
  return parts.join(" · ") || "—";
}

// A red flag is about an employer: its link lists that employer's arrears (the alerts, filtered).
function showEmployerArrears(organisationId, name) {
  state.organisation = { id: organisationId, name };
  $("alert-kind").value = "arrears";
  $("alert-status").value = "";
  loadAlerts(true);
}

function alertLink(a) {
  if (a.category === "red_flag" && a.organisation_id) {
    return el("button", { type: "button", class: "link order", "data-employer": a.organisation_id,
                          onclick: () => showEmployerArrears(a.organisation_id, a.organisation_name) }, t("viewArrears"));
  }
  if (a.order_id) {
    return el("button", { type: "button", class: "link order", onclick: () => showOrder(a.order_id) }, t("viewOrder"));
  }
  return "";
}

async function loadAlerts(reset) {
  const params = scopeQuery();
  for (const [field, id] of [["kind", "alert-kind"], ["status", "alert-status"], ["sort", "alert-sort"]]) {
    if ($(id).value) params.set(field, $(id).value);
  }
  if (state.organisation) params.set("organisation_id", state.organisation.id);
  params.set("limit", "20");
  if (!reset && state.alertCursor) params.set("cursor", state.alertCursor);
  const page = await api("/v1/supervision/alerts?" + params);
  state.alertCursor = page.next_cursor;
  $("alerts-more").hidden = !page.next_cursor;
  const chip = state.organisation ? [el("span", { class: "tag filter", id: "alert-employer" },
    `${t("employer")}：${state.organisation.name || state.organisation.id} `,
    el("button", { type: "button", class: "link", "aria-label": t("clearFilter"),
                   onclick: () => { state.organisation = null; loadAlerts(true); } }, "✕"))] : [];
  const counts = Object.entries(page.counts).flatMap(([category, byStatus]) =>
    Object.entries(byStatus).map(([status, n]) => el("span", { class: `tag ${status}`, "data-count": `${category}:${status}` },
      `${label(category)} · ${stateLabel("alert")(status)} ${n}`)));
  $("alert-counts").replaceChildren(...chip, ...counts);
  let body = document.querySelector("#alerts tbody");
  if (reset || !body) {
    body = el("tbody", {});
    $("alerts").replaceChildren(el("table", { "data-table": "alerts" }, el("thead", {}, el("tr", {},
      ...[t("at"), t("category"), t("kind"), t("district"), t("employer"), t("amount"), t("detail"), t("overdue"),
          t("status"), ""].map((h) => el("th", {}, h)))), body));
  }
  for (const a of page.items) {
    body.append(el("tr", { "data-alert": a.id, "data-category": a.category, "data-kind": a.kind },
      el("td", {}, localTime(a.at)), el("td", {}, label(a.category)), el("td", {}, label(a.kind)),
      el("td", {}, state.names[a.district_code] || a.district_code || "—"), el("td", {}, a.organisation_name || "—"),
      el("td", { class: "num" }, yuan(a.amount_fen)),
      el("td", { class: "detail" }, alertDetail(a)), el("td", { class: "num" }, a.days_overdue ?? "—"),
      el("td", {}, el("span", { class: `tag ${a.status}` }, stateLabel("alert")(a.status))),
      el("td", {}, alertLink(a))));
  }
  if (!body.children.length) body.append(el("tr", {}, el("td", { colspan: 10, class: "empty" }, t("none"))));
}

async function loadOrders(reset) {
  const params = scopeQuery();
  params.set("limit", "20");
  if (!reset && state.orderCursor) params.set("cursor", state.orderCursor);
  const page = await api("/v1/supervision/orders?" + params);
  state.orderCursor = page.next_cursor;
  $("orders-more").hidden = !page.next_cursor;
  let body = document.querySelector("#orders tbody");
  if (reset || !body) {
    body = el("tbody", {});
    $("orders").replaceChildren(el("table", { "data-table": "orders" }, el("thead", {}, el("tr", {},
      ...[t("at"), t("title2"), t("employer"), t("district"), t("type"), t("pay"), t("seats"), t("state")]
        .map((h) => el("th", {}, h)))), body));
  }
  for (const o of page.items) {
    body.append(el("tr", { "data-order": o.id },
      el("td", {}, localTime(o.created_at)),
      el("td", {}, el("button", { type: "button", class: "link order", onclick: () => showOrder(o.id) }, o.title)),
      el("td", {}, o.employer_name), el("td", {}, state.names[o.district_code] || o.district_code),
      el("td", {}, label(o.relationship_type)),
      el("td", { class: "num" }, yuan(o.hourly_equivalent_fen) + "/" + t("hours") + (o.below_minimum_wage ? " ⚠" : "")),
      el("td", { class: "num" }, `${o.seats_filled}/${o.seats}`), el("td", {}, stateLabel("order")(o.state))));
  }
  if (!body.children.length) body.append(el("tr", {}, el("td", { colspan: 8, class: "empty" }, t("none"))));
}

// Cases and colours come for all the supervisor's districts; the panels show the chosen ones.
function inScope(districtCode) {
  const chosen = selectedDistricts();
  return !chosen.length || chosen.includes(districtCode);
}

function table(name, headings, rows, colspan) {
  const body = el("tbody", {}, ...rows);
  if (!rows.length) body.append(el("tr", {}, el("td", { colspan, class: "empty" }, t("none"))));
  return el("table", { "data-table": name }, el("thead", {}, el("tr", {}, ...headings.map((h) => el("th", {}, h)))), body);
}

// 投诉与申诉: every case of the chosen districts with its clock; an open clock that ran out is marked.
async function loadCases() {
  const page = await api("/v1/cases");
  const now = Date.now();
  const rows = page.items.filter((c) => inScope(c.district_code)).map((c) => {
    const overdue = c.due_at && new Date(c.due_at).getTime() < now;
    return el("tr", { "data-case": c.id, "data-state": c.state, "data-overdue": overdue ? "true" : "false" },
      el("td", {}, localTime(c.created_at)), el("td", {}, label(c.kind)),
      el("td", {}, state.names[c.district_code] || c.district_code),
      el("td", {}, stateLabel("case")(c.state) + (c.outcome ? `（${label(c.outcome)}）` : "")
        + (c.taken_over ? ` · ${t("takenOver")}` : "")),
      el("td", { class: overdue ? "overdue" : "" }, c.due_at ? localTime(c.due_at) + (overdue ? ` ${t("overdueMark")}` : "") : "—"));
  });
  $("cases").replaceChildren(table("cases", [t("opened"), t("kind"), t("district"), t("state"), t("dueAt")], rows, 5));
}

// 书面协议签署率: signed and unsigned agreements by district and relationship type (docs/agreements.md).
async function loadSigning() {
  const page = await api("/v1/supervision/agreements/signing-rates");
  const rows = page.items.filter((r) => inScope(r.district_code)).map((r) =>
    el("tr", { "data-district-code": r.district_code, "data-relationship": r.relationship_type,
               "data-signed": r.signed, "data-unsigned": r.unsigned },
      el("td", {}, state.names[r.district_code] || r.district_code), el("td", {}, label(r.relationship_type)),
      el("td", { class: "num" }, `${num(r.signed)} ${t("unitAgreements")}`),
      el("td", { class: "num" }, `${num(r.unsigned)} ${t("unitAgreements")}`), el("td", { class: "num" }, pct(r.rate))));
  $("signing").replaceChildren(table("signing", [t("district"), t("type"), t("signed"), t("unsigned"), t("signingRate")],
                                     rows, 5));
}

// 诚信评级: each employer of the chosen districts with its colour and what set it.
async function loadColours() {
  const page = await api("/v1/supervision/colours");
  const rows = page.items.filter((c) => inScope(c.district_code)).map((c) =>
    el("tr", { "data-organisation": c.organisation_id, "data-colour": c.colour },
      el("td", {}, c.name), el("td", {}, state.names[c.district_code] || c.district_code),
      el("td", {}, el("span", { class: `colour ${c.colour}` }, label(c.colour))),
      el("td", {}, c.reasons.map(label).join("；"))));
  $("colours").replaceChildren(table("colours", [t("employer"), t("district"), t("colour"), t("colourReasons")], rows, 4));
}

// 用工日常: favourites-first pools, recurring orders, standby seats and daily pay per district, over
// the chosen dates (standbys by their shift's start; daily pay as of now; docs/supervision.md).
async function loadEveryday() {
  const page = await api("/v1/supervision/everyday?" + scopeQuery());
  const rows = page.items.map((r) =>
    el("tr", { "data-district-code": r.district_code, "data-pool-orders": r.pool_orders,
               "data-recurring-orders": r.recurring_orders, "data-standby-on-call": r.standby_on_call,
               "data-daily-pay": r.daily_pay_workers },
      el("td", {}, state.names[r.district_code] || r.district_code),
      el("td", { class: "num" }, `${num(r.pool_orders)} ${t("unitOrders")}`),
      el("td", { class: "num" }, `${num(r.pool_favourites)} / ${num(r.pool_book_again)} / ${num(r.pool_agency)}`),
      el("td", { class: "num" }, `${num(r.recurring_orders)} / ${num(r.recurring_series)}`),
      el("td", { class: "num" }, `${num(r.standby_on_call)} ${t("person")}`),
      el("td", { class: "num" }, `${num(r.standby_called)} ${t("person")}`),
      el("td", { class: "num" }, `${num(r.standby_paid)} ${t("person")} · ${yuan(r.standby_paid_fen)}`),
      el("td", { class: "num" }, `${num(r.daily_pay_workers)} ${t("person")}`)));
  $("everyday").replaceChildren(table("everyday", [t("district"), t("poolOrders"), t("poolPlaces"), t("recurring"),
    t("standbyOnCall"), t("standbyCalled"), t("standbyPaid"), t("dailyPay")], rows, 8));
}

// 人力资源服务机构: placements (帮助实现就业或流动 人次), fill, complaints and arrears per agency.
async function loadAgencies() {
  const page = await api("/v1/supervision/agencies");
  const rows = page.items.filter((a) => inScope(a.district_code)).map((a) =>
    el("tr", { "data-agency": a.agency_organisation_id, "data-placements": a.placements },
      el("td", {}, a.name), el("td", {}, state.names[a.district_code] || a.district_code),
      el("td", { class: "num" }, `${num(a.placements)} ${t("person")}`),
      el("td", { class: "num" }, `${num(a.filled)} / ${num(a.seats)} · ${pct(a.fill_rate)}`),
      el("td", { class: "num" }, num(a.complaints)),
      el("td", { class: "num" }, `${num(a.open_arrears)} · ${yuan(a.open_arrears_fen)}`)));
  $("agencies").replaceChildren(table("agencies", [t("agency"), t("district"), t("placements"), t("fillRate"),
    t("complaints"), t("openArrears")], rows, 6));
}

function simpleTable(title, columns, rows, attrs = {}) {
  return el("div", attrs, el("h4", {}, `${title}（${rows.length}）`), rows.length ? el("table", {},
    el("thead", {}, el("tr", {}, ...columns.map(([, h]) => el("th", {}, h)))),
    el("tbody", {}, ...rows.map((r) => el("tr", r._attrs || {}, ...columns.map(([f, , fmt]) =>
      el("td", {}, fmt ? fmt(r[f], r) : r[f] ?? "—")))))) : el("div", { class: "empty" }, t("none")));
}


// 派工: one row per assignment, by shift, under a heading row per local date, so that a worker on
// several shifts reads as several dated rows.
function assignmentsTable(assignments) {
  const rows = [...assignments].sort((a, b) => a.starts_at.localeCompare(b.starts_at) || a.id.localeCompare(b.id));
  const columns = [[t("shiftTime")], [t("worker")], [t("idMasked")], [t("rate")], [t("state")], [t("timesheet")],
                   [t("approvedMinutes")]];
  const body = [];
  let day = null;
  for (const a of rows) {
    const today = localDate(a.starts_at);
    if (today !== day) {
      day = today;
      body.push(el("tr", { class: "group", "data-date": today }, el("th", { colspan: columns.length, scope: "rowgroup" }, today)));
    }
    body.push(el("tr", { "data-assignment": a.id, "data-date": today },
      el("td", {}, span(a.starts_at, a.ends_at)), el("td", {}, a.worker_name), el("td", {}, a.id_number_masked),
      el("td", { class: "num" }, `${yuan(a.rate_fen)}/${t("hours")}`), el("td", {}, stateLabel("assignment")(a.state)),
      el("td", {}, stateLabel("timesheet")(a.timesheet_state)), el("td", { class: "num" }, num(a.approved_minutes))));
  }
  return el("div", { "data-table": "assignments" }, el("h4", {}, `${t("assignments")}（${rows.length}）`),
    rows.length ? el("table", {}, el("thead", {}, el("tr", {}, ...columns.map(([h]) => el("th", {}, h)))),
                     el("tbody", {}, ...body)) : el("div", { class: "empty" }, t("none")));
}

// 应发/实发 of a shared-labor settlement are the lender's: the wage leg it owes its employee.
const settlementGross = (gross, r) => yuan(r.wage_leg_amount_fen ?? gross);
const settlementNet = (net, r) => (r.wage_leg_amount_fen !== null && r.wage_leg_amount_fen !== undefined
  ? (r.wage_leg_confirmed_at ? t("lenderPaid") : t("lenderUnconfirmed")) : yuan(net));
const owedBasis = (basis) => t("basis_" + basis);

async function showOrder(id) {
  const o = await api(`/v1/supervision/orders/${id}`);
  const box = $("order-detail");
  box.hidden = false;
  box.setAttribute("data-order", o.id);
  const shiftStart = Object.fromEntries(o.shifts.map((s) => [s.id, s.starts_at]));
  const bids = o.bids.map((b) => ({ ...b, shift_starts_at: shiftStart[b.shift_id] ?? null }));
  box.replaceChildren(
    el("div", { class: "bar" }, el("h3", {}, `${o.title} · ${o.employer_name}`),
       el("button", { type: "button", class: "secondary", onclick: () => { box.hidden = true; } }, t("close"))),
    el("p", {}, `${label(o.kind)} · ${label(o.relationship_type)} · ${state.names[o.district_code] || o.district_code}` +
       ` · ${yuan(o.hourly_equivalent_fen)}/${t("hours")} · ${stateLabel("order")(o.state)}`),
    simpleTable(t("arrearsOwed"), [["worker_name", t("worker")], ["starts_at", t("shift"), localTime],
      ["kind", t("kind"), label], ["amount_owed_fen", t("amountOwed"), yuan], ["amount_basis", t("basis"), owedBasis],
      ["due_date", t("dueDate")], ["days_overdue", t("overdue")],
      ["cleared_at", t("status"), (v) => stateLabel("alert")(v ? "cleared" : "open")]],
      o.arrears.map((r) => ({ ...r, _attrs: { "data-arrear": r.id } })), { "data-table": "arrears" }),
    simpleTable(t("shifts"), [["starts_at", t("at"), localTime], ["headcount", t("seats")], ["filled", t("seatsFilled")]],
                o.shifts),
    simpleTable(t("bids"), [["shift_starts_at", t("shift"), localTime], ["worker_name", t("worker")],
                            ["lender_name", t("lender")], ["rate_fen", t("rate"), yuan],
                            ["state", t("state"), stateLabel("bid")]], bids),
    assignmentsTable(o.assignments),
    simpleTable(t("settlements"), [["worker_name", t("worker")], ["shift_date", t("date")],
      ["gross_fen", t("gross"), settlementGross], ["income_tax_withheld_fen", t("tax"), yuan],
      ["net_pay_fen", t("net"), settlementNet], ["due_date", t("dueDate")]], o.settlements, { "data-table": "settlements" }),
    simpleTable(t("compensations"), [["worker_name", t("worker")], ["amount_fen", t("amount"), yuan],
      ["reason", t("reason")]], o.compensations));
  box.scrollIntoView({ behavior: "smooth" });
}

// --- export ---------------------------------------------------------------------------------------
async function exportCsv(dataset) {
  const params = scopeQuery();
  params.set("dataset", dataset);
  let response;
  try {
    response = await client.request("/v1/supervision/export.csv?" + params, { raw: true });
  } catch (_) { return; }
  const url = URL.createObjectURL(await response.blob());
  const link = el("a", { href: url, download: `监管-${dataset}-${$("from").value}-${$("to").value}.csv` });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

// --- live updates (SSE over fetch: EventSource cannot send the Authorization header) ---------------
async function openStream() {
  if (state.stream) state.stream.abort();
  const controller = new AbortController();
  state.stream = controller;
  const params = new URLSearchParams();
  if (selectedDistricts().length) params.set("districts", selectedDistricts().join(","));
  const headers = client.authHeaders();
  if (state.lastEventId !== null) headers["Last-Event-ID"] = String(state.lastEventId);
  try {
    const response = await fetch("/v1/supervision/events?" + params, { headers, signal: controller.signal });
    if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
    $("live").className = "live on";
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        handleEvent(buffer.slice(0, cut));
        buffer = buffer.slice(cut + 2);
      }
    }
  } catch (error) {
    if (controller.signal.aborted) return;
  }
  $("live").className = "live off";
  if (state.token && state.stream === controller) setTimeout(openStream, 2000);
}

function handleEvent(block) {
  const fields = {};
  for (const line of block.split("\n")) {
    if (!line || line.startsWith(":")) continue;
    const at = line.indexOf(":");
    fields[line.slice(0, at)] = line.slice(at + 1).trimStart();
  }
  if (fields.id) state.lastEventId = Number(fields.id);
  if (!fields.event) return;
  const item = el("li", { "data-event": fields.event }, `${nowClock()} ` +
    `${fields.event}`);
  $("feed").prepend(item);
  $("feed-empty").hidden = true;
  while ($("feed").children.length > 50) $("feed").lastChild.remove();
  clearTimeout(state.refreshTimer);
  state.refreshTimer = setTimeout(loadAll, 1500);  // several events in a burst: one reload
}

// --- language -------------------------------------------------------------------------------------
function applyLanguage() {
  i18n.apply();
  for (const node of document.querySelectorAll("option[data-label]")) node.textContent = label(node.dataset.label);
  for (const node of document.querySelectorAll("option[data-alert-state]")) {
    node.textContent = stateLabel("alert")(node.dataset.alertState);
  }
  $("lang").textContent = i18n.otherName();
  if (state.overview) renderOverview(state.overview);
  if (state.token) {
    loadAlerts(true); loadOrders(true); loadCases(); loadColours(); loadSigning(); loadEveryday(); loadAgencies();
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("sign-in-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const token = $("token").value.trim();
    if (token) signIn(token);
  });
  $("sign-out").addEventListener("click", () => signOut(""));
  $("apply").addEventListener("click", () => { loadAll(); openStream(); });
  for (const id of ["alert-kind", "alert-status", "alert-sort"]) $(id).addEventListener("change", () => loadAlerts(true));
  $("alerts-more").addEventListener("click", () => loadAlerts(false));
  $("orders-more").addEventListener("click", () => loadOrders(false));
  for (const button of document.querySelectorAll("[data-export]")) {
    button.addEventListener("click", () => exportCsv(button.dataset.export));
  }
  i18n.onChange(applyLanguage);
  $("lang").addEventListener("click", () => i18n.toggle());
  const saved = sessionStorage.getItem(TOKEN_KEY);
  if (saved) signIn(saved);
});
