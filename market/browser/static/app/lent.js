// Shared employment (docs/agreements.md): the worker's employers on record (GET
// /v1/workers/me/employments; a pending one confirmed or declined: POST /v1/employments/{id}/confirm,
// /decline) and the loans they ask consent to (GET /v1/workers/me/consents; POST
// /v1/consents/{id}/accept writes the three-party agreement, /decline refuses). Nobody is lent
// without this consent (docs/agreements.md).
import { $, el } from "../shared/dom.js";
import { localTime, yuan } from "../shared/format.js";
import { CONSENT_STATES, EMPLOYMENT_STATES } from "./texts.js";

let employments = [];
let consents = [];

export async function load(ctx) {
  const [e, c] = await Promise.all([ctx.api.get("/v1/workers/me/employments?limit=50"), ctx.api.get("/v1/workers/me/consents")]);
  employments = e.items;
  consents = c.items;
  draw(ctx);
}

function decide(ctx, path, error) {
  return async () => {
    try {
      await ctx.api.post(path);
      await load(ctx);
    } catch (e) { error.textContent = ctx.failure(e); }
  };
}

export function draw(ctx) {
  const { t, pick } = ctx;
  $("lent-title").nextElementSibling.textContent = t("lentHelp");
  $("consents-list").replaceChildren(...(consents.length ? consents.map((c) => {
    const error = el("p", { class: "error", role: "alert" });
    return el("li", { class: "card", "data-consent": c.id, "data-state": c.state },
      el("h3", {}, `${t("lender")}：${c.lender_name ?? "—"}`),
      el("div", { class: "meta" }, el("span", {}, `${t("wageHourly")} ${yuan(c.wage_hourly_fen)}`),
        el("span", { class: "badge blue" }, pick(CONSENT_STATES[c.state], c.state)),
        c.decided_at ? el("span", {}, localTime(c.decided_at)) : ""),
      c.state === "pending" ? el("div", { class: "actions" },
        el("button", { type: "button", class: "primary", onclick: decide(ctx, `/v1/consents/${c.id}/accept`, error) }, t("agreeLend")),
        el("button", { type: "button", class: "secondary", onclick: decide(ctx, `/v1/consents/${c.id}/decline`, error) }, t("declineLend"))) : "",
      error);
  }) : [el("li", { class: "note" }, t("consentsEmpty"))]));
  $("employments-list").replaceChildren(...(employments.length ? employments.map((e) => {
    const error = el("p", { class: "error", role: "alert" });
    return el("li", { class: "card", "data-employment": e.id, "data-state": e.state },
      el("h3", {}, e.employer_name),
      el("div", { class: "meta" }, el("span", {}, `${t("jobTitle")} ${e.job_title}`),
        el("span", {}, `${t("agreedWage")} ${yuan(e.agreed_hourly_wage_fen)}`),
        el("span", { class: "badge blue" }, pick(EMPLOYMENT_STATES[e.state], e.state))),
      e.state === "pending" ? el("div", { class: "actions" },
        el("button", { type: "button", class: "primary", onclick: decide(ctx, `/v1/employments/${e.id}/confirm`, error) }, t("confirm")),
        el("button", { type: "button", class: "secondary", onclick: decide(ctx, `/v1/employments/${e.id}/decline`, error) }, t("refuse"))) : "",
      error);
  }) : [el("li", { class: "note" }, t("employmentsEmpty"))]));
}
