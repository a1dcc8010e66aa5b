// Certificates (docs/certificates.md): the worker's own (GET /v1/workers/me/certificates) with
// their review state and validity, and an upload (POST, multipart: the photo or PDF and its
// facts). The kinds offered are those the skill catalogue names (GET /v1/skills `certificate`),
// the only ones the API accepts; a date or kind it refuses shows beside its field.
import { $, el } from "../shared/dom.js";
import { clearProblems, showProblem } from "../shared/errors.js";
import { localTime } from "../shared/format.js";
import { CERT_STATES } from "./texts.js";

let items = [];

export async function load(ctx) {
  items = (await ctx.api.get("/v1/workers/me/certificates")).items;
  draw(ctx);
}

export function draw(ctx) {
  const { t, pick } = ctx;
  const kinds = [...new Set(ctx.state.skills.map((s) => s.certificate).filter(Boolean))].sort();
  const select = $("cert-kinds");
  const chosen = select.value;
  select.replaceChildren(...kinds.map((k) => new Option(k, k)));
  if (kinds.includes(chosen)) select.value = chosen;
  $("certs-list").replaceChildren(...(items.length ? items.map((c) => el("li", { class: "card", "data-certificate": c.id, "data-state": c.state },
    el("h3", {}, c.kind),
    el("div", { class: "meta" }, el("span", { class: "badge blue" }, pick(CERT_STATES[c.state], c.state)),
      el("span", {}, c.number_masked), el("span", {}, c.issuer)),
    el("div", { class: "meta" }, el("span", {}, `${t("validUntil")} ${c.valid_until}`), el("span", {}, localTime(c.created_at))),
    c.reject_reason ? el("p", { class: "error" }, `${t("rejectReason")}：${c.reject_reason}`) : ""))
    : [el("li", { class: "note" }, t("certsEmpty"))]));
}

export function wire(ctx) {
  const form = $("cert-form");
  const banner = form.querySelector(".form-banner");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearProblems(form, banner);
    const body = new FormData();
    for (const name of ["kind", "number", "issuer", "issued_on", "expires_on", "review_due_on"]) {
      if (form[name].value) body.append(name, form[name].value.trim());
    }
    if (form.file.files[0]) body.append("file", form.file.files[0]);
    try {
      await ctx.api.post("/v1/workers/me/certificates", body);
      ctx.toast(ctx.t("uploaded"));
      form.reset();
      await load(ctx);
    } catch (e) {
      if (e.status) showProblem(e, { form, banner }); else banner.textContent = ctx.failure(e);
    }
  });
}
