// The ranked feed (GET /v1/workers/me/feed, best first): distance, pay, the relationship type in
// plain words, the employer's colour; bid (POST /v1/orders/{id}/bids) and withdraw (DELETE
// /v1/bids/{id}, the bid found in GET /v1/workers/me/bids?state=live). Offline, the service worker
// answers with the last copy, marked by its X-Market-Cached-At header (sw.js). A shift with standby
// seats left shows their pay and a 待命 button (POST /v1/shifts/{id}/standby; a refusal in plain
// words on the card, by its reason: texts.STANDBY_REFUSALS); the worker's standbys: standby.js.
import { $, el } from "../shared/dom.js";
import { clearProblems, showProblem } from "../shared/errors.js";
import { localDate, span, yuan, localTime } from "../shared/format.js";
import { COLOURS, PAY_UNITS, RELATIONSHIPS, STANDBY_REFUSALS } from "./texts.js";

const fresh = new Set();
let items = [];
let liveBids = new Map();  // shift id -> bid id
let cachedAt = null;

export function markFresh(shiftId) { if (shiftId) fresh.add(shiftId); }

let loads = 0;  // only the newest of overlapping loads draws (a tap and an event may both ask)

export async function load(ctx) {
  const mine = ++loads;
  // both at once (one round trip on a slow link, not two); the bids only name what to withdraw
  const bidsAsked = ctx.api.get("/v1/workers/me/bids?state=live&limit=100").then((page) => page.items, () => null);
  const response = await ctx.api.request("/v1/workers/me/feed?limit=50", { raw: true });
  const fetchedAt = response.headers.get("X-Market-Cached-At");
  const fetched = (await response.json()).items;
  const bids = await bidsAsked;  // offline: null, the feed's has_live_bid still shows
  if (mine !== loads) return;
  cachedAt = fetchedAt;
  items = fetched;
  if (bids) liveBids = new Map(bids.map((b) => [b.shift_id, b.id]));
  draw(ctx);
}

// what the worker is typing survives a redraw (a live event redraws the list)
const drafts = new Map();  // shift id -> the rate typed

const distance = (m) => (m < 1000 ? `${m} m` : `${(m / 1000).toFixed(1)} km`);

function card(ctx, item) {
  const { t, pick } = ctx;
  const relationship = RELATIONSHIPS[item.relationship];
  const colour = COLOURS[item.employer_colour] ? item.employer_colour : "blue";
  const error = el("p", { class: "error", role: "alert" });
  const actions = el("div", { class: "actions" });
  const bidId = liveBids.get(item.shift_id);
  if (item.has_live_bid || bidId) {
    actions.append(el("span", { class: "badge ok" }, t("bidPlaced")));
    if (bidId) {
      actions.append(el("button", { type: "button", class: "secondary", "data-action": "withdraw", onclick: async () => {
        try {
          await ctx.api.request(`/v1/bids/${bidId}`, { method: "DELETE" });
          ctx.toast(t("withdrawn"));
          await load(ctx);
        } catch (e) { error.textContent = ctx.failure(e); }
      } }, t("withdraw")));
    }
  } else if (!cachedAt) {
    const rateId = `rate-${item.shift_id}`;
    const form = el("form", { class: "bid-form", novalidate: "" },
      el("label", { for: rateId }, el("span", {}, t("bidRate")),
        el("input", { id: rateId, name: "rate_fen", type: "number", step: "0.01", min: "0.01", inputmode: "decimal",
          value: drafts.get(item.shift_id) ?? (item.pay_amount_fen / 100).toFixed(2) })),
      el("button", { type: "submit", class: "primary" }, t("placeBid")));
    form.rate_fen.addEventListener("input", () => drafts.set(item.shift_id, form.rate_fen.value));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearProblems(form, error);
      const rate = Math.round(Number(form.rate_fen.value) * 100);
      try {
        await ctx.api.post(`/v1/orders/${item.order_id}/bids`, { shift_ids: [item.shift_id], rate_fen: rate });
        drafts.delete(item.shift_id);
        ctx.toast(t("bidPlaced"));
        await load(ctx);
      } catch (e) {
        if (e.status) showProblem(e, { form, banner: error }); else error.textContent = ctx.failure(e);
      }
    });
    actions.append(form);
  }
  const standby = item.standby_seats_left > 0 && item.standby_amount_fen != null;
  const standbyRow = standby ? el("div", { class: "meta standby" },
    el("span", { "data-standby-amount": String(item.standby_amount_fen) }, `${t("standbyAmount")} ${yuan(item.standby_amount_fen)}`),
    el("span", {}, `${t("standbySeatsLeft")} ${item.standby_seats_left}`),
    cachedAt ? "" : el("button", { type: "button", class: "secondary", "data-action": "standby", onclick: async () => {
      error.textContent = "";
      try {
        await ctx.api.post(`/v1/shifts/${item.shift_id}/standby`);
        ctx.toast(t("onCallNow"));
        await load(ctx);
      } catch (e) {
        const plain = STANDBY_REFUSALS[e.problem?.reason];
        error.textContent = plain ? pick(plain) : ctx.failure(e);
      }
    } }, t("goOnCall"))) : "";
  return el("li", { class: `card${fresh.has(item.shift_id) ? " fresh" : ""}`, "data-shift": item.shift_id,
    "data-has-bid": String(Boolean(item.has_live_bid || bidId)) },
    el("h3", {}, item.title),
    el("div", {}, el("span", { class: "pay" }, yuan(item.pay_amount_fen), t(PAY_UNITS[item.pay_unit] ?? "perHour")),
      " ", el("span", { class: "note" }, `${t("hourly")} ${yuan(item.hourly_pay_fen)}`)),
    el("div", { class: "meta" },
      el("span", {}, `${localDate(item.start)} ${span(item.start, item.end)}`),
      el("span", { "data-distance": String(item.distance_m) }, `${t("distance")} ${distance(item.distance_m)}`),
      el("span", {}, `${t("seatsLeft")} ${item.seats_left}`),
      item.bid_deadline ? el("span", {}, `${t("deadline")} ${localTime(item.bid_deadline)}`) : ""),
    el("div", { class: "meta" }, el("span", {}, `${t("employer")}：${item.employer_name}`),
      el("span", { class: `badge ${colour}`, "data-colour": colour }, pick(COLOURS[colour]))),
    el("div", { class: "meta" }, el("span", {}, item.address)),
    el("p", { class: "plain", "data-relationship": item.relationship },
      el("strong", {}, pick(relationship?.name, item.relationship)), "：", pick(relationship?.plain, "")),
    standbyRow, actions, error);
}

export function draw(ctx) {
  const note = $("feed-offline");
  note.hidden = !cachedAt;
  if (cachedAt) note.textContent = ctx.t("offlineCopy").replace("{time}", localTime(cachedAt));
  const list = $("feed-list");
  const focused = document.activeElement?.id;
  list.replaceChildren(...(items.length ? items.map((item) => card(ctx, item)) : [el("li", { class: "note" }, ctx.t("feedEmpty"))]));
  list.dataset.count = String(items.length);
  if (focused && focused.startsWith("rate-")) document.getElementById(focused)?.focus();
}
