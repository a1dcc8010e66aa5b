// Showing a refusal where the person looks (docs/browser.md): each field error of an ApiError
// beside its form field (the element whose name, or data-field, is the field's path, or a tail of
// it), marked aria-invalid and described by the message; whatever has no field, in the banner
// (a role="alert" element). clearProblems(form) takes them all away before the next try.
export function clearProblems(form, banner) {
  for (const node of form?.querySelectorAll(".field-error") ?? []) node.remove();
  for (const node of form?.querySelectorAll("[aria-invalid]") ?? []) {
    node.removeAttribute("aria-invalid");
    node.removeAttribute("aria-describedby");
  }
  if (banner) banner.textContent = "";
}

// The path, then each shorter tail of it: "gig.pay.amount_fen" (a discriminated union puts its tag
// first) finds the field named "pay.amount_fen", else "amount_fen".
function fieldOf(form, path) {
  if (!form || !path) return null;
  const parts = path.split(".");
  for (const name of parts.map((_, i) => parts.slice(i).join("."))) {
    const node = form.querySelector(`[name="${CSS.escape(name)}"], [data-field="${CSS.escape(name)}"]`);
    if (node) return node;
  }
  return null;
}

export function showProblem(error, { form, banner } = {}) {
  clearProblems(form, banner);
  const unplaced = [];
  for (const { field, message } of error.fields ?? []) {
    const input = fieldOf(form, field);
    if (!input) { unplaced.push(field ? `${field}: ${message}` : message); continue; }
    const note = document.createElement("span");
    note.className = "field-error";
    note.id = `error-${field.replaceAll(".", "-")}`;
    note.setAttribute("role", "alert");
    note.textContent = message;
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", note.id);
    input.after(note);
  }
  if (banner && (unplaced.length || !(error.fields ?? []).length)) {
    banner.textContent = unplaced.length ? `${error.message}（${unplaced.join("；")}）` : error.message;
  }
}
