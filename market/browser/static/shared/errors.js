// Showing a refusal where the person looks (docs/browser.md): each field error of an ApiError
// beside its form field (the element whose name, or data-field, is the field's path, or its last
// part), marked aria-invalid and described by the message; whatever has no field, in the banner
// (a role="alert" element). clearProblems(form) takes them all away before the next try.
export function clearProblems(form, banner) {
  for (const node of form?.querySelectorAll(".field-error") ?? []) node.remove();
  for (const node of form?.querySelectorAll("[aria-invalid]") ?? []) {
    node.removeAttribute("aria-invalid");
    node.removeAttribute("aria-describedby");
  }
  if (banner) banner.textContent = "";
}

function fieldOf(form, path) {
  if (!form || !path) return null;
  const last = path.split(".").pop();
  for (const name of [path, last]) {
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
