// My shifts (GET /v1/workers/me/assignments) with check-in and check-out (POST
// /v1/assignments/{id}/check-in, /check-out) at the phone's location (navigator.geolocation).
// A refusal is shown on the shift's card: the API's reason (too far from the site, too early), or
// why the phone gave no location (permission refused, unavailable, timed out).
import { $, el } from "../shared/dom.js";
import { showProblem } from "../shared/errors.js";
import { localDate, localTime, span, yuan } from "../shared/format.js";
import * as cases from "./cases.js";
import { geoMessage } from "./profile.js";
import { AGREEMENT_STATES, ASSIGNMENT_STATES, RELATIONSHIPS, ROLES } from "./texts.js";

const WAITING_PAID = new Set(["incomplete_labor", "labor_part_time"]);
let items = [];
const opened = new Set();  // assignments whose agreement is shown
const complaining = new Set();  // assignments whose complaint form is open

export async function load(ctx) {
  items = (await ctx.api.get("/v1/workers/me/assignments?limit=50")).items;
  draw(ctx);
}

function locate() {
  return new Promise((resolve, reject) => {
    if (!navigator.geolocation) { reject({ code: 0 }); return; }
    navigator.geolocation.getCurrentPosition(resolve, reject, { enableHighAccuracy: true, timeout: 15000, maximumAge: 0 });
  });
}

function card(ctx, a) {
  const { t, pick } = ctx;
  const error = el("p", { class: "error", role: "alert" });
  let waiting = null;  // the waiting-time claim's form, beside the check-out
  const attend = (verb) => async (event) => {
    const button = event.currentTarget;
    error.textContent = t("locating");
    button.disabled = true;
    let position;
    try {
      position = await locate();
    } catch (geoError) {
      error.textContent = geoError.code === 0 ? t("noGeo") : geoMessage(ctx, geoError);
      button.disabled = false;
      return;
    }
    try {
      const body = { lat: position.coords.latitude, lon: position.coords.longitude };
      if (verb === "check-out" && waiting && waiting.waiting_minutes.value !== "") {
        body.waiting_minutes = Number(waiting.waiting_minutes.value);
        if (waiting.waiting_reason.value.trim()) body.waiting_reason = waiting.waiting_reason.value.trim();
      }
      await ctx.api.post(`/v1/assignments/${a.id}/${verb}`, body);
      error.textContent = "";
      ctx.toast(t(verb === "check-in" ? "checkedIn" : "checkedOut"));
      await load(ctx);
    } catch (e) {
      if (waiting && e.fields?.length) showProblem(e, { form: waiting, banner: error }); else error.textContent = ctx.failure(e);
      button.disabled = false;
    }
  };
  const actions = el("div", { class: "actions" });
  if (a.state === "active" && (a.timesheet_state ?? "open") === "open") {
    if (!a.checked_in_at) actions.append(el("button", { type: "button", class: "primary", onclick: attend("check-in") }, t("checkIn")));
    else if (!a.checked_out_at) {
      // waiting the employer directed (宽放) is paid working time where the relationship has working
      // time (docs/attendance.md): claimed at check-out, beside the button
      if (WAITING_PAID.has(a.relationship)) {
        waiting = el("form", { class: "waiting", novalidate: "" },
          el("label", { for: `wait-${a.id}` }, el("span", {}, t("waitingMinutes")),
            el("input", { id: `wait-${a.id}`, name: "waiting_minutes", type: "number", min: "0", max: "1440", inputmode: "numeric" })),
          el("label", { for: `wait-why-${a.id}` }, el("span", {}, t("waitingReason")),
            el("input", { id: `wait-why-${a.id}`, name: "waiting_reason" })));
      }
      actions.append(el("button", { type: "button", class: "primary", onclick: attend("check-out") }, t("checkOut")));
    }
  }
  const agreement = el("div", { class: "agreement", "data-agreement-of": a.id });
  if (a.state === "active" || a.state === "completed") {
    // open stays open across redraws (an event on the stream redraws the list)
    const expanded = opened.has(a.id);
    actions.append(el("button", { type: "button", class: "secondary", "aria-expanded": String(expanded), onclick: async (event) => {
      const button = event.currentTarget;
      if (opened.has(a.id)) { opened.delete(a.id); agreement.replaceChildren(); button.setAttribute("aria-expanded", "false"); return; }
      opened.add(a.id);
      button.setAttribute("aria-expanded", "true");
      await showAgreement(ctx, a, agreement, error);
    } }, t("agreement")));
    if (expanded) showAgreement(ctx, a, agreement, error);
  }
  const complaint = el("div", { class: "complaint" });
  const complain = () => cases.openForm(ctx, a, complaint, () => complaining.delete(a.id));
  actions.append(el("button", { type: "button", class: "secondary", onclick: () => { complaining.add(a.id); complain(); } }, t("complain")));
  if (complaining.has(a.id)) complain();  // still open after a redraw
  // the state as the worker lives it: booked, to check in, on the job (checked in), then the timesheet's
  let sheet = a.timesheet_state ?? a.state;
  if (sheet === "open" && a.checked_in_at && !a.checked_out_at) sheet = "on_shift";
  const minutesText = (n) => `${n} ${t("minutesUnit")}`;
  return el("li", { class: "card", "data-assignment": a.id, "data-state": a.state, "data-timesheet": a.timesheet_state ?? "" },
    el("h3", {}, a.title),
    el("div", { class: "meta" }, el("span", {}, `${localDate(a.start)} ${span(a.start, a.end)}`),
      el("span", {}, `${t("rate")} ${yuan(a.rate_fen)}`), el("span", {}, pick(RELATIONSHIPS[a.relationship]?.name, a.relationship))),
    el("div", { class: "meta" }, el("span", {}, a.address)),
    el("div", { class: "meta" }, el("span", { class: "badge blue" }, pick(ASSIGNMENT_STATES[sheet], sheet)),
      a.checked_in_at ? el("span", {}, `${t("checkedIn")} ${localTime(a.checked_in_at)}`) : "",
      a.checked_out_at ? el("span", {}, `${t("checkedOut")} ${localTime(a.checked_out_at)}`) : ""),
    a.worked_minutes !== null || a.approved_minutes !== null ? el("div", { class: "meta" },
      a.worked_minutes !== null ? el("span", { "data-worked": String(a.worked_minutes) }, `${t("worked")} ${minutesText(a.worked_minutes)}`) : "",
      a.approved_minutes !== null ? el("span", { "data-approved": String(a.approved_minutes) }, `${t("approvedMinutes")} ${minutesText(a.approved_minutes)}`) : "") : "",
    waiting ?? "", actions, agreement, complaint, error);
}

// The written agreement of an assignment (GET /v1/assignments/{id}/agreement): its basis in law,
// who must sign and who has; the PDF to read (…/agreement.pdf), and the worker's signature over the
// PDF's SHA-256 (POST …/agreement/signatures) — where the law asks for one, check-in waits for it.
async function showAgreement(ctx, a, node, error) {
  const { t } = ctx;
  let doc;
  try {
    doc = await ctx.api.get(`/v1/assignments/${a.id}/agreement`);
  } catch (e) { error.textContent = ctx.failure(e); return; }
  const signedByMe = doc.signatures.some((s) => s.role === "worker");
  const rows = [
    el("p", { class: "note" }, doc.basis),
    el("p", { "data-agreement-state": doc.state }, `${t("agreementState")}：${ctx.pick(AGREEMENT_STATES[doc.state], doc.state)}`,
      doc.missing_roles.length ? ` · ${t("missingSignatures")}：${doc.missing_roles.map((r) => ctx.pick(ROLES[r], r)).join("、")}` : ""),
  ];
  const buttons = el("div", { class: "actions" });
  if (doc.sha256) {
    buttons.append(el("button", { type: "button", class: "secondary", onclick: async () => {
      try {
        const response = await ctx.api.request(`/v1/assignments/${a.id}/agreement.pdf`, { raw: true });
        const url = URL.createObjectURL(await response.blob());
        const link = el("a", { href: url, download: `协议-${a.id.slice(0, 8)}.pdf` });
        document.body.append(link);
        link.click();
        link.remove();
        setTimeout(() => URL.revokeObjectURL(url), 1000);
      } catch (e) { error.textContent = ctx.failure(e); }
    } }, t("readAgreement")));
  }
  if (doc.sha256 && doc.your_roles.includes("worker") && !signedByMe) {
    buttons.append(el("button", { type: "button", class: "primary", onclick: async () => {
      try {
        await ctx.api.post(`/v1/assignments/${a.id}/agreement/signatures`, { sha256: doc.sha256 });
        ctx.toast(t("signed"));
        await showAgreement(ctx, a, node, error);
      } catch (e) { error.textContent = ctx.failure(e); }
    } }, t("signAgreement")));
  }
  node.replaceChildren(...rows, buttons);
}

export function draw(ctx) {
  // what the worker is typing (a waiting claim, a complaint) survives the redraw a live event causes
  const list = $("shifts-list");
  const typed = new Map([...list.querySelectorAll("input[id], textarea[id], select[id]")].map((node) => [node.id, node.value]));
  const focused = document.activeElement?.id;
  list.replaceChildren(...(items.length ? items.map((a) => card(ctx, a)) : [el("li", { class: "note" }, ctx.t("shiftsEmpty"))]));
  for (const [id, value] of typed) {
    const node = document.getElementById(id);
    if (node && value !== "") node.value = value;
  }
  if (focused) document.getElementById(focused)?.focus();
}
