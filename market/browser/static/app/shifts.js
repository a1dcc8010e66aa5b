// My shifts (GET /v1/workers/me/assignments) with check-in and check-out (POST
// /v1/assignments/{id}/check-in, /check-out) at the phone's location (navigator.geolocation).
// A refusal is shown on the shift's card: the API's reason (too far from the site, too early), or
// why the phone gave no location (permission refused, unavailable, timed out).
import { $, el } from "../shared/dom.js";
import { localDate, localTime, span, yuan } from "../shared/format.js";
import { geoMessage } from "./profile.js";
import { ASSIGNMENT_STATES, RELATIONSHIPS } from "./texts.js";

let items = [];

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
      await ctx.api.post(`/v1/assignments/${a.id}/${verb}`, { lat: position.coords.latitude, lon: position.coords.longitude });
      error.textContent = "";
      ctx.toast(t(verb === "check-in" ? "checkedIn" : "checkedOut"));
      await load(ctx);
    } catch (e) {
      error.textContent = ctx.failure(e);
      button.disabled = false;
    }
  };
  const actions = el("div", { class: "actions" });
  if (a.state === "active" && (a.timesheet_state ?? "open") === "open") {
    if (!a.checked_in_at) actions.append(el("button", { type: "button", class: "primary", onclick: attend("check-in") }, t("checkIn")));
    else if (!a.checked_out_at) actions.append(el("button", { type: "button", class: "primary", onclick: attend("check-out") }, t("checkOut")));
  }
  const sheet = a.timesheet_state ?? a.state;
  return el("li", { class: "card", "data-assignment": a.id, "data-state": a.state, "data-timesheet": a.timesheet_state ?? "" },
    el("h3", {}, a.title),
    el("div", { class: "meta" }, el("span", {}, `${localDate(a.start)} ${span(a.start, a.end)}`),
      el("span", {}, `${yuan(a.rate_fen)}`), el("span", {}, pick(RELATIONSHIPS[a.relationship]?.name, a.relationship))),
    el("div", { class: "meta" }, el("span", {}, a.address)),
    el("div", { class: "meta" }, el("span", { class: "badge blue" }, pick(ASSIGNMENT_STATES[sheet], sheet)),
      a.checked_in_at ? el("span", {}, `${t("checkedIn")} ${localTime(a.checked_in_at)}`) : "",
      a.checked_out_at ? el("span", {}, `${t("checkedOut")} ${localTime(a.checked_out_at)}`) : ""),
    actions, error);
}

export function draw(ctx) {
  $("shifts-list").replaceChildren(...(items.length ? items.map((a) => card(ctx, a)) : [el("li", { class: "note" }, ctx.t("shiftsEmpty"))]));
}
