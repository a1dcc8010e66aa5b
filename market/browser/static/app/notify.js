// Notification settings (GET and PUT /v1/notifications/preferences; docs/notifications.md): the
// channels for each kind (SMS, WeChat, Web Push; unticked all: the platform's default), quiet
// hours, or no notifications at all. The kinds are the platform's eight.
import { $, el } from "../shared/dom.js";
import { clearProblems, showProblem } from "../shared/errors.js";
import { CHANNELS, NOTIFICATION_KINDS } from "./texts.js";

let prefs = null;

export async function load(ctx) {
  prefs = await ctx.api.get("/v1/notifications/preferences");
  draw(ctx);
}

export function draw(ctx) {
  if (!prefs) return;
  const { pick } = ctx;
  $("push-state").textContent = ctx.t(prefs.web_push_subscribed ? "pushOn" : "pushOff");
  const form = $("notify-form");
  form.opted_out.checked = prefs.opted_out;
  form["quiet_hours.start"].value = prefs.quiet_hours?.start?.slice(0, 5) ?? "";
  form["quiet_hours.end"].value = prefs.quiet_hours?.end?.slice(0, 5) ?? "";
  $("notify-grid").replaceChildren(...Object.entries(NOTIFICATION_KINDS).map(([kind, pair]) => {
    const chosen = prefs.channels[kind] ?? [];
    return el("div", { class: "notify-kind", "data-kind": kind }, el("strong", {}, pick(pair)),
      el("div", { class: "row" }, ...Object.entries(CHANNELS).map(([channel, name]) => {
        const id = `notify-${kind}-${channel}`.replaceAll(".", "-");
        const box = el("input", { type: "checkbox", id, "data-channel": channel });
        box.checked = chosen.includes(channel);
        return el("label", { class: "check", for: id }, box, el("span", {}, pick(name)));
      })));
  }));
}

// Web Push through the platform's own subscriber (static/notifications.js, a classic script with
// its service worker under /static/), loaded only when asked for: it is not part of the first load.
function loadSubscriber() {
  if (window.marketSubscribeToPush) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const script = el("script", { src: "/static/notifications.js" });
    script.addEventListener("load", resolve);
    script.addEventListener("error", reject);
    document.head.append(script);
  });
}

export function wire(ctx) {
  $("push-subscribe").addEventListener("click", async () => {
    $("push-error").textContent = "";
    try {
      await loadSubscriber();
      await window.marketSubscribeToPush(ctx.state.token);
      ctx.toast(ctx.t("pushDone"));
      await load(ctx);
    } catch (e) { $("push-error").textContent = e?.status ? ctx.failure(e) : String(e?.message ?? e); }
  });
  const form = $("notify-form");
  const banner = form.querySelector(".form-banner");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearProblems(form, banner);
    const channels = {};
    for (const row of form.querySelectorAll("[data-kind]")) {
      const picked = [...row.querySelectorAll("[data-channel]:checked")].map((box) => box.dataset.channel);
      if (picked.length) channels[row.dataset.kind] = picked;
    }
    const start = form["quiet_hours.start"].value;
    const end = form["quiet_hours.end"].value;
    const body = { opted_out: form.opted_out.checked, channels,
      quiet_hours: start || end ? { start: start && `${start}:00`, end: end && `${end}:00` } : null };
    try {
      prefs = await ctx.api.request("/v1/notifications/preferences", { method: "PUT", body });
      draw(ctx);
      ctx.toast(ctx.t("saved"));
      form.dataset.saved = String(Date.now());
    } catch (e) {
      if (e.status) showProblem(e, { form, banner }); else banner.textContent = ctx.failure(e);
    }
  });
}
