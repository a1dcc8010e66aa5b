// 我的待命 (docs/standby.md): the worker's standbys, newest first (GET /v1/workers/me/standbys),
// each with its shift, its pay if not called and its state; one on call may be withdrawn (POST
// /v1/standbys/{id}/withdraw) until the cutoff before the start, after which the refusal
// (cutoff_passed) is said in plain words on the card. A replacement offer made to a standby is an
// offer like any other: it appears in 邀约 (offers.js), accepted or declined there.
import { $, el } from "../shared/dom.js";
import { localDate, span, yuan } from "../shared/format.js";
import { STANDBY_REFUSALS, STANDBY_STATES } from "./texts.js";

let items = [];

export async function load(ctx) {
  items = (await ctx.api.get("/v1/workers/me/standbys")).items;
  draw(ctx);
}

function card(ctx, s) {
  const { t, pick } = ctx;
  const error = el("p", { class: "error", role: "alert" });
  const withdraw = async () => {
    error.textContent = "";
    try {
      await ctx.api.post(`/v1/standbys/${s.id}/withdraw`);
      ctx.toast(t("standbyWithdrawn"));
      await load(ctx);
    } catch (e) {
      const plain = STANDBY_REFUSALS[e.problem?.reason];
      error.textContent = plain ? pick(plain) : ctx.failure(e);
    }
  };
  return el("li", { class: "card", "data-standby": s.id, "data-state": s.state },
    el("h3", {}, s.title),
    el("div", {}, el("span", { class: "pay" }, yuan(s.amount_fen)), " ", el("span", { class: "note" }, t("standbyAmount"))),
    el("div", { class: "meta" }, el("span", {}, `${localDate(s.start)} ${span(s.start, s.end)}`),
      el("span", { class: "badge blue" }, pick(STANDBY_STATES[s.state], s.state))),
    s.state === "on_call" ? el("div", { class: "actions" },
      el("button", { type: "button", class: "secondary", "data-action": "withdraw-standby", onclick: withdraw },
        t("standbyWithdraw"))) : "",
    error);
}

export function draw(ctx) {
  $("standby-help").textContent = ctx.t("standbyHelp");
  $("standby-list").replaceChildren(...(items.length ? items.map((s) => card(ctx, s))
    : [el("li", { class: "note" }, ctx.t("standbyEmpty"))]));
}
