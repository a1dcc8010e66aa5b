// Chinese first, with an English toggle (docs/browser.md). A page gives its texts as
// { zh: {key: text}, en: {key: text} }; `t(key)` reads the current language's, `pick([zh, en])` one
// of a pair from a label table, and `apply()` rewrites every [data-i18n] node and the <html lang>.
// `toggle()` switches language and calls the page's listeners (which redraw what they drew).
export function createI18n(texts, initial = "zh") {
  let lang = initial;
  const listeners = [];
  const i18n = {
    get lang() { return lang; },
    t: (key) => texts[lang][key] ?? key,
    pick: (pair, key) => (pair ? pair[lang === "zh" ? 0 : 1] : key ?? "—"),
    apply(root = document) {
      document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
      for (const node of root.querySelectorAll("[data-i18n]")) node.textContent = i18n.t(node.dataset.i18n);
    },
    // the toggle button's own text: the other language, in that language
    otherName: () => (lang === "zh" ? "English" : "中文"),
    onChange(listener) { listeners.push(listener); },
    toggle() {
      lang = lang === "zh" ? "en" : "zh";
      i18n.apply();
      for (const listener of listeners) listener(lang);
    },
  };
  return i18n;
}
