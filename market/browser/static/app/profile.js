// The profile (GET and PATCH /v1/workers/me): skills and levels from the catalogue (GET
// /v1/skills), home by coordinates (the district's centre from GET /v1/districts, or the phone's
// location), travel radius in km (the API's metres), relationship types accepted, auto-allocation.
// A field the API refuses shows its message beside the field (shared/errors.js).
import { $, el } from "../shared/dom.js";
import { clearProblems, showProblem } from "../shared/errors.js";
import { RELATIONSHIPS } from "./texts.js";

let currentWeekly = [];

export async function load(ctx) {
  ctx.state.me = await ctx.api.get("/v1/workers/me");
  draw(ctx);
}

export function draw(ctx) {
  const { state, t, pick } = ctx;
  const me = state.me;
  if (!me) return;
  const form = $("profile-form");
  $("profile-who").textContent = `${me.name} · ${me.id_number_masked} · ${t("reliability")} ${me.reliability}`;
  currentWeekly = me.availability.weekly;
  const levels = new Map(me.skills.map((s) => [s.skill_code, s.level]));
  $("skill-list").replaceChildren(...state.skills.map((skill) => {
    const id = `skill-${skill.code}`;
    const level = el("select", { "aria-label": `${pick([skill.name_zh, skill.name_en])} ${t("level")}`, "data-level": skill.code },
      ...[1, 2, 3, 4, 5].map((n) => new Option(`${t("level")} ${n}`, String(n))));
    level.value = String(levels.get(skill.code) ?? 1);
    const box = el("input", { type: "checkbox", id, "data-skill": skill.code });
    box.checked = levels.has(skill.code);
    return el("label", { class: "check", for: id }, box, el("span", {}, pick([skill.name_zh, skill.name_en])), level);
  }));
  $("relationship-list").replaceChildren(...Object.entries(RELATIONSHIPS).map(([code, r]) => {
    const box = el("input", { type: "checkbox", name: "relationship", value: code, id: `rel-${code}` });
    box.checked = me.relationship_types.includes(code);
    return el("label", { class: "check", for: `rel-${code}` }, box,
      el("span", {}, el("strong", {}, pick(r.name)), el("br"), el("small", { class: "note" }, pick(r.plain))));
  }));
  const names = t("weekdays").split(",");
  const firstOf = new Map();
  for (const w of me.availability.weekly) if (!firstOf.has(w.weekday)) firstOf.set(w.weekday, w);
  $("week-list").replaceChildren(...names.map((dayName, i) => {
    const weekday = i + 1;
    const slot = firstOf.get(weekday);
    const box = el("input", { type: "checkbox", id: `day-${weekday}`, "data-weekday": String(weekday) });
    box.checked = Boolean(slot);
    const start = el("input", { type: "time", "aria-label": `${dayName} ${t("from")}`, "data-start": String(weekday), value: slot?.start ?? "08:00" });
    const end = el("input", { type: "time", "aria-label": `${dayName} ${t("to")}`, "data-end": String(weekday), value: slot?.end === "24:00" ? "23:59" : slot?.end ?? "18:00" });
    return el("div", { class: "row week" }, el("label", { class: "check", for: `day-${weekday}` }, box, el("span", {}, dayName)), start, end);
  }));
  form.district_code.value = me.district_code;
  form["home.lat"].value = me.home ? me.home.lat : "";
  form["home.lon"].value = me.home ? me.home.lon : "";
  form.max_travel_m.value = String(me.max_travel_m / 1000);
  form.accepts_auto_allocation.checked = me.accepts_auto_allocation;
}

function body(form) {
  const lat = form["home.lat"].value;
  const lon = form["home.lon"].value;
  const patch = {
    district_code: form.district_code.value,
    skills: [...form.querySelectorAll("[data-skill]:checked")].map((box) => ({
      skill_code: box.dataset.skill, level: Number(form.querySelector(`[data-level="${box.dataset.skill}"]`).value) })),
    relationship_types: [...form.querySelectorAll("[name=relationship]:checked")].map((box) => box.value),
    accepts_auto_allocation: form.accepts_auto_allocation.checked,
  };
  // one window a day is edited here; a day's further windows (set by another client) are kept as they are
  const kept = [];
  const seen = new Set();
  for (const w of currentWeekly) {
    if (seen.has(w.weekday)) kept.push(w); else seen.add(w.weekday);
  }
  const weekly = [...form.querySelectorAll("[data-weekday]:checked")].map((box) => {
    const day = box.dataset.weekday;
    const end = form.querySelector(`[data-end="${day}"]`).value;
    return { weekday: Number(day), start: form.querySelector(`[data-start="${day}"]`).value, end: end === "23:59" ? "24:00" : end };
  });
  patch.availability = { weekly: [...weekly, ...kept.filter((w) => weekly.some((n) => n.weekday === w.weekday))] };
  if (lat !== "" && lon !== "") patch.home = { lat: Number(lat), lon: Number(lon) };
  if (form.max_travel_m.value !== "") patch.max_travel_m = Math.round(Number(form.max_travel_m.value) * 1000);
  return patch;
}

export function wire(ctx) {
  const form = $("profile-form");
  const banner = form.querySelector(".form-banner");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearProblems(form, banner);
    try {
      ctx.state.me = await ctx.api.request("/v1/workers/me", { method: "PATCH", body: body(form) });
      // the next visit opens on the feed once there are skills (app.js, PROFILED_KEY)
      localStorage.setItem("market.worker.profiled", ctx.state.me.skills.length ? "1" : "0");
      draw(ctx);
      ctx.toast(ctx.t("saved"));
      form.dataset.saved = String(Date.now());
    } catch (error) {
      if (error.status) showProblem(error, { form, banner }); else banner.textContent = ctx.failure(error);
    }
  });
  $("use-district").addEventListener("click", () => {
    const district = ctx.state.districts.find((d) => d.code === form.district_code.value);
    if (!district) return;
    form["home.lat"].value = district.lat;
    form["home.lon"].value = district.lon;
  });
  $("use-location").addEventListener("click", () => {
    clearProblems(form, banner);
    if (!navigator.geolocation) { banner.textContent = ctx.t("noGeo"); return; }
    navigator.geolocation.getCurrentPosition((position) => {
      form["home.lat"].value = position.coords.latitude.toFixed(5);
      form["home.lon"].value = position.coords.longitude.toFixed(5);
    }, (error) => { banner.textContent = geoMessage(ctx, error); }, { timeout: 15000, maximumAge: 60000 });
  });
}

export function geoMessage(ctx, error) {
  return ctx.t({ 1: "geoDenied", 2: "geoUnavailable", 3: "geoTimeout" }[error.code] ?? "geoUnavailable");
}
