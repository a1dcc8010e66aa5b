// Pay slips (GET /v1/workers/me/payslips), itemised as 条例 art. 15 asks: each earning, each
// withholding, the employer's contributions, gross and net; downloadable as the API's CSV
// (?format=csv, fetched with the token and saved through a blob URL).
import { $, el } from "../shared/dom.js";
import { yuan } from "../shared/format.js";
import { RELATIONSHIPS } from "./texts.js";

let items = [];

let preference = null;

export async function load(ctx) {
  const [slips, cadence] = await Promise.all([ctx.api.get("/v1/workers/me/payslips?limit=50"),
    ctx.api.get("/v1/workers/me/payout-preference")]);
  items = slips.items;
  preference = cadence;
  draw(ctx);
}

// 日结 or the due date (GET/PUT /v1/workers/me/payout-preference), with the daily fee said plainly
function drawPreference(ctx) {
  if (!preference) return;
  const box = $("cadence");
  for (const radio of box.querySelectorAll("[name=cadence]")) radio.checked = radio.value === preference.cadence;
  $("daily-label").textContent = `${ctx.t("daily")}（${ctx.t("dailyFee")} ${yuan(preference.daily_fee_fen)}）`;
  box.dataset.cadence = preference.cadence;
}

function lines(caption, rows) {
  if (!rows?.length) return "";
  return el("table", { class: "lines" }, el("caption", {}, caption),
    el("tbody", {}, ...rows.map((r) => el("tr", { "data-kind": r.kind }, el("td", {}, r.label), el("td", {}, yuan(r.amount_fen))))));
}

function card(ctx, slip) {
  const { t, pick } = ctx;
  return el("li", { class: "card", "data-settlement": slip.settlement_id },
    el("h3", {}, slip.order_title),
    el("div", { class: "meta" }, el("span", {}, `${t("shiftDate")} ${slip.shift_date}`),
      el("span", {}, `${t("hours")} ${slip.hours}`), el("span", {}, pick(RELATIONSHIPS[slip.relationship]?.name, slip.relationship))),
    el("div", { class: "meta" }, el("span", {}, `${t("payer")} ${slip.payer}`),
      el("span", {}, `${t("settledOn")} ${slip.settled_on}`), el("span", {}, `${t("dueDate")} ${slip.due_date}`)),
    // a slip of wages for work done has no earnings lines (the API's field): the gross is the work's pay
    lines(t("earnings"), slip.earnings?.length ? slip.earnings
      : [{ kind: "wage", label: `${t("wage")}（${slip.hours} ${t("hoursUnit")}）`, amount_fen: slip.gross_fen }]), lines(t("withholdings"), slip.withholdings), lines(t("contributions"), slip.contributions),
    el("table", { class: "lines" }, el("tbody", {},
      el("tr", {}, el("td", {}, t("gross")), el("td", { "data-gross": String(slip.gross_fen) }, yuan(slip.gross_fen))),
      el("tr", {}, el("td", {}, el("strong", {}, t("net"))), el("td", { "data-net": String(slip.net_fen ?? "") }, el("strong", {}, yuan(slip.net_fen)))))));
}

export function draw(ctx) {
  drawPreference(ctx);
  $("pay-list").replaceChildren(...(items.length ? items.map((s) => card(ctx, s)) : [el("li", { class: "note" }, ctx.t("payEmpty"))]));
}

export function wire(ctx) {
  const box = $("cadence");
  for (const radio of box.querySelectorAll("[name=cadence]")) {
    radio.addEventListener("change", async () => {
      const banner = box.querySelector(".form-banner");
      banner.textContent = "";
      try {
        preference = await ctx.api.request("/v1/workers/me/payout-preference", { method: "PUT", body: { cadence: radio.value } });
        ctx.toast(ctx.t("saved"));
      } catch (e) { banner.textContent = ctx.failure(e); }
      drawPreference(ctx);
    });
  }
  $("download-slips").addEventListener("click", async () => {
    try {
      const response = await ctx.api.request("/v1/workers/me/payslips?format=csv&limit=200", { raw: true });
      const url = URL.createObjectURL(await response.blob());
      const link = el("a", { href: url, download: "工资单.csv" });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
    } catch (e) { $("banner").textContent = ctx.failure(e); }
  });
}
