// How every page shows money, numbers and times (docs/browser.md): money arrives from the API as
// integer fen and is shown as ¥ with two decimals, by integer arithmetic (never a float of yuan);
// times are shown in Beijing time (Asia/Shanghai, UTC+8) whatever the device's own zone.
export const ZONE = "Asia/Shanghai";
const BEIJING_OFFSET_MS = 8 * 3600 * 1000;
const DAY_MS = 86400 * 1000;

export const yuan = (fen) => {
  if (fen === null || fen === undefined) return "—";
  const whole = Math.abs(fen);
  return `${fen < 0 ? "-" : ""}¥${Math.floor(whole / 100).toLocaleString("en-US")}.${String(whole % 100).padStart(2, "0")}`;
};
export const num = (n) => (n === null || n === undefined ? "—" : Number(n).toLocaleString("zh-CN"));
export const pct = (r) => (r === null || r === undefined ? "—" : (r * 100).toFixed(1) + "%");

// 2026/12/8 09:30:00
export const localTime = (iso) => (iso ? new Date(iso).toLocaleString("zh-CN", { timeZone: ZONE, hour12: false }) : "—");
// 2026/12/08周二
export const localDate = (iso) => (iso ? new Date(iso).toLocaleDateString("zh-CN", { timeZone: ZONE,
  year: "numeric", month: "2-digit", day: "2-digit", weekday: "short" }) : "—");
// 09:30
export const clock = (iso) => new Date(iso).toLocaleTimeString("zh-CN", { timeZone: ZONE, hour12: false,
  hour: "2-digit", minute: "2-digit" });
// 09:00–13:00
export const span = (start, end) => (start ? `${clock(start)}–${clock(end)}` : "—");
// Beijing's calendar date, `daysAgo` days back, as the API's YYYY-MM-DD.
export const beijingDate = (daysAgo = 0) =>
  new Date(Date.now() + BEIJING_OFFSET_MS - daysAgo * DAY_MS).toISOString().slice(0, 10);
// The wall clock now in Beijing (for a live feed's line).
export const nowClock = () => new Date().toLocaleTimeString("zh-CN", { timeZone: ZONE, hour12: false });
// What a person types as yuan ("1234.5", "¥1,234.50") as integer fen, by string arithmetic (never a
// float); null when it is not an amount with at most two decimals.
export const fenOf = (text) => {
  const match = String(text ?? "").replace(/[¥,，\s]/g, "").match(/^(\d+)(?:\.(\d{0,2}))?$/);
  return match ? Number(match[1]) * 100 + Number((match[2] || "").padEnd(2, "0")) : null;
};
// A Beijing wall-clock date and time (YYYY-MM-DD, HH:MM) as RFC 3339 with its +08:00 offset.
export const beijingMoment = (day, time) => `${day}T${time}:00+08:00`;
