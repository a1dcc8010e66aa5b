// Complaints and appeals (docs/cases.md): the worker's cases (GET /v1/cases) with their state, the
// employer's answer and the platform's decision; accept an answer (POST /v1/cases/{id}/accept) or
// ask the platform to decide (POST /v1/cases/{id}/escalate). A case is opened from a shift's card
// (openForm: POST /v1/cases with the assignment), a refused field beside the field.
import { $, el } from "../shared/dom.js";
import { clearProblems, showProblem } from "../shared/errors.js";
import { localTime } from "../shared/format.js";
import { CASE_KINDS, CASE_STATES } from "./texts.js";

const CLOSED = new Set(["resolved", "decided"]);
let items = [];

export async function load(ctx) {
  items = (await ctx.api.get("/v1/cases")).items;
  draw(ctx);
}

function card(ctx, c) {
  const { t, pick } = ctx;
  const error = el("p", { class: "error", role: "alert" });
  const move = (verb) => async () => {
    try {
      await ctx.api.post(`/v1/cases/${c.id}/${verb}`, {});
      await load(ctx);
    } catch (e) { error.textContent = ctx.failure(e); }
  };
  const actions = el("div", { class: "actions" });
  if (c.state === "answered") actions.append(el("button", { type: "button", class: "primary", onclick: move("accept") }, t("acceptAnswer")));
  if (c.state === "open" || c.state === "answered") {
    actions.append(el("button", { type: "button", class: "secondary", onclick: move("escalate") }, t("escalate")));
  }
  const evidence = CLOSED.has(c.state) ? "" : evidenceForm(ctx, c, error);
  return el("li", { class: "card", "data-case": c.id, "data-state": c.state },
    el("h3", {}, pick(CASE_KINDS[c.kind], c.kind)),
    el("div", { class: "meta" }, el("span", { class: "badge blue" }, pick(CASE_STATES[c.state], c.state)),
      el("span", {}, localTime(c.created_at)), c.due_at ? el("span", {}, `${t("dueAt")} ${localTime(c.due_at)}`) : ""),
    el("p", {}, c.statement),
    c.answer ? el("p", { class: "plain" }, el("strong", {}, `${t("answer")}：`), c.answer) : "",
    c.outcome ? el("p", { class: "plain" }, el("strong", {}, `${t("outcome")}：`), `${c.outcome} ${c.decision_reason ?? ""}`) : "",
    actions, evidence, error);
}

// Evidence for a case not closed: words (POST /v1/cases/{id}/evidence) and a photo or PDF
// (POST …/evidence/files, multipart); the employer and whoever decides see them.
function evidenceForm(ctx, c, error) {
  const { t } = ctx;
  const textId = `evidence-text-${c.id}`;
  const fileId = `evidence-file-${c.id}`;
  const form = el("form", { class: "evidence", novalidate: "" },
    el("label", { for: textId }, el("span", {}, t("evidenceText")), el("textarea", { id: textId, name: "text", rows: "2" })),
    el("label", { for: fileId }, el("span", {}, t("evidenceFile")),
      el("input", { id: fileId, name: "file", type: "file", accept: "application/pdf,image/jpeg,image/png,image/webp" })),
    el("button", { type: "submit", class: "secondary" }, t("addEvidence")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearProblems(form, error);
    try {
      if (form.text.value.trim()) await ctx.api.post(`/v1/cases/${c.id}/evidence`, { text: form.text.value.trim() });
      if (form.file.files[0]) {
        const body = new FormData();
        body.append("file", form.file.files[0]);
        await ctx.api.post(`/v1/cases/${c.id}/evidence/files`, body);
      }
      form.reset();
      ctx.toast(t("evidenceAdded"));
      form.dataset.sent = String(Date.now());
    } catch (e) {
      if (e.status) showProblem(e, { form, banner: error }); else error.textContent = ctx.failure(e);
    }
  });
  return form;
}

export function draw(ctx) {
  const list = $("cases-list");
  // words being typed survive the redraw a live case.moved causes
  const typed = new Map([...list.querySelectorAll("textarea[id]")].map((node) => [node.id, node.value]));
  list.replaceChildren(...(items.length ? items.map((c) => card(ctx, c)) : [el("li", { class: "note" }, ctx.t("casesEmpty"))]));
  for (const [id, value] of typed) {
    const node = document.getElementById(id);
    if (node && value) node.value = value;
  }
}

// The form to open a case about one assignment, placed in `node` (a shift's card).
export function openForm(ctx, assignment, node, onSent = () => {}) {
  const { t, pick } = ctx;
  const banner = el("p", { class: "form-banner", role: "alert" });
  const kindId = `case-kind-${assignment.id}`;
  const textId = `case-text-${assignment.id}`;
  const form = el("form", { class: "case-form", novalidate: "" },
    el("label", { for: kindId }, el("span", {}, t("caseKind")),
      el("select", { id: kindId, name: "kind" }, ...Object.entries(CASE_KINDS).map(([code, pair]) => new Option(pick(pair), code)))),
    el("label", { for: textId }, el("span", {}, t("statement")), el("textarea", { id: textId, name: "statement", rows: "4" })),
    el("button", { type: "submit", class: "primary" }, t("openCase")), banner);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearProblems(form, banner);
    try {
      await ctx.api.post("/v1/cases", { kind: form.kind.value, statement: form.statement.value.trim(), assignment_id: assignment.id });
      ctx.toast(t("caseOpened"));
      onSent();
      ctx.show("cases");
    } catch (e) {
      if (e.status) showProblem(e, { form, banner }); else banner.textContent = ctx.failure(e);
    }
  });
  node.replaceChildren(form);
}
