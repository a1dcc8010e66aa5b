// The employers' console (/console, docs/console.md): a client of the public API only. It signs up
// and in with a password (the token kept in sessionStorage), shows the escrow and declares deposits,
// posts orders with a form whose limits and choices come from /openapi.json and the catalogue,
// follows orders, bids and allocation runs live from the employer's event stream, approves or
// disputes timesheets, and lists invoices and statements. The shared pieces (API client, money and
// Beijing time, the language toggle, errors beside their fields, the event stream) are ../shared/.
import { createApi } from "../shared/api.js";
import { $, el } from "../shared/dom.js";
import { clearProblems, showProblem } from "../shared/errors.js";
import { beijingDate, beijingMoment, clock, fenOf, localDate, localTime, span, yuan } from "../shared/format.js";
import { createI18n } from "../shared/i18n.js";
import { openStream } from "../shared/stream.js";
import { ARREARS_KINDS, CASE_KINDS, CASE_MOVES, CASE_OUTCOMES, CASE_ROLES, CASE_STATES, CONSENT_STATES, DELIVERY_STATES, EMPLOYMENT_STATES, ENTRY_KINDS, INVOICE_KINDS, MEMBER_ROLES, INVOICE_STATES, OCCURRENCE_STATES, ORDER_STATES, OFFER_STATES, OUTCOMES, PAY_UNITS, REASONS,
  RELATION_KINDS, RELATIONSHIPS, RUN_STATES, SERIES_STATES, TEXT, TIMESHEET_STATES, WEEKDAYS } from "./labels.js";

const TOKEN_KEY = "market.employer.token";
const i18n = createI18n(TEXT);
const t = i18n.t;
const pick = (table, code) => i18n.pick(table[code], code);
const state = {
  token: sessionStorage.getItem(TOKEN_KEY), me: null, stream: null, tab: "escrow",
  orders: new Map(), openOrder: null, bids: [], ratings: new Map(), run: null, runTimer: null, reloadTimer: null,
  // assignment id -> {order_id, shift_id, title, worker_name, start, end, minutes, state}: GET /v1/employers/me/timesheets
  openCase: null, timesheets: new Map(), tsView: "all", tsCursor: null, tsPages: 1, offers: [], statement: null, invoices: [],
};
const api = createApi({ token: () => state.token, onUnauthorized: () => signOut() });
const banner = () => $("banner");
const formBanner = (form) => form.querySelector(".form-banner");

// --- sign-up and sign-in ---------------------------------------------------------------------------
async function signIn(login, password) {
  const issued = await api.post("/v1/auth/tokens", { login, password });
  if (issued.role !== "employer") {  // a worker's or staff's login: give the token back, say why
    fetch("/v1/auth/tokens/current", { method: "DELETE", headers: { Authorization: `Bearer ${issued.token}` } }).catch(() => {});
    throw new Error(t("notEmployer"));
  }
  state.token = issued.token;
  sessionStorage.setItem(TOKEN_KEY, issued.token);
  await start();
}

async function start() {
  try {
    state.me = await api.get("/v1/me");
  } catch (error) { signOut(); return; }
  $("who").textContent = state.me.display_name;
  for (const id of ["who", "sign-out", "console"]) $(id).hidden = false;
  $("auth").hidden = true;
  document.body.dataset.state = "ready";
  await Promise.all([loadBalance(), loadOrders(), buildOrderForm()]);
  state.stream = openStream(api, "/v1/employers/me/events", {
    onEvent: handleEvent,
    onState: (on) => { $("live").className = `live ${on ? "on" : "off"}`; $("live").textContent = t(on ? "live" : "offline"); },
  });
  show(state.tab);
}

function signOut() {
  if (state.token) api.request("/v1/auth/tokens/current", { method: "DELETE" }).catch(() => {});
  sessionStorage.removeItem(TOKEN_KEY);
  state.token = null;
  if (state.stream) state.stream.close();
  for (const id of ["who", "sign-out", "console"]) $(id).hidden = true;
  $("auth").hidden = false;
  document.body.dataset.state = "signed-out";
}

function formValues(form) {
  return Object.fromEntries(new FormData(form).entries());
}

async function submitting(form, action) {
  clearProblems(form, formBanner(form));
  const button = form.querySelector("button[type=submit]");
  if (button) button.disabled = true;
  try {
    await action();
  } catch (error) {
    showProblem(error, { form, banner: formBanner(form) });
  } finally {
    if (button) button.disabled = false;
  }
}

// --- escrow -------------------------------------------------------------------------------------------
async function loadBalance() {
  const balance = await api.get("/v1/employers/me/balance");
  $("available").textContent = yuan(balance.available_fen);
  $("available").dataset.fen = balance.available_fen;
  $("held").textContent = yuan(balance.held_fen);
  $("red-flag").hidden = !balance.red_flag;
}

async function declareDeposit(form) {
  const values = formValues(form);
  const amount = fenOf(values.amount_yuan);
  // a figure that is not an amount goes to the API as it is not (a negative), so its message is the API's
  const deposit = await api.post("/v1/employers/me/deposits",
    { amount_fen: amount ?? -1, bank_reference: values.bank_reference });
  $("deposit-done").textContent = `${t("depositDone")}：${yuan(deposit.amount_fen)}（${deposit.bank_reference}）`;
  form.reset();
  await loadBalance();
}

// --- the order form, built from the rules ---------------------------------------------------------------
let catalogue = null;

function resolve(schema, spec) {
  while (schema && schema.$ref) schema = spec.components.schemas[schema.$ref.split("/").pop()];
  return schema || {};
}

// The gig order's schema as POST /v1/orders states it: each variant of the body's union, the one
// whose `kind` is "gig".
function gigSchema(spec) {
  const body = resolve(spec.paths["/v1/orders"].post.requestBody.content["application/json"].schema, spec);
  const variants = (body.oneOf || body.anyOf || [body]).map((s) => resolve(s, spec));
  return variants.find((s) => {
    const kind = resolve(s.properties?.kind, spec);
    return kind.const === "gig" || (kind.enum || []).includes("gig");
  }) || variants[0];
}

const enumOf = (schema, spec) => {
  const resolved = resolve(schema, spec);
  if (resolved.enum) return resolved.enum;
  for (const part of resolved.anyOf || resolved.oneOf || []) { const found = enumOf(part, spec); if (found.length) return found; }
  return [];
};

function limit(input, schema, spec) {
  const resolved = resolve(schema, spec);
  const parts = [resolved, ...(resolved.anyOf || []).map((s) => resolve(s, spec))];
  for (const part of parts) {
    if (part.minimum !== undefined) input.min = part.minimum;
    if (part.maximum !== undefined) input.max = part.maximum;
    if (part.maxLength !== undefined) input.maxLength = part.maxLength;
  }
  if (resolved.description) input.title = resolved.description;
}

async function buildOrderForm() {
  if (catalogue) return;
  const [spec, districts, skills] = await Promise.all([
    fetch("/openapi.json").then((r) => r.json()), api.get("/v1/districts"), api.get("/v1/skills")]);
  catalogue = { districts: districts.items, skills: skills.items, spec };
  const gig = gigSchema(spec);
  const props = gig.properties;
  const site = resolve(props.site?.anyOf ? props.site.anyOf[0] : props.site, spec).properties || {};
  const shift = resolve(resolve(props.shifts, spec).items, spec).properties || {};
  const pay = resolve(props.pay, spec).properties || {};
  const skill = resolve(resolve(props.skills, spec).items, spec).properties || {};
  const fill = (select, codes, table) => select.replaceChildren(...codes.map((code) =>
    el("option", { value: code, "data-code": code }, table ? pick(table, code) : code)));
  fill($("o-relationship"), enumOf(props.relationship, spec), RELATIONSHIPS);
  fill($("o-unit"), enumOf(pay.unit, spec), PAY_UNITS);
  $("o-skill").replaceChildren(el("option", { value: "", "data-i18n": "noSkill" }, t("noSkill")),
    ...catalogue.skills.map((s) => el("option", { value: s.code, "data-skill": s.code }, i18n.pick([s.name_zh, s.name_en]))));
  limit($("o-title"), props.title, spec);
  limit($("o-description"), props.description, spec);
  limit($("o-address"), site.address, spec);
  limit($("o-radius"), site.check_in_radius_m, spec);
  $("o-radius").value = resolve(site.check_in_radius_m, spec).default ?? 500;
  limit($("o-headcount"), shift.headcount, spec);
  limit($("o-level"), skill.min_level, spec);
  limit($("o-amount"), pay.amount_fen, spec);
  $("o-day").value = beijingDate(-2);
  $("o-day").min = beijingDate(0);
  $("o-lat").value = "29.5531"; $("o-lon").value = "106.5688";
}

function fillDistricts(items) {
  for (const select of document.querySelectorAll("[data-districts]")) {
    select.replaceChildren(...items.map((d) => el("option", { value: d.code }, `${d.name}（${d.code}）`)));
    select.value = "500103";
  }
}

const numberOrText = (text) => (text !== "" && !Number.isNaN(Number(text)) ? Number(text) : text);

// The order's terms as the form holds them: the body of POST /v1/orders without its dates, which is
// also what a template and a recurring order keep (docs/recurring-orders.md).
function termsOf(v) {
  return {
    title: v.title, description: v.description, relationship: v.relationship, district_code: v.district_code,
    site: { lat: numberOrText(v.lat), lon: numberOrText(v.lon), address: v.address,
            check_in_radius_m: numberOrText(v.check_in_radius_m) },
    pay: { unit: v.unit, amount_fen: fenOf(v.pay_amount) ?? v.pay_amount },
    skills: v.skill_code ? [{ skill_code: v.skill_code, min_level: numberOrText(v.min_level) }] : [],
  };
}

async function postOrder(form) {
  const v = formValues(form);
  const terms = termsOf(v);
  // a site of the organisation's (its address, place and radius), or the address typed here
  if (v.site_id) { delete terms.site; terms.site_id = v.site_id; }
  const body = { kind: "gig", ...terms,
    shifts: [{ start: beijingMoment(v.day, v.start_time), end: beijingMoment(v.day, v.end_time),
               headcount: numberOrText(v.headcount) }] };
  const order = await api.post("/v1/orders", body);
  $("posted").textContent = `${t("posted")}：${order.title}`;
  state.orders.set(order.id, order);
  renderOrders();
}

async function postSeries(form) {
  const v = formValues(form);
  const weekdays = [...form.querySelectorAll("input[name=weekday]:checked")].map((box) => Number(box.value));
  const series = await api.post("/v1/recurring-orders", {
    name: v.name || v.title, terms: termsOf(v),
    pattern: { weekdays, start_time: v.start_time, end_time: v.end_time, headcount: numberOrText(v.headcount) },
    start_date: v.day, until_date: v.until_date, skip_holidays: form.querySelector("#o-holidays").checked,
  });
  $("posted").textContent = `${t("seriesPosted")}：${series.name}`;
  await Promise.all([loadSeries(), loadOrders()]);
  await showOccurrences(series.id);
}

async function saveTemplate(form) {
  const v = formValues(form);
  const template = await api.post("/v1/order-templates", { name: v.name || v.title, terms: termsOf(v) });
  $("posted").textContent = `${t("templateSaved")}：${template.name}`;
  await loadTemplates();
}

// --- templates and recurring orders -------------------------------------------------------------------
async function loadTemplates() {
  const page = await api.get("/v1/order-templates?limit=50");
  state.templates = page.items;
  $("templates-empty").hidden = page.items.length > 0;
  $("template-table").tBodies[0].replaceChildren(...page.items.map((tpl) => el("tr", { "data-template": tpl.id },
    el("td", {}, tpl.name), el("td", {}, tpl.terms.title),
    el("td", {}, `${yuan(tpl.terms.pay.amount_fen)}/${pick(PAY_UNITS, tpl.terms.pay.unit)}`),
    el("td", {}, el("button", { type: "button", onclick: () => fillFromTerms(tpl.terms, tpl.name) }, t("useTemplate"))))));
}

function fillFromTerms(terms, name) {
  const set = (id, value) => { $(id).value = value ?? ""; };
  set("o-title", terms.title); set("o-description", terms.description); set("o-relationship", terms.relationship);
  set("o-district", terms.district_code); set("o-address", terms.site.address); set("o-lat", terms.site.lat);
  set("o-lon", terms.site.lon); set("o-radius", terms.site.check_in_radius_m); set("o-unit", terms.pay.unit);
  set("o-amount", (terms.pay.amount_fen / 100).toFixed(2)); set("o-name", name);
  set("o-skill", terms.skills[0]?.skill_code ?? ""); set("o-level", terms.skills[0]?.min_level ?? 1);
  $("o-title").focus();
}

async function loadSeries() {
  const page = await api.get("/v1/recurring-orders?limit=50");
  $("series-empty").hidden = page.items.length > 0;
  $("series-table").tBodies[0].replaceChildren(...page.items.map((series) => el("tr",
    { "data-series": series.id, "data-state": series.state },
    el("td", {}, series.name),
    el("td", {}, series.pattern.weekdays.map((d) => pick(WEEKDAYS, d)).join(i18n.lang === "zh" ? "、" : ", ")),
    el("td", {}, `${series.pattern.start_time.slice(0, 5)}–${series.pattern.end_time.slice(0, 5)} ×${series.pattern.headcount}`),
    el("td", {}, `${series.start_date} – ${series.until_date}`),
    el("td", {}, pick(SERIES_STATES, series.state)),
    el("td", {},
      el("button", { type: "button", "data-occurrences": series.id, onclick: () => showOccurrences(series.id) }, t("occurrences")),
      series.state === "ended" ? "" : el("button", { type: "button", "data-toggle": series.id,
        onclick: () => toggleSeries(series) }, t(series.state === "active" ? "pause" : "resume"))))));
}

async function toggleSeries(series) {
  try {
    await api.request(`/v1/recurring-orders/${series.id}`, { method: "PATCH",
      body: { state: series.state === "active" ? "paused" : "active" } });
    await loadSeries();
  } catch (error) { showProblem(error, { banner: banner() }); }
}

async function showOccurrences(seriesId) {
  const list = await api.get(`/v1/recurring-orders/${seriesId}/occurrences`);
  $("occurrences").dataset.series = seriesId;
  $("occurrences").replaceChildren(...list.items.slice(0, 30).map((o) => el("li",
    { "data-date": o.date, "data-state": o.state },
    `${localDate(o.start)} ${span(o.start, o.end)} ×${o.headcount} · ${pick(OCCURRENCE_STATES, o.state)}`,
    o.problem?.detail ? ` · ${o.problem.detail}` : "")));
}

// --- orders, bids and allocation ------------------------------------------------------------------------
async function loadOrders() {
  const page = await api.get("/v1/orders?limit=50");
  state.orders = new Map(page.items.map((o) => [o.id, o]));
  renderOrders();
}

function renderOrders() {
  const orders = [...state.orders.values()];
  $("orders-empty").hidden = orders.length > 0;
  $("order-list").replaceChildren(...orders.map((order) => el("li", { class: "order", "data-order": order.id },
    el("div", { class: "order-head" },
      el("strong", {}, order.title), " ",
      el("span", { class: `state ${order.state}`, "data-state": order.state }, pick(ORDER_STATES, order.state)), " ",
      el("span", {}, `${pick(RELATIONSHIPS, order.relationship)} · ${yuan(order.pay.amount_fen)}/${pick(PAY_UNITS, order.pay.unit)}`),
      " ", el("span", { "data-live-bids": order.live_bids }, `${t("liveBids")} ${order.live_bids}`)),
    el("ul", { class: "shifts" }, ...order.shifts.map((s) => el("li", { "data-shift": s.id },
      `${localTime(s.start).slice(0, -3)}（${span(s.start, s.end)}） `,
      el("progress", { max: s.headcount, value: s.filled, "aria-label": `${t("fill")} ${s.filled}/${s.headcount}` }),
      el("span", { class: "fill", "data-fill": `${s.filled}/${s.headcount}` }, ` ${t("fill")} ${s.filled}/${s.headcount}`)))),
    el("div", { class: "order-actions" },
      el("button", { type: "button", "data-bids": order.id, onclick: () => openBids(order.id) }, t("bids")),
      el("button", { type: "button", "data-allocate": order.id, onclick: () => allocate(order.id) }, t("allocate"))))));
}

async function ratingOf(workerId) {
  if (!state.ratings.has(workerId)) {
    state.ratings.set(workerId, api.get(`/v1/workers/${workerId}/rating`).catch(() => null));
  }
  return state.ratings.get(workerId);
}

async function openBids(orderId) {
  if (state.openOrder !== orderId) { state.run = null; $("run-panel").hidden = true; }
  state.openOrder = orderId;
  const order = state.orders.get(orderId);
  $("bids-title").textContent = order ? order.title : "";
  $("bids-panel").hidden = false;
  const page = await api.get(`/v1/orders/${orderId}/bids?state=live&limit=100`);
  const ratings = await Promise.all(page.items.map((b) => ratingOf(b.worker_id)));
  // Ranked as the allocator weighs a bid first: the cheaper ask, then the better rating and reliability.
  state.bids = page.items.map((b, i) => ({ ...b, rating: ratings[i] }))
    .sort((a, b) => a.rate_fen - b.rate_fen || (b.rating?.average ?? 0) - (a.rating?.average ?? 0)
      || b.worker_reliability - a.worker_reliability);
  renderBids();
  await loadOffers(orderId);
}

// The order's offers and each pending one's clock (GET /v1/orders/{id}/offers): the time the worker
// has left to answer, counted down each second on the page; the stream's offer events reload them.
async function loadOffers(orderId) {
  const page = await api.get(`/v1/orders/${orderId}/offers?limit=100`);
  if (state.openOrder !== orderId) return;
  state.offers = page.items;
  renderOffers();
}

function countdown(expiresAt) {
  const left = Math.floor((Date.parse(expiresAt) - Date.now()) / 1000);
  if (left <= 0) return t("expired");
  const two = (n) => String(n).padStart(2, "0");
  return `${Math.floor(left / 3600) ? `${Math.floor(left / 3600)}:` : ""}${two(Math.floor(left / 60) % 60)}:${two(left % 60)}`;
}

function renderOffers() {
  const offers = state.offers || [];
  $("offers-empty").hidden = offers.length > 0;
  $("offers-table").tBodies[0].replaceChildren(...offers.map((o) => el("tr", { "data-offer": o.id, "data-state": o.state },
    el("td", {}, o.worker_name), el("td", {}, span(o.start, o.end)), el("td", {}, pick(OFFER_STATES, o.state)),
    el("td", o.state === "pending" ? { "data-expires": o.expires_at } : {}, o.state === "pending" ? countdown(o.expires_at) : "—"))));
}

setInterval(() => {
  for (const cell of document.querySelectorAll("#offers-table [data-expires]")) cell.textContent = countdown(cell.dataset.expires);
}, 1000);

function renderBids() {
  const shiftOf = (id) => state.orders.get(state.openOrder)?.shifts.find((s) => s.id === id);
  $("bids-empty").hidden = state.bids.length > 0;
  $("bids-table").tBodies[0].replaceChildren(...state.bids.map((b) => {
    const s = shiftOf(b.shift_id);
    return el("tr", { "data-bid": b.id, "data-worker": b.worker_id },
      el("td", {}, b.worker_name), el("td", {}, s ? span(s.start, s.end) : "—"),
      el("td", { "data-rate-fen": b.rate_fen }, yuan(b.rate_fen)),
      el("td", {}, b.rating?.shown ? `${b.rating.average.toFixed(1)}（${b.rating.count}）` : t("notShown")),
      el("td", {}, String(b.worker_reliability)),
      // the API does not tell an employer where a worker lives (docs/console.md)
      el("td", {}, t("unknown")),
      el("td", {},
        el("button", { type: "button", "data-favourite": b.worker_id, onclick: () => relate(b.worker_id, "favourite") }, t("favourite")),
        el("button", { type: "button", "data-block": b.worker_id, onclick: () => relate(b.worker_id, "blocked") }, t("block"))));
  }));
}

async function loadSitesOnly() {
  state.sites = (await api.get("/v1/sites")).items;
  fillSites();
}

// --- members and sites (docs/organisations.md) ---------------------------------------------------------------
async function loadTeam() {
  const sites = (await api.get("/v1/sites")).items;
  state.sites = sites;
  $("sites-empty").hidden = sites.length > 0;
  $("site-table").tBodies[0].replaceChildren(...sites.map((site) => el("tr", { "data-site": site.id },
    el("td", {}, site.name), el("td", {}, site.address || "—"), el("td", {}, String(site.check_in_radius_m)))));
  fillSites();
  $("m-sites").replaceChildren($("m-sites").firstElementChild, ...sites.map((site) => el("label", {},
    el("input", { type: "checkbox", name: "site_ids", value: site.id }), el("span", {}, site.name))));
  try {
    const members = (await api.get("/v1/organisations/me/members")).items;
    const names = new Map(sites.map((site) => [site.id, site.name]));
    $("member-table").tBodies[0].replaceChildren(...members.map((m) => el("tr", { "data-member": m.account_id, "data-role": m.role },
      el("td", {}, m.display_name), el("td", {}, m.login_masked || "—"), el("td", {}, pick(MEMBER_ROLES, m.role)),
      el("td", {}, m.site_ids.map((id) => names.get(id) || id.slice(0, 8)).join("、") || "—"),
      el("td", {}, m.account_id === state.me.account_id ? "" :
        el("button", { type: "button", onclick: () => removeMember(m.account_id) }, t("remove"))))));
  } catch (error) {  // only an owner manages members: a site manager or finance sees why
    showProblem(error, { banner: document.querySelector(".members-banner") });
  }
}

function fillSites() {
  const chosen = $("o-site").value;
  $("o-site").replaceChildren(el("option", { value: "", "data-i18n": "adHocSite" }, t("adHocSite")),
    ...(state.sites || []).map((site) => el("option", { value: site.id }, site.name)));
  $("o-site").value = chosen;
}

async function addSite(form) {
  const v = formValues(form);
  await api.post("/v1/sites", { name: v.name, address: v.address, lat: numberOrText(v.lat), lon: numberOrText(v.lon),
    check_in_radius_m: numberOrText(v.check_in_radius_m) });
  form.reset();
  await loadTeam();
}

async function addMember(form) {
  const v = formValues(form);
  const siteIds = [...form.querySelectorAll("input[name=site_ids]:checked")].map((box) => box.value);
  await api.post("/v1/organisations/me/members", { display_name: v.display_name, login: v.login, password: v.password,
    role: v.role, site_ids: siteIds });
  form.reset();
  await loadTeam();
}

async function removeMember(accountId) {
  try {
    await api.request(`/v1/organisations/me/members/${accountId}`, { method: "DELETE" });
    await loadTeam();
  } catch (error) { showProblem(error, { banner: document.querySelector(".members-banner") }); }
}

// --- webhooks and their delivery log (docs/webhooks.md) -------------------------------------------------------
async function loadWebhooks() {
  await buildOrderForm();
  const kinds = Object.keys(catalogue.spec.webhooks || {});  // the subscribable kinds, as /openapi.json lists them
  if ($("w-events").querySelectorAll("input").length !== kinds.length) {
    $("w-events").replaceChildren($("w-events").firstElementChild, ...kinds.map((kind) => el("label", {},
      el("input", { type: "checkbox", name: "events", value: kind }), el("span", {}, kind))));
  }
  const hooks = (await api.get("/v1/webhooks")).items;
  $("webhooks-empty").hidden = hooks.length > 0;
  $("webhook-table").tBodies[0].replaceChildren(...hooks.map((hook) => el("tr", { "data-webhook": hook.id },
    el("td", {}, hook.url), el("td", {}, hook.events.join(", ")), el("td", {}, localTime(hook.created_at)),
    el("td", {},
      el("button", { type: "button", onclick: () => loadDeliveries(hook.id) }, t("deliveryLog")),
      el("button", { type: "button", onclick: () => deleteWebhook(hook.id) }, t("delete"))))));
}

async function addWebhook(form) {
  const events = [...form.querySelectorAll("input[name=events]:checked")].map((box) => box.value);
  const created = await api.post("/v1/webhooks", { url: $("w-url").value.trim(), events });
  $("webhook-secret").replaceChildren(`${t("secretOnce")}：`, el("code", { "data-secret": "" }, created.secret));
  await loadWebhooks();
}

async function deleteWebhook(id) {
  try {
    await api.request(`/v1/webhooks/${id}`, { method: "DELETE" });
    if ($("delivery-panel").dataset.webhook === id) $("delivery-panel").hidden = true;
    await loadWebhooks();
  } catch (error) { showProblem(error, { banner: banner() }); }
}

async function loadDeliveries(id) {
  const page = await api.get(`/v1/webhooks/${id}/deliveries?limit=50`);
  $("delivery-panel").hidden = false;
  $("delivery-panel").dataset.webhook = id;
  $("deliveries-empty").hidden = page.items.length > 0;
  $("delivery-table").tBodies[0].replaceChildren(...page.items.map((d) => el("tr", { "data-delivery": d.id, "data-state": d.state },
    el("td", {}, localTime(d.created_at)), el("td", {}, d.event_kind), el("td", {}, pick(DELIVERY_STATES, d.state)),
    el("td", {}, String(d.attempts)), el("td", {}, d.last_status ?? d.last_error ?? "—"),
    el("td", {}, d.state === "delivered" ? "" : el("button", { type: "button", onclick: async () => {
      try { await api.post(`/v1/webhooks/${id}/deliveries/${d.id}/retry`); await loadDeliveries(id); }
      catch (error) { showProblem(error, { banner: banner() }); }
    } }, t("retry"))))));
}

// --- favourites and blocks (docs/favourites.md) ------------------------------------------------------------
async function relate(workerId, kind) {
  try {
    await api.request(`/v1/organisations/me/workers/${workerId}/relation`, { method: "PUT", body: { kind, reason: "" } });
    // a block ends the worker's live bids on our orders: the bids and the orders change
    if (kind === "blocked") { await loadOrders(); if (state.openOrder) await openBids(state.openOrder); }
  } catch (error) { showProblem(error, { banner: banner() }); }
}

async function loadRelations() {
  const kind = $("relation-kind").value;
  const page = await api.get(`/v1/organisations/me/workers?limit=100${kind ? `&kind=${kind}` : ""}`);
  $("relations-empty").hidden = page.items.length > 0;
  $("relation-table").tBodies[0].replaceChildren(...page.items.map((r) => el("tr",
    { "data-relation": r.worker_id, "data-kind": r.kind },
    el("td", {}, r.worker_name), el("td", {}, pick(RELATION_KINDS, r.kind)), el("td", {}, r.reason || "—"),
    el("td", {}, localTime(r.updated_at)),
    el("td", {}, el("button", { type: "button", onclick: () => unrelate(r.worker_id) }, t("remove"))))));
}

async function unrelate(workerId) {
  const section = $("workers");
  try {
    await api.request(`/v1/organisations/me/workers/${workerId}/relation`, { method: "DELETE" });
    await loadRelations();
  } catch (error) { showProblem(error, { banner: formBanner(section) }); }
}

async function allocate(orderId) {
  const form = $("order-list");
  clearProblems(null, banner());
  try {
    const queued = await api.post(`/v1/orders/${orderId}/allocate`);
    await openBids(orderId);
    state.run = { id: queued.run_id, status: "queued", results: [] };
    renderRun();
    pollRun();
  } catch (error) {
    showProblem(error, { form, banner: banner() });
  }
}

async function pollRun() {
  clearTimeout(state.runTimer);
  if (!state.run) return;
  state.run = await api.get(`/v1/allocation-runs/${state.run.id}`);
  renderRun();
  if (state.run.status === "queued" || state.run.status === "running") state.runTimer = setTimeout(pollRun, 1000);
  else { await loadOrders(); await loadBalance(); }
}

function renderRun() {
  const run = state.run;
  $("run-panel").hidden = !run;
  if (!run) return;
  $("run-panel").dataset.status = run.status;
  $("run-state").textContent = pick(RUN_STATES, run.status);
  const names = new Map(state.bids.map((b) => [b.worker_id, b.worker_name]));
  const order = state.orders.get(run.order_id || state.openOrder);
  const shift = (id) => order?.shifts.find((s) => s.id === id);
  $("run-table").tBodies[0].replaceChildren(...(run.results || []).map((r) => el("tr",
    { "data-outcome": r.outcome, "data-worker": r.worker_id || "", "data-reason": r.reason || "" },
    el("td", {}, shift(r.shift_id) ? span(shift(r.shift_id).start, shift(r.shift_id).end) : "—"),
    el("td", {}, r.worker_id ? (names.get(r.worker_id) || r.worker_id.slice(0, 8)) : `${t("emptySeat")} ×${r.seats}`),
    el("td", {}, pick(OUTCOMES, r.outcome)),
    el("td", {}, r.reason ? pick(REASONS, r.reason) : ""))));
}

// --- the event stream -------------------------------------------------------------------------------------
const ORDER_EVENTS = /^(order\.|bid\.|seat\.|offer\.|assignment\.made|assignment\.cancelled|run\.)/;

// What changes a seat or its timesheet: the list is read again (a burst of events, one read).
const TIMESHEET_EVENTS = /^(assignment\.|timesheet\.|offer\.accepted|seat\.filled)/;

function handleEvent({ event, data }) {
  if (event === "reset") { scheduleReload(); loadTimesheetsSoon(); return; }
  if (TIMESHEET_EVENTS.test(event)) loadTimesheetsSoon();
  if (event === "case.moved" && state.tab === "cases") loadCases().catch((error) => showProblem(error, { banner: banner() }));
  if (event === "run.finished" && state.run && data.run_id === state.run.id) pollRun();
  if (ORDER_EVENTS.test(event)) scheduleReload();
}

function scheduleReload() {
  clearTimeout(state.reloadTimer);
  state.reloadTimer = setTimeout(async () => {  // a burst of events: one reload
    await loadOrders();
    if (state.openOrder && !$("bids-panel").hidden) await openBids(state.openOrder);
  }, 300);
}

// The organisation's seats and timesheets from the API, newest first, a page at a time: opening the
// screen reads the first page, 更多 the next (from the last page's cursor), and an event reads again
// as many pages as are shown. The view 今天的班次 asks the API for today's shifts only (from = to =
// today's date in Beijing). The console's states: a seat not checked in is "assigned", checked in
// "checked_in", then the timesheet's own state; a cancelled seat is left out. The page size is the
// table's data-page-size (50).
const timesheetPageSize = () => Number($("timesheet-table").dataset.pageSize) || 50;

function timesheetPath(cursor) {
  const params = new URLSearchParams({ limit: String(timesheetPageSize()) });
  if (state.tsView === "today") { params.set("from", beijingDate(0)); params.set("to", beijingDate(0)); }
  if (cursor) params.set("cursor", cursor);
  return `/v1/employers/me/timesheets?${params}`;
}

let timesheetGeneration = 0;
async function loadTimesheets({ more = false } = {}) {
  const generation = ++timesheetGeneration;  // a later read (another view) wins over this one
  const sheets = more ? new Map(state.timesheets) : new Map();
  let cursor = more ? state.tsCursor : null;
  const pages = more ? 1 : state.tsPages;
  let read = 0;
  do {
    const page = await api.get(timesheetPath(cursor));
    if (generation !== timesheetGeneration) return;
    for (const item of page.items) {
      const shown = item.assignment_state === "cancelled" ? "cancelled"
        : item.state === "open" ? (item.checked_in_at ? "checked_in" : "assigned") : item.state;
      sheets.set(item.assignment_id, { id: item.assignment_id, order_id: item.order_id, shift_id: item.shift_id,
        title: item.title, worker_name: item.worker_name, start: item.start, end: item.end, state: shown,
        checked_in_at: item.checked_in_at, minutes: item.approved_minutes ?? item.worked_minutes });
    }
    cursor = page.next_cursor;
    read += 1;
  } while (cursor && read < pages);
  state.timesheets = sheets;
  state.tsCursor = cursor;
  state.tsPages = more ? state.tsPages + 1 : read;
  renderTimesheets();
}

let timesheetLoadTimer = null;
function loadTimesheetsSoon() {  // only while the screen is shown: opening it reads the list
  if (state.tab !== "timesheets") return;
  clearTimeout(timesheetLoadTimer);
  timesheetLoadTimer = setTimeout(() => loadTimesheets().catch((error) => showProblem(error, { banner: banner() })), 300);
}


function renderTimesheets() {
  const rows = [...state.timesheets.values()].filter((s) => s.state !== "cancelled");
  const checked = new Set([...document.querySelectorAll("[data-timesheet] input:checked")].map((b) => b.value));
  $("timesheets-empty").hidden = rows.length > 0;
  $("timesheet-table").tBodies[0].replaceChildren(...rows.map((s) => {
    const order = state.orders.get(s.order_id);
    const box = el("input", { type: "checkbox", value: s.id, "aria-label": `${t("assignment")} ${s.id.slice(0, 8)}` });
    // submitted: to approve or dispute; assigned (not checked in): a no-show can be recorded
    if (s.state !== "submitted" && s.state !== "assigned") box.disabled = true;
    else if (checked.has(s.id)) box.checked = true;
    return el("tr", { "data-timesheet": s.id, "data-state": s.state },
      el("td", {}, box), el("td", {}, order?.title || s.title || "—"), el("td", {}, s.worker_name || "—"),
      el("td", {}, s.start ? span(s.start, s.end) : "—"),
      el("td", { "data-checked-in": s.checked_in_at ? "yes" : "no" }, s.checked_in_at ? clock(s.checked_in_at) : t("notCheckedIn")),
      el("td", {}, s.minutes ?? "—"), el("td", {}, pick(TIMESHEET_STATES, s.state)));
  }));
  $("ts-more").hidden = !state.tsCursor;
  // today's view: who checked in and who has not (of the rows read)
  $("ts-summary").hidden = state.tsView !== "today";
  const present = rows.filter((s) => s.checked_in_at).length;
  $("ts-summary").dataset.in = present;
  $("ts-summary").dataset.out = rows.length - present;
  $("ts-summary").textContent = t("todaySummary").replace("{day}", beijingDate(0))
    .replace("{in}", present).replace("{out}", rows.length - present);
}

async function decideTimesheets(kind) {
  const form = $("timesheet-form");
  clearProblems(form, formBanner(form));
  const wanted = kind === "no-show" ? "assigned" : "submitted";
  const ids = [...document.querySelectorAll("[data-timesheet] input:checked")].map((b) => b.value)
    .filter((id) => state.timesheets.get(id)?.state === wanted);
  const body = kind === "dispute" ? { reason: $("dispute-reason").value } : {};
  const failures = [];
  for (const id of ids) {  // one by one: each is its own settlement, and one refusal stops none of the others
    try {
      await api.post(`/v1/assignments/${id}/${kind}`, body);
      state.timesheets.get(id).state = { approve: "approved", dispute: "disputed", "no-show": "no_show" }[kind];
    } catch (error) { failures.push(error); }
  }
  renderTimesheets();
  if (failures.length) showProblem(failures[0], { form, banner: formBanner(form) });
  await loadBalance();
}

// --- cases to answer ----------------------------------------------------------------------------------------
// The organisation's complaints and appeals (GET /v1/cases, docs/cases.md), the open ones first
// (they wait for our answer, by their due time); one read with its history and evidence; an open
// one answered (POST /v1/cases/{id}/answer), a refused answer's message beside the answer.
async function loadCases() {
  const list = await api.get("/v1/cases");
  const rank = (c) => (c.state === "open" ? 0 : 1);
  const cases = list.items.sort((a, b) => rank(a) - rank(b) || String(a.due_at).localeCompare(String(b.due_at)));
  $("cases-empty").hidden = cases.length > 0;
  $("case-table").tBodies[0].replaceChildren(...cases.map((c) => el("tr", { "data-case": c.id, "data-state": c.state },
    el("td", {}, pick(CASE_KINDS, c.kind)), el("td", {}, pick(CASE_STATES, c.state)), el("td", {}, c.statement),
    el("td", {}, c.due_at ? localTime(c.due_at) : "—"),
    el("td", {}, el("button", { type: "button", onclick: () => openCase(c.id) }, t("readCase"))))));
  if (state.openCase) await openCase(state.openCase);
}

async function openCase(id) {
  const found = await api.get(`/v1/cases/${id}`);
  state.openCase = id;
  const form = $("case-form");
  form.hidden = false;
  form.dataset.case = id;
  form.dataset.state = found.state;
  $("case-title").textContent = `${pick(CASE_KINDS, found.kind)} · ${pick(CASE_STATES, found.state)}`;
  $("case-statement").textContent = `${t("caseStatement")}：${found.statement}`;
  $("case-answered").hidden = !found.answer;
  $("case-answered").textContent = found.answer ? `${t("caseAnswer")}：${found.answer}` : "";
  $("case-outcome").hidden = !found.outcome;
  $("case-outcome").textContent = found.outcome
    ? `${t("caseOutcome")}：${pick(CASE_OUTCOMES, found.outcome)}（${found.decision_reason ?? ""}）` : "";
  $("case-trail").replaceChildren(...found.transitions.map((m) => el("li", { "data-move": m.move },
    `${localTime(m.at)} ${pick(CASE_ROLES, m.role)} · ${pick(CASE_MOVES, m.move)} → ${pick(CASE_STATES, m.to_state)}`,
    m.note ? ` · ${m.note}` : "")));
  $("case-evidence").replaceChildren(...(found.evidence.length || found.files.length ? [] : [el("li", {}, "—")]),
    ...found.evidence.map((e) => el("li", {}, `${pick(CASE_ROLES, e.role)}：${e.body}`)),
    ...found.files.map((f) => el("li", {}, el("button", { type: "button",
      onclick: () => download(`/v1/cases/${id}/evidence/files/${f.id}`, `evidence-${f.id}`) }, `${pick(CASE_ROLES, f.role)} · ${f.media_type}`))));
  $("case-answer-box").hidden = found.state !== "open";  // an employer answers an open case, once
}

async function answerCase(form) {
  await api.post(`/v1/cases/${form.dataset.case}/answer`, { text: $("case-answer").value });
  $("case-answer").value = "";
  await loadCases();
}

// --- shared employment (共享用工), the lender's side ---------------------------------------------------------
// The organisation's own employees (POST/GET /v1/employers/me/employees: each confirms on their own
// app; until then only the masked ID number shows), lent on a shared order by a bid naming them with
// their wage (POST /v1/orders/{id}/bids, `employees`): each is asked to consent, and an accepted
// consent writes the three-party agreement (GET /v1/agreements), as a borrower or as a lender.
async function loadShared() {
  const [employees, agreements] = await Promise.all([
    api.get("/v1/employers/me/employees?limit=200"), api.get("/v1/agreements")]);
  state.employees = employees.items;
  const who = (e) => e.worker_name || e.worker_id_number_masked || "—";
  $("employees-empty").hidden = employees.items.length > 0;
  $("employee-table").tBodies[0].replaceChildren(...employees.items.map((e) => el("tr",
    { "data-employment": e.id, "data-state": e.state },
    el("td", {}, who(e)), el("td", {}, e.job_title), el("td", {}, yuan(e.agreed_hourly_wage_fen)),
    el("td", {}, pick(EMPLOYMENT_STATES, e.state)),
    el("td", {}, e.state === "pending" || e.state === "active"
      ? el("button", { type: "button", onclick: () => endEmployment(e.id) }, t("endEmployment")) : ""))));
  const kept = new Map([...document.querySelectorAll("#lend-table [data-lend]")].map((row) =>
    [row.dataset.lend, { on: row.querySelector("input[type=checkbox]").checked, wage: row.querySelector("input[inputmode]").value }]));
  $("lend-table").tBodies[0].replaceChildren(...employees.items.filter((e) => e.state === "active").map((e) => {
    const before = kept.get(e.id);
    const box = el("input", { type: "checkbox", value: e.id, id: `lend-${e.id}` });
    box.checked = Boolean(before?.on);
    const wage = el("input", { inputmode: "decimal", "aria-label": `${t("lentWage")} ${who(e)}`,
      value: before?.wage ?? (e.agreed_hourly_wage_fen / 100).toFixed(2) });
    return el("tr", { "data-lend": e.id }, el("td", {}, box), el("td", {}, el("label", { for: box.id }, who(e))),
      el("td", {}, wage));
  }));
  // a consent shown since the bid that has its agreement now was accepted (no route reads a lender's consents)
  const agreed = new Set(agreements.items.map((a) => a.consent_id));
  for (const row of document.querySelectorAll("#consent-table [data-consent]")) {
    if (!agreed.has(row.dataset.consent)) continue;
    row.dataset.state = "accepted";
    row.lastElementChild.textContent = pick(CONSENT_STATES, "accepted");
  }
  $("agreements-empty").hidden = agreements.items.length > 0;
  $("agreement-table").tBodies[0].replaceChildren(...agreements.items.map((a) => el("tr", { "data-agreement": a.id },
    el("td", {}, a.terms.worker?.name ?? "—"), el("td", {}, a.terms.borrower?.name ?? "—"),
    el("td", {}, a.terms.lender?.name ?? "—"),
    el("td", {}, `${a.terms.period?.start_date ?? ""} – ${a.terms.period?.end_date ?? ""}`),
    el("td", {}, yuan(a.terms.pay?.wage_hourly_fen)), el("td", {}, yuan(a.terms.pay?.fee_per_worker_day_fen)))));
}

async function registerEmployee(form) {
  const v = formValues(form);
  const body = { job_title: v.job_title, agreed_hourly_wage_fen: fenOf(v.agreed_wage) ?? -1 };
  if (v.worker_id.trim()) body.worker_id = v.worker_id.trim();
  if (v.id_number.trim()) body.id_number = v.id_number.trim();
  await api.post("/v1/employers/me/employees", body);
  form.reset();
  await loadShared();
}

async function endEmployment(id) {
  const form = $("employee-form");
  try {
    await api.post(`/v1/employments/${id}/end`);
    await loadShared();
  } catch (error) { showProblem(error, { banner: formBanner(form) }); }
}

async function lendEmployees(form) {
  const v = formValues(form);
  const rows = [...form.querySelectorAll("#lend-table [data-lend]")];
  for (const row of rows) delete row.querySelector("input[inputmode]").dataset.field;
  const chosen = rows.filter((row) => row.querySelector("input[type=checkbox]").checked);
  // each chosen employee's wage is `employees.N.wage_hourly_fen` of the body, so a refusal lands beside it
  chosen.forEach((row, n) => {
    const wage = row.querySelector("input[inputmode]");
    wage.dataset.field = `employees.${n}.wage_hourly_fen`;
    row.querySelector("input[type=checkbox]").dataset.field = `employees.${n}.employment_id`;
  });
  const body = { fee_per_worker_day_fen: fenOf(v.fee) ?? -1, employees: chosen.map((row) => ({
    employment_id: row.dataset.lend, wage_hourly_fen: fenOf(row.querySelector("input[inputmode]").value) ?? -1 })) };
  const orderId = v.order_id.trim();
  const placed = await api.post(`/v1/orders/${encodeURIComponent(orderId || "-")}/bids`, body);
  const consents = placed.shared_bid?.consents ?? [];
  $("consents-empty").hidden = consents.length > 0;
  $("consent-table").tBodies[0].replaceChildren(...consents.map((c) => el("tr", { "data-consent": c.id, "data-state": c.state },
    el("td", {}, c.worker_name), el("td", {}, yuan(c.wage_hourly_fen)), el("td", {}, pick(CONSENT_STATES, c.state)))));
}

// --- invoices and statements -------------------------------------------------------------------------------
async function loadInvoices() {
  const page = await api.get("/v1/employers/me/invoices");
  state.invoices = page.items;
  $("invoices-empty").hidden = page.items.length > 0;
  $("invoice-table").tBodies[0].replaceChildren(...page.items.map((inv) => el("tr", { "data-invoice": inv.id },
    el("td", {}, inv.period), el("td", {}, pick(INVOICE_KINDS, inv.kind)), el("td", {}, yuan(inv.total_fen)),
    el("td", {}, pick(INVOICE_STATES, inv.state)), el("td", {}, inv.invoice_number || "—"),
    el("td", {}, el("button", { type: "button", "data-pdf": inv.id,
      onclick: () => download(`/v1/invoices/${inv.id}/pdf`, `invoice-${inv.period}-${inv.kind}.pdf`) }, t("pdf"))))));
}

// Wage arrears concerning the organisation (GET /v1/employers/me/arrears, docs/settlement.md): what
// the red flag of the escrow screen stands for, each with its due date and whether it is cleared.
// The payouts to workers are not the employer's to read (the API has no such route for it).
async function loadArrears() {
  const list = await api.get("/v1/employers/me/arrears");
  $("arrears-empty").hidden = list.items.length > 0;
  $("arrears-table").tBodies[0].replaceChildren(...list.items.map((a) => el("tr",
    { "data-arrear": a.id, "data-cleared": a.cleared_at ? "yes" : "no" },
    el("td", {}, pick(ARREARS_KINDS, a.kind)), el("td", {}, a.assignment_id.slice(0, 8)),
    el("td", {}, yuan(a.amount_fen)), el("td", {}, a.due_date),
    el("td", {}, t(a.employer_at_fault ? "yes" : "no")),
    el("td", {}, a.cleared_at ? localTime(a.cleared_at) : t("outstanding")))));
}

async function download(path, name) {
  try {
    const response = await api.request(path, { raw: true });
    saveBlob(await response.blob(), name);
  } catch (error) { showProblem(error, { banner: banner() }); }
}

function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const link = el("a", { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

async function loadStatement(form) {
  const month = $("st-month").value;
  const statement = await api.get(`/v1/employers/me/statements?month=${encodeURIComponent(month)}`);
  state.statement = statement;
  $("st-charged").textContent = yuan(statement.charged_fen);
  $("st-deposited").textContent = yuan(statement.deposited_fen);
  $("statement-empty").hidden = statement.items.length > 0;
  $("statement-table").tBodies[0].replaceChildren(...statement.items.map((line) => el("tr", { "data-entry": line.entry_id },
    el("td", {}, localTime(line.at)), el("td", { "data-kind": line.kind }, pick(ENTRY_KINDS, line.kind)), el("td", {}, line.order_title || "—"),
    el("td", { "data-fen": line.amount_fen }, yuan(line.amount_fen)))));
}

// The statement as CSV, from the lines shown (amounts in fen and in yuan; a BOM so spreadsheets read UTF-8).
function statementCsv() {
  if (!state.statement) return;
  const quote = (v) => `"${String(v ?? "").replaceAll('"', '""')}"`;
  const rows = [["entry_id", "at", "kind", "order_title", "amount_fen", "amount_yuan"],
    ...state.statement.items.map((l) => [l.entry_id, l.at, l.kind, l.order_title, l.amount_fen, yuan(l.amount_fen)])];
  saveBlob(new Blob(["\ufeff" + rows.map((r) => r.map(quote).join(",")).join("\r\n")], { type: "text/csv" }),
    `statement-${state.statement.month}.csv`);
}

// --- screens and language ------------------------------------------------------------------------------------
function show(tab) {
  state.tab = tab;
  for (const button of document.querySelectorAll("[data-tab]")) {
    button.setAttribute("aria-selected", String(button.dataset.tab === tab));
    button.tabIndex = button.dataset.tab === tab ? 0 : -1;
  }
  for (const panel of document.querySelectorAll("[data-panel]")) panel.hidden = panel.dataset.panel !== tab;
  const load = {
    escrow: loadBalance, post: () => Promise.all([loadTemplates(), loadSeries(), loadSitesOnly()]), orders: loadOrders,
    timesheets: loadTimesheets, workers: loadRelations, cases: loadCases, shared: loadShared,
    team: loadTeam, webhooks: loadWebhooks,
    billing: async () => { await Promise.all([loadInvoices(), loadArrears()]); if (state.statement) await loadStatement(); } }[tab];
  if (load) load().catch((error) => showProblem(error, { banner: banner() }));
}

function applyLanguage() {
  i18n.apply();
  $("lang").textContent = i18n.otherName();
  $("ts-all").setAttribute("aria-label", t("selectAll"));
  for (const option of document.querySelectorAll("#o-relationship option")) option.textContent = pick(RELATIONSHIPS, option.value);
  for (const option of document.querySelectorAll("#o-unit option")) option.textContent = pick(PAY_UNITS, option.value);
  for (const option of document.querySelectorAll("#o-skill option[data-skill]")) {
    const skill = catalogue?.skills.find((s) => s.code === option.value);
    if (skill) option.textContent = i18n.pick([skill.name_zh, skill.name_en]);
  }
  if (state.token && state.me) {
    $("live").textContent = t($("live").classList.contains("on") ? "live" : "offline");
    renderOrders(); renderBids(); renderOffers(); renderRun(); renderTimesheets();
    if (state.tab === "post") { loadTemplates(); loadSeries(); }
    if (state.tab === "workers") loadRelations();
    if (state.tab === "cases") loadCases();
    if (state.tab === "shared") loadShared();
    if (state.tab === "team") loadTeam();
    for (const option of document.querySelectorAll("#m-role option")) option.textContent = pick(MEMBER_ROLES, option.value);
    if (state.tab === "billing") { loadInvoices(); loadArrears(); if (state.statement) loadStatement(); }
  }
}

document.addEventListener("DOMContentLoaded", async () => {
  i18n.apply();  // the page's texts from labels.js, the one place they are written
  i18n.onChange(applyLanguage);
  $("lang").addEventListener("click", () => i18n.toggle());
  $("sign-out").addEventListener("click", () => signOut());
  const signInForm = $("sign-in-form");
  signInForm.addEventListener("submit", (event) => {
    event.preventDefault();
    submitting(signInForm, () => signIn($("in-login").value.trim(), $("in-password").value));
  });
  const signUpForm = $("sign-up-form");
  signUpForm.addEventListener("submit", (event) => {
    event.preventDefault();
    submitting(signUpForm, async () => {
      const values = formValues(signUpForm);
      await api.post("/v1/auth/register/employer", values);
      await signIn(values.login, values.password);
    });
  });
  const depositForm = $("deposit-form");
  depositForm.addEventListener("submit", (event) => { event.preventDefault(); submitting(depositForm, () => declareDeposit(depositForm)); });
  const orderForm = $("order-form");
  orderForm.addEventListener("submit", (event) => { event.preventDefault(); submitting(orderForm, () => postOrder(orderForm)); });
  $("post-series").addEventListener("click", () => submitting(orderForm, () => postSeries(orderForm)));
  $("save-template").addEventListener("click", () => submitting(orderForm, () => saveTemplate(orderForm)));
  const statementForm = $("statement-form");
  statementForm.addEventListener("submit", (event) => { event.preventDefault(); submitting(statementForm, () => loadStatement(statementForm)); });
  $("st-csv").addEventListener("click", statementCsv);
  for (const [id, action] of [["employee-form", registerEmployee], ["lend-form", lendEmployees], ["case-form", answerCase], ["site-form", addSite], ["member-form", addMember], ["webhook-form", addWebhook]]) {
    const form = $(id);
    form.addEventListener("submit", (event) => { event.preventDefault(); submitting(form, () => action(form)); });
  }
  $("relation-kind").addEventListener("change", () => loadRelations().catch((error) => showProblem(error, { banner: banner() })));
  $("st-month").value = beijingDate(0).slice(0, 7);
  $("balance-refresh").addEventListener("click", () => loadBalance().catch((error) => showProblem(error, { banner: banner() })));
  $("approve").addEventListener("click", () => decideTimesheets("approve"));
  $("dispute").addEventListener("click", () => decideTimesheets("dispute"));
  $("no-show").addEventListener("click", () => decideTimesheets("no-show"));
  $("ts-more").addEventListener("click", () => loadTimesheets({ more: true }).catch((error) => showProblem(error, { banner: banner() })));
  $("ts-view").addEventListener("change", (event) => {
    state.tsView = event.target.value;
    state.tsPages = 1;
    loadTimesheets().catch((error) => showProblem(error, { banner: banner() }));
  });
  $("ts-all").addEventListener("change", (event) => {
    for (const box of document.querySelectorAll("[data-timesheet] input:not(:disabled)")) box.checked = event.target.checked;
  });
  const tabs = [...document.querySelectorAll("[data-tab]")];
  for (const button of tabs) {
    button.addEventListener("click", () => show(button.dataset.tab));
    // arrow keys move between the tabs (the WAI-ARIA tabs pattern)
    button.addEventListener("keydown", (event) => {
      const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
      if (!step) return;
      const next = tabs[(tabs.indexOf(button) + step + tabs.length) % tabs.length];
      next.focus();
      show(next.dataset.tab);
    });
  }
  fillDistricts((await fetch("/v1/districts").then((r) => r.json())).items);
  if (state.token) await start();
  document.body.dataset.loaded = "true";
});
