// The worker app (/app; docs/worker-app.md): boot, sign-in and sign-up, the tabs, the live stream.
// Every screen is a module of its own (feed.js, profile.js, offers.js, shifts.js, pay.js) given the
// same context: the API client, the texts, the state, and a few helpers.
import { createApi } from "../shared/api.js";
import { $ } from "../shared/dom.js";
import { clearProblems, showProblem } from "../shared/errors.js";
import { createI18n } from "../shared/i18n.js";
import { openEventStream } from "../shared/stream.js";
import { TEXTS } from "./texts.js";
import * as cases from "./cases.js";
import * as certs from "./certs.js";
import * as feed from "./feed.js";
import * as lent from "./lent.js";
import * as notify from "./notify.js";
import * as offers from "./offers.js";
import * as pay from "./pay.js";
import * as profile from "./profile.js";
import * as shifts from "./shifts.js";
import * as standby from "./standby.js";

const TOKEN_KEY = "market.worker.token";
const LANG_KEY = "market.worker.lang";
const SCREENS = { feed, offers, shifts, pay, profile, cases, notify, certs, lent, standby };
// the screens reached from 我的 (profile), not from a tab of their own
const UNDER_PROFILE = new Set(["cases", "notify", "certs", "lent", "standby"]);

const i18n = createI18n(TEXTS, localStorage.getItem(LANG_KEY) === "en" ? "en" : "zh");
const state = { token: localStorage.getItem(TOKEN_KEY), screen: "feed", districts: [], skills: [], me: null, stream: null };
const api = createApi({ token: () => state.token, onUnauthorized: () => signOut() });

function toast(text) {
  const node = $("toast");
  node.textContent = text;
  node.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { node.hidden = true; }, 4000);
}

// A failure as the person can read it: the API's own words, or the network's.
function failure(error) {
  return error?.status ? error.message : i18n.t("networkError");
}

const ctx = { api, i18n, state, toast, failure, t: i18n.t, pick: i18n.pick, refresh: (name) => refresh(name),
  show: (name) => show(name) };

async function refresh(name) {
  const screen = SCREENS[name];
  if (!screen || !state.token) return;
  try {
    await screen.load(ctx);
  } catch (error) {
    $("banner").textContent = failure(error);
  }
}

function show(name) {
  state.screen = name;
  document.body.dataset.screen = name;
  for (const key of Object.keys(SCREENS)) $(`screen-${key}`).hidden = key !== name;
  for (const tab of document.querySelectorAll("[data-tab]")) {
    if (tab.dataset.tab === name || (UNDER_PROFILE.has(name) && tab.dataset.tab === "profile")) tab.setAttribute("aria-current", "page");
    else tab.removeAttribute("aria-current");
  }
  $("banner").textContent = "";
  refresh(name);
}

async function loadCatalogue() {
  if (state.districts.length) return;
  const [districts, skills] = await Promise.all([api.get("/v1/districts"), api.get("/v1/skills")]);
  state.districts = districts.items.filter((d) => d.active);
  state.skills = skills.items;
  for (const select of document.querySelectorAll("select.districts")) {
    select.replaceChildren(...state.districts.map((d) => new Option(d.name, d.code)));
  }
}

function openStream() {
  state.stream?.close();
  state.stream = openEventStream("/v1/workers/me/events", {
    headers: api.authHeaders,
    onState: (s) => {
      $("live").className = s === "live" ? "live on" : "live off";
      document.body.dataset.live = s;
      $("live-text").dataset.i18n = s === "live" ? "live" : "liveOff";
      $("live-text").textContent = i18n.t($("live-text").dataset.i18n);
    },
    onEvent: (frame) => {
      let data = {};
      try { data = JSON.parse(frame.data); } catch (_) { /* not JSON: nothing to read */ }
      if (frame.event === "shift.opened") {
        feed.markFresh(data.shift_id);
        toast(i18n.t("newShift"));
        refresh("feed");
      } else if (frame.event.startsWith("offer.")) {
        offers.loadCount(ctx);
        if (state.screen === "offers") refresh("offers");
      } else if (!["profile", "notify", "certs"].includes(state.screen)) {
        refresh(state.screen);
      }
    },
  });
}

const PROFILED_KEY = "market.worker.profiled";

async function signedIn() {
  document.body.dataset.state = "signed-in";
  $("auth").hidden = true;
  $("screens").hidden = false;
  $("tabs").hidden = false;
  // The feed at once, fetched beside the catalogue and the profile (on a slow link each round trip
  // counts); a worker known to have no profile yet starts on the profile, and one found to have
  // none when it arrives is sent there.
  const profiled = localStorage.getItem(PROFILED_KEY) !== "0";
  show(profiled ? "feed" : "profile");
  try {
    const [, me] = await Promise.all([loadCatalogue(), api.get("/v1/workers/me")]);
    state.me = me;
    localStorage.setItem(PROFILED_KEY, me.skills.length ? "1" : "0");
  } catch (error) {
    $("banner").textContent = failure(error);
  }
  offers.loadCount(ctx);
  openStream();
  if (state.me && !state.me.skills.length && state.screen === "feed") show("profile");
  else if (state.screen === "profile") profile.draw(ctx);  // drawn now that the catalogue is here
}

function signedOut() {
  document.body.dataset.state = "signed-out";
  $("auth").hidden = false;
  $("screens").hidden = true;
  $("tabs").hidden = true;
  loadCatalogue().catch(() => { $("banner").textContent = i18n.t("networkError"); });
}

async function signOut() {
  const had = state.token;
  state.token = null;
  localStorage.removeItem(TOKEN_KEY);
  localStorage.removeItem(PROFILED_KEY);
  state.stream?.close();
  if (had) fetch("/v1/auth/tokens/current", { method: "DELETE", headers: { Authorization: `Bearer ${had}` } }).catch(() => {});
  navigator.serviceWorker?.controller?.postMessage({ type: "forget" });  // the cached feed was this worker's
  signedOut();
}

async function signIn(login, password, form) {
  const issued = await api.post("/v1/auth/tokens", { login, password });
  if (issued.role !== "worker") {
    // an employer's or a supervisor's login: their pages are elsewhere; this token is not kept
    fetch("/v1/auth/tokens/current", { method: "DELETE", headers: { Authorization: `Bearer ${issued.token}` } }).catch(() => {});
    form.querySelector(".form-banner").textContent = i18n.t("notWorker");
    return;
  }
  state.token = issued.token;
  localStorage.setItem(TOKEN_KEY, issued.token);
  await signedIn();
}

function wireAuth() {
  const inForm = $("sign-in-form");
  const upForm = $("sign-up-form");
  inForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const banner = inForm.querySelector(".form-banner");
    clearProblems(inForm, banner);
    try {
      await signIn(inForm.login.value.trim(), inForm.password.value, inForm);
    } catch (error) {
      if (error.status) showProblem(error, { form: inForm, banner }); else banner.textContent = failure(error);
    }
  });
  upForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const banner = upForm.querySelector(".form-banner");
    clearProblems(upForm, banner);
    const body = { name: upForm.name.value.trim(), id_number: upForm.id_number.value.trim().toUpperCase(),
      district_code: upForm.district_code.value, phone: upForm.phone.value.trim(), password: upForm.password.value };
    try {
      await api.post("/v1/auth/register/worker", body);
      await signIn(body.phone, body.password, upForm);
    } catch (error) {
      if (error.status) showProblem(error, { form: upForm, banner }); else banner.textContent = failure(error);
    }
  });
  $("to-sign-up").addEventListener("click", () => { $("sign-in").hidden = true; $("sign-up").hidden = false; });
  $("to-sign-in").addEventListener("click", () => { $("sign-up").hidden = true; $("sign-in").hidden = false; });
  $("sign-out").addEventListener("click", signOut);
}

function wireChrome() {
  for (const tab of document.querySelectorAll("[data-tab]")) tab.addEventListener("click", () => show(tab.dataset.tab));
  for (const link of document.querySelectorAll("[data-go]")) link.addEventListener("click", () => show(link.dataset.go));
  $("lang").addEventListener("click", () => {
    i18n.toggle();
    localStorage.setItem(LANG_KEY, i18n.lang);
  });
  i18n.onChange(() => {
    $("lang").textContent = i18n.t("langToggle");
    $("lang").lang = i18n.lang === "zh" ? "en" : "zh-CN";
    if (state.token) SCREENS[state.screen].draw?.(ctx);
  });
}

function registerServiceWorker() {
  if (!("serviceWorker" in navigator)) return;
  navigator.serviceWorker.addEventListener("message", (event) => {
    if (event.data?.type !== "shell-cached") return;
    document.body.dataset.offlineReady = "true";
    // what this first visit fetched before the worker took over, fetched again through it
    if (state.token) {
      api.get("/v1/workers/me").catch(() => {});
      if (state.screen === "feed") refresh("feed");
    }
  });
  navigator.serviceWorker.register("/app/sw.js", { scope: "/app", type: "classic" }).then(async () => {
    const ready = await navigator.serviceWorker.ready;
    // the shell as this page loaded it (its versioned URLs), for the next visit without a network
    const urls = [location.pathname, ...performance.getEntriesByType("resource").map((e) => e.name)
      .filter((u) => u.startsWith(location.origin + "/static/"))];
    ready.active?.postMessage({ type: "shell", urls });
  }).catch(() => { /* no offline copy; the app works online */ });
}

for (const name of Object.keys(SCREENS)) SCREENS[name].wire?.(ctx);
wireAuth();
wireChrome();
i18n.apply();
$("lang").textContent = i18n.t("langToggle");
if (state.token) signedIn(); else signedOut();
registerServiceWorker();
