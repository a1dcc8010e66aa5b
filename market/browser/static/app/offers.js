// Offers (GET /v1/workers/me/offers): the pending ones first with their countdown to expires_at,
// accept (POST /v1/offers/{id}/accept) or decline (POST /v1/offers/{id}/decline). The tab's badge
// counts the pending ones; an offer.* event on the stream refreshes it (app.js).
import { $, el } from "../shared/dom.js";
import { localDate, span, yuan } from "../shared/format.js";
import { OFFER_STATES, PAY_UNITS, RELATIONSHIPS } from "./texts.js";

let items = [];
let ticker = null;

export async function loadCount(ctx) {
  try {
    const page = await ctx.api.get("/v1/workers/me/offers?state=pending&limit=50");
    const badge = $("offers-count");
    badge.textContent = String(page.items.length);
    badge.hidden = !page.items.length;
  } catch (_) { /* the badge waits for the network */ }
}

export async function load(ctx) {
  const page = await ctx.api.get("/v1/workers/me/offers?limit=50");
  items = page.items.sort((a, b) => (a.state === "pending") === (b.state === "pending") ? 0 : a.state === "pending" ? -1 : 1);
  draw(ctx);
  loadCount(ctx);
}

function left(expiresAt) {
  const ms = new Date(expiresAt).getTime() - Date.now();
  if (ms <= 0) return null;
  const s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, "0");
  const ss = String(s % 60).padStart(2, "0");
  return h ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

function tick(ctx) {
  for (const node of document.querySelectorAll("[data-expires]")) {
    const text = left(node.dataset.expires);
    node.textContent = text ? `${ctx.t("expiresIn")} ${text}` : ctx.t("expired");
    if (!text) node.closest(".card")?.querySelectorAll("button").forEach((b) => { b.disabled = true; });
  }
}

function card(ctx, offer) {
  const { t, pick } = ctx;
  const error = el("p", { class: "error", role: "alert" });
  const answer = (verb) => async () => {
    try {
      await ctx.api.post(`/v1/offers/${offer.id}/${verb}`);
      ctx.toast(t(verb === "accept" ? "accepted" : "declined"));
      await load(ctx);
    } catch (e) { error.textContent = ctx.failure(e); }
  };
  const pending = offer.state === "pending";
  return el("li", { class: "card", "data-offer": offer.id, "data-state": offer.state },
    el("h3", {}, offer.title),
    el("div", {}, el("span", { class: "pay" }, yuan(offer.rate_fen), t(PAY_UNITS[offer.pay_unit] ?? "perHour"))),
    el("div", { class: "meta" }, el("span", {}, `${localDate(offer.start)} ${span(offer.start, offer.end)}`),
      el("span", {}, pick(RELATIONSHIPS[offer.relationship]?.name, offer.relationship)),
      el("span", { class: "badge blue" }, pick(OFFER_STATES[offer.state], offer.state))),
    pending ? el("p", { class: "countdown", "data-expires": offer.expires_at, role: "timer" }) : "",
    pending ? el("div", { class: "actions" },
      el("button", { type: "button", class: "primary", onclick: answer("accept") }, t("accept")),
      el("button", { type: "button", class: "secondary", onclick: answer("decline") }, t("decline"))) : "",
    error);
}

export function draw(ctx) {
  $("offers-list").replaceChildren(...(items.length ? items.map((o) => card(ctx, o)) : [el("li", { class: "note" }, ctx.t("offersEmpty"))]));
  tick(ctx);
  clearInterval(ticker);
  ticker = setInterval(() => tick(ctx), 1000);
}
