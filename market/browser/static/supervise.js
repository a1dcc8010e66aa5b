// The supervisors' dashboard (/supervise). Plain JavaScript, no libraries, no network beyond this
// service: it reads the supervision API with the pasted token (kept in sessionStorage only) and
// draws its charts as SVG. Every chart has a data table beside it holding the numbers drawn
// (data-* attributes), so what a supervisor sees can be checked against the API.
"use strict";

const TOKEN_KEY = "market.supervisor.token";
const SVG_NS = "http://www.w3.org/2000/svg";
const RELATIONSHIPS = ["labor_part_time", "incomplete_labor", "labor_service", "shared_labor"];
const TEXT = {
  zh: {
    title: "零工与共享用工监管看板", subtitle: "重庆市人力资源服务业新就业形态试点 · 试点区县监管", live: "实时",
    signOut: "退出", signInTitle: "监管人员登录", signIn: "登录", districts: "辖区", from: "起始日期", to: "截止日期",
    apply: "查询", export: "导出 CSV：", exportOverview: "统计", exportAlerts: "预警", exportOrders: "订单",
    chartOrders: "每日岗位发布与填补", chartRelationships: "用工关系类型分布", chartPay: "平均时薪与最低工资标准（元/小时）",
    chartArrears: "欠薪情况（日末未清）", dataTable: "数据表", sharedFlows: "共享用工流向（出借企业 → 借入企业）",
    alerts: "预警事项", category: "类别", status: "状态", sort: "排序", all: "全部", more: "加载更多", orders: "订单明细",
    liveFeed: "实时动态", noLiveEvents: "暂无实时事件",
    signInHelp: "请粘贴管理员发放的监管令牌（仅保存在本浏览器标签页中，关闭即清除）。",
    footer: "数据来源：零工与共享用工交易平台。金额为人民币（¥，精确到分）；时间为北京时间（UTC+8）。个人信息已脱敏，查阅记录留痕。",
    kOrders: "发布订单", kSeats: "发布岗位", kFilled: "已填补岗位", kRate: "填补率", kWorkers: "在岗人数",
    kHours: "工作时长", kGross: "应发工资", kTtf: "填补用时中位数", kBelow: "低于最低工资订单", kArrears: "未清欠薪",
    seatsPosted: "发布岗位", seatsFilled: "已填补", ordersPosted: "发布订单", avgPosted: "发布时薪", avgPaid: "实发时薪",
    minimum: "最低工资标准", openArrears: "未清欠薪笔数", openArrearsFen: "未清欠薪金额", date: "日期", type: "用工关系",
    gross: "应发工资", employer: "用人单位", district: "区县", at: "时间", amount: "金额", overdue: "逾期天数",
    lender: "出借企业", borrower: "借入企业", workers: "人数", workerDays: "人·天", state: "状态", seats: "岗位",
    title2: "名称", pay: "报酬", none: "暂无数据", hours: "小时", yuan: "元", person: "人", minutes: "分钟", unitOrders: "单", unitSeats: "个",
    unitCases: "笔", kArrearsFen: "未清欠薪金额",
    notSupervisor: "该令牌不是监管人员令牌。", badToken: "令牌无效、已过期或已撤销。", close: "关闭",
    shifts: "班次", bids: "投标", assignments: "派工", settlements: "结算", compensations: "临期取消补偿",
    worker: "劳动者", idMasked: "身份证号（脱敏）", rate: "单价", tax: "代扣个税", net: "实发",
    kind: "类型", detail: "详情", shift: "班次", shiftTime: "班次时间", viewOrder: "查看订单", viewArrears: "查看欠薪",
    clearFilter: "取消筛选", timesheet: "考勤", approvedMinutes: "确认工时（分钟）", dueDate: "应付日期", reason: "原因",
    arrearsOwed: "欠薪", amountOwed: "欠付金额", basis: "金额口径", basis_gross: "应发工资（未结算，税前）",
    basis_net_pay: "实发工资（已结算未支付）", basis_wage_leg: "出借企业应付工资",
    lenderPaid: "出借企业已确认发放", lenderUnconfirmed: "出借企业未确认发放",
    cases: "投诉与申诉", colours: "用人单位诚信评级（红蓝黑）", opened: "提出时间", dueAt: "办理时限",
    overdueMark: "已超时", takenOver: "本区已接办", colour: "评级", colourReasons: "依据",
    signing: "书面协议签署率", signed: "已签署", unsigned: "未签署", signingRate: "签署率",
    unitAgreements: "份",
    everyday: "用工日常：熟人优先、周期订单、候补与日结", poolOrders: "熟人优先订单", poolPlaces: "优先名额（熟人 / 再次预订 / 机构）",
    recurring: "周期订单生成（单 / 系列）", standbyOnCall: "候补待命", standbyCalled: "候补顶岗", standbyPaid: "候补补贴已付",
    dailyPay: "选择日结的劳动者",
    agencies: "人力资源服务机构", agency: "机构", placements: "帮助实现就业或流动（人次）", fillRate: "满员率",
    complaints: "投诉", openArrears: "未清欠薪",
  },
  en: {
    title: "Gig and shared labor supervision", subtitle: "Chongqing new-employment-form pilots · district supervision",
    live: "Live", signOut: "Sign out", signInTitle: "Supervisor sign-in", signIn: "Sign in", districts: "Districts",
    from: "From", to: "To", apply: "Apply", export: "Export CSV:", exportOverview: "Overview", exportAlerts: "Alerts",
    exportOrders: "Orders", chartOrders: "Seats posted and filled per day", chartRelationships: "By relationship type",
    chartPay: "Average hourly pay vs minimum (yuan/h)", chartArrears: "Open wage arrears at day end",
    dataTable: "Data table", sharedFlows: "Shared employment (lender → borrower)", alerts: "Alerts", category: "Category",
    status: "Status", sort: "Sort", all: "All", more: "More", orders: "Orders", liveFeed: "Live events",
    noLiveEvents: "No live events yet",
    signInHelp: "Paste the supervisor token an administrator gave you (kept in this tab only).",
    footer: "Amounts in yuan (¥, to the fen); times in Beijing time (UTC+8). Personal data is masked; every read is logged.",
    kOrders: "Orders posted", kSeats: "Seats posted", kFilled: "Seats filled", kRate: "Fill rate", kWorkers: "Workers active",
    kHours: "Hours worked", kGross: "Gross pay", kTtf: "Median time to fill", kBelow: "Below-minimum orders",
    kArrears: "Open arrears", seatsPosted: "Seats posted", seatsFilled: "Filled", ordersPosted: "Orders",
    avgPosted: "Posted hourly", avgPaid: "Paid hourly", minimum: "Minimum wage", openArrears: "Open arrears",
    openArrearsFen: "Amount", date: "Date", type: "Relationship", gross: "Gross", employer: "Employer",
    district: "District", at: "Time", amount: "Amount", overdue: "Days overdue", lender: "Lender", borrower: "Borrower",
    workers: "Workers", workerDays: "Worker-days", state: "State", seats: "Seats", title2: "Title", pay: "Pay",
    none: "No data", hours: "h", yuan: "yuan", person: "people", minutes: "min", unitOrders: "orders",
    unitSeats: "seats", unitCases: "cases", kArrearsFen: "Open arrears amount", notSupervisor: "Not a supervisor token.",
    badToken: "The token is unknown, expired or revoked.", close: "Close", shifts: "Shifts", bids: "Bids",
    assignments: "Assignments", settlements: "Settlements", compensations: "Late-cancel compensation",
    worker: "Worker", idMasked: "ID (masked)", rate: "Rate", tax: "Tax withheld", net: "Net",
    kind: "Kind", detail: "Detail", shift: "Shift", shiftTime: "Shift time", viewOrder: "View order",
    viewArrears: "View arrears", clearFilter: "Clear filter", timesheet: "Timesheet", approvedMinutes: "Approved (min)",
    dueDate: "Due", reason: "Reason", arrearsOwed: "Arrears", amountOwed: "Amount owed", basis: "Basis",
    basis_gross: "Gross wage (unsettled, before tax)", basis_net_pay: "Net pay (settled, unpaid)",
    basis_wage_leg: "Wage owed by the lender", lenderPaid: "Paid by lender (confirmed)",
    lenderUnconfirmed: "Lender has not confirmed",
    cases: "Complaints and appeals", colours: "Employer credit colours (red / blue / black)", opened: "Opened",
    dueAt: "Due", overdueMark: "Overdue", takenOver: "Taken over by the district", colour: "Colour",
    colourReasons: "Because", signing: "Written agreements signed", signed: "Signed", unsigned: "Not signed",
    signingRate: "Signed share", unitAgreements: "agreements",
    everyday: "Everyday: favourites first, recurring orders, standby and daily pay", poolOrders: "Favourites-first orders",
    poolPlaces: "Places first (favourites / book again / agency)", recurring: "Recurring orders posted (orders / series)",
    standbyOnCall: "Standby on call", standbyCalled: "Standby called in", standbyPaid: "Standby paid",
    dailyPay: "Workers on daily pay",
    agencies: "HR service agencies", agency: "Agency", placements: "Placements (people)", fillRate: "Fill rate",
    complaints: "Complaints", openArrears: "Open arrears",
  },
};
// Every code the API returns, as [Chinese, English]: one table. STATES holds each thing's states as
// the schema's CHECK constraints list them (tests/supervision check the two against each other), so
// an order that is `open` reads 招募中, never an alert's 未解除.
const STATES = {
  order: {
    draft: ["草稿", "Draft"], open: ["招募中", "Recruiting"], allocating: ["分配中", "Allocating"],
    filled: ["已满员", "Filled"], in_progress: ["进行中", "In progress"], completed: ["已完成", "Completed"],
    settled: ["已结算", "Settled"], cancelled: ["已取消", "Cancelled"], expired: ["已过期", "Expired"],
  },
  bid: {
    live: ["有效", "Live"], withdrawn: ["已撤回", "Withdrawn"], replaced: ["已被新投标替换", "Replaced"],
    chosen: ["已选中", "Chosen"], not_chosen: ["未选中", "Not chosen"], cancelled: ["已取消", "Cancelled"],
  },
  assignment: {
    active: ["在岗", "Active"], completed: ["已完成", "Completed"], cancelled: ["已取消", "Cancelled"],
    no_show: ["缺勤", "No-show"],
  },
  timesheet: {
    open: ["未提交", "Not submitted"], submitted: ["待确认", "Submitted"], approved: ["已确认", "Approved"],
    disputed: ["有争议", "Disputed"], no_show: ["缺勤", "No-show"],
  },
  alert: { open: ["未解除", "Open"], cleared: ["已解除", "Cleared"], recorded: ["已记录", "Recorded"] },
  case: {
    open: ["待企业答复", "Awaiting the employer"], answered: ["企业已答复", "Answered"], resolved: ["已解决", "Resolved"],
    escalated: ["待平台裁决", "Escalated"], decided: ["已裁决", "Decided"],
  },
};
const LABELS = {
  labor_part_time: ["非全日制用工", "Part-time labor"], incomplete_labor: ["不完全劳动关系", "Incomplete labor relation"],
  labor_service: ["劳务关系", "Labor service"], shared_labor: ["共享用工", "Shared labor"],
  gig: ["零工", "Gig"], shared: ["共享用工", "Shared"],
  below_minimum: ["低于最低工资", "Below minimum wage"], settlement: ["结算预警", "Settlement"], arrears: ["欠薪", "Arrears"],
  late_cancellation: ["临期取消", "Late cancellation"], no_show: ["缺勤", "No-show"],
  red_flag: ["红色标记企业", "Red-flagged employer"], out_of_range: ["数据超出范围", "Out of range"],
  below_minimum_wage: ["结算低于最低工资", "Settlement below minimum wage"],
  settlement_refused: ["结算被拒", "Settlement refused"], wage_unpaid: ["工资未按期支付", "Wage unpaid"],
  shared_wage_unconfirmed: ["共享用工工资未确认", "Shared wage unconfirmed"],
  shared_wage_raised_to_minimum: ["共享用工工资补足至最低工资", "Shared wage raised to minimum"],
  due_date_without_holiday_calendar: ["支付日未核节假日", "Pay day not checked for holidays"],
  compensation_unfunded: ["补偿资金不足", "Compensation unfunded"],
  lending_fee_above_wage_and_insurance: ["借出费用高于工资和社保", "Lending fee above wage and insurance"],
  // cases (docs/cases.md)
  unpaid_pay: ["工资未付", "Unpaid pay"], late_pay: ["工资迟发", "Late pay"], changed_terms: ["擅改条件", "Changed terms"],
  safety: ["安全问题", "Safety"], discrimination: ["就业歧视", "Discrimination"],
  timesheet_dispute: ["考勤争议", "Timesheet dispute"], no_show_appeal: ["缺勤申诉", "No-show appeal"],
  reliability_appeal: ["信用分申诉", "Reliability appeal"], cancelled_seat: ["岗位被取消", "Cancelled seat"],
  upheld: ["支持", "Upheld"], partly_upheld: ["部分支持", "Partly upheld"], dismissed: ["不予支持", "Dismissed"],
  // colours and their reasons (docs/reputation.md)
  red: ["红色（守信）", "Red (trusted)"], blue: ["蓝色（一般）", "Blue (standard)"], black: ["黑色（失信）", "Black (in breach)"],
  wage_arrears_outstanding: ["存在未清欠薪", "Wage arrears outstanding"],
  repeated_upheld_pay_complaints: ["一年内两次以上工资投诉成立", "Repeated upheld pay complaints"],
  upheld_pay_complaint: ["工资投诉成立", "Upheld pay complaint"], upheld_complaint: ["投诉成立", "Upheld complaint"],
  upheld_no_show_dispute: ["缺勤申诉成立", "Upheld no-show dispute"],
  frequent_late_cancellations: ["频繁临期取消", "Frequent late cancellations"],
  short_record: ["完成岗位不足 10 个", "Fewer than 10 completed seats"], clean_record: ["记录良好", "Clean record"],
  not_yet_rated: ["尚未评级", "Not yet rated"],
};

let lang = "zh";
const state = { token: null, me: null, names: {}, overview: null, alertCursor: null, orderCursor: null, stream: null,
                lastEventId: null, refreshTimer: null };

const $ = (id) => document.getElementById(id);
const t = (key) => TEXT[lang][key] ?? key;
const pick = (pair, key) => (pair ? pair[lang === "zh" ? 0 : 1] : key ?? "—");
const label = (key) => pick(LABELS[key], key);
const stateLabel = (thing) => (key) => pick(STATES[thing][key], key);
// Money arrives as integer fen and is shown as ¥ with two decimals, by integer arithmetic.
const yuan = (fen) => {
  if (fen === null || fen === undefined) return "—";
  const whole = Math.abs(fen);
  return `${fen < 0 ? "-" : ""}¥${Math.floor(whole / 100).toLocaleString("en-US")}.${String(whole % 100).padStart(2, "0")}`;
};
const num = (n) => (n === null || n === undefined ? "—" : Number(n).toLocaleString("zh-CN"));
const pct = (r) => (r === null || r === undefined ? "—" : (r * 100).toFixed(1) + "%");
const localTime = (iso) => (iso ? new Date(iso).toLocaleString("zh-CN", { timeZone: "Asia/Shanghai", hour12: false }) : "—");
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k.startsWith("data-")) node.setAttribute(k, v);
    else if (k === "onclick") node.addEventListener("click", v);
    else node.setAttribute(k, v);
  }
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return node;
}

function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

// --- API -----------------------------------------------------------------------------------------
class ApiError extends Error {
  constructor(status, body) { super(body?.detail || body?.title || `HTTP ${status}`); this.status = status; }
}

async function api(path) {
  const response = await fetch(path, { headers: { Authorization: `Bearer ${state.token}` } });
  if (!response.ok) {
    let body = null;
    try { body = await response.json(); } catch (_) { /* not JSON */ }
    if (response.status === 401) signOut(t("badToken"));
    throw new ApiError(response.status, body);
  }
  return response.json();
}

function selectedDistricts() {
  return [...document.querySelectorAll("#districts input:checked")].map((box) => box.value);
}

function scopeQuery() {
  const params = new URLSearchParams();
  const chosen = selectedDistricts();
  if (chosen.length) params.set("districts", chosen.join(","));
  if ($("from").value) params.set("from", $("from").value);
  if ($("to").value) params.set("to", $("to").value);
  return params;
}

// --- sign-in -------------------------------------------------------------------------------------
async function signIn(token) {
  state.token = token;
  $("sign-in-error").textContent = "";
  let me;
  try {
    me = await api("/v1/me");
  } catch (error) {
    signOut(error.status === 401 ? t("badToken") : error.message);
    return;
  }
  if (me.role !== "supervisor") { signOut(t("notSupervisor")); return; }
  sessionStorage.setItem(TOKEN_KEY, token);
  state.me = me;
  const catalogue = await (await fetch("/v1/districts")).json();
  for (const d of catalogue.items) state.names[d.code] = d.name;
  $("who-name").textContent = me.display_name;
  const box = $("districts");
  box.replaceChildren(...me.districts.map((code) => el("label", {},
    el("input", { type: "checkbox", value: code, checked: "checked", "data-district": code }), " ",
    state.names[code] || code)));
  const today = new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10);
  const start = new Date(Date.now() + 8 * 3600 * 1000 - 29 * 86400 * 1000).toISOString().slice(0, 10);
  $("from").value ||= start;
  $("to").value ||= today;
  showSignedIn(true);
  document.body.dataset.state = "loading";
  await loadAll();
  openStream();
}

// Signed out: the sign-in card alone. Signed in: the board, the name and 退出 (never both).
function showSignedIn(signedIn) {
  $("sign-in").hidden = signedIn;
  for (const id of ["board", "who-name", "sign-out"]) $(id).hidden = !signedIn;
}

function signOut(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  state.token = null;
  if (state.stream) state.stream.abort();
  showSignedIn(false);
  $("sign-in-error").textContent = message || "";
  document.body.dataset.state = "signed-out";
}

// --- loading -------------------------------------------------------------------------------------
async function loadAll() {
  document.body.dataset.state = "loading";
  try {
    const [overview] = await Promise.all([api("/v1/supervision/overview?" + scopeQuery()), loadAlerts(true),
                                          loadOrders(true), loadCases(), loadColours(), loadSigning(),
                                          loadEveryday(), loadAgencies()]);
    state.overview = overview;
    renderOverview(overview);
    document.body.dataset.state = "ready";
  } catch (error) {
    if (state.token) {
      document.body.dataset.state = "error";
      $("kpis").replaceChildren(el("div", { class: "panel error" }, error.message));
    }
  }
}

function renderOverview(o) {
  const k = o.totals;
  const lastDay = o.series[o.series.length - 1] || {};
  // Every figure with its unit: counts in 单/个/人/笔, time in 分钟 or 小时, money in ¥ (two decimals).
  const ttf = k.median_time_to_fill_seconds;
  const cards = [
    ["kOrders", num(k.orders_posted), t("unitOrders"), "orders_posted"],
    ["kSeats", num(k.seats_posted), t("unitSeats"), "seats_posted"],
    ["kFilled", num(k.seats_filled), t("unitSeats"), "seats_filled"],
    ["kRate", k.fill_rate === null ? "—" : (k.fill_rate * 100).toFixed(1), "%", "fill_rate"],
    ["kTtf", ttf === null ? "—" : ttf < 3600 ? String(Math.round(ttf / 60)) : (ttf / 3600).toFixed(1),
     ttf !== null && ttf >= 3600 ? t("hours") : t("minutes"), "median_time_to_fill_seconds"],
    ["kWorkers", num(k.workers_active), t("person"), "workers_active"],
    ["kHours", num(k.hours_worked), t("hours"), "hours_worked"],
    ["kGross", yuan(k.gross_paid_fen), "", "gross_paid_fen"],
    ["kBelow", num(k.below_minimum_orders), t("unitOrders"), "below_minimum_orders", true],
    ["kArrears", num(lastDay.open_arrears ?? 0), t("unitCases"), "open_arrears", true],
    ["kArrearsFen", yuan(lastDay.open_arrears_fen ?? 0), "", "open_arrears_fen", true],
  ];
  $("kpis").replaceChildren(...cards.map(([key, value, unit, field, alarm]) =>
    el("div", { class: "kpi" + (alarm ? " alert" : ""), "data-kpi": field },
      el("div", { class: "label" }, t(key)), el("div", { class: "value" }, value, el("span", { class: "unit" }, unit)))));
  chartOrders(o.series);
  chartRelationships(o.totals);
  chartPay(o.series);
  chartArrears(o.series);
  renderFlows(o.shared_flows);
}

// --- charts --------------------------------------------------------------------------------------
const W = 640, H = 240, PAD = { l: 48, r: 12, t: 28, b: 30 };

function frame(container, maxValue, dates, formatY = (v) => num(v)) {
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img" });
  const top = maxValue > 0 ? niceCeil(maxValue / 4) * 4 : 4;
  const y = (v) => PAD.t + (H - PAD.t - PAD.b) * (1 - v / top);
  for (let i = 0; i <= 4; i++) {
    const value = (top * i) / 4;
    root.append(svg("line", { x1: PAD.l, x2: W - PAD.r, y1: y(value), y2: y(value), stroke: "#eef1f4" }));
    root.append(svg("text", { x: PAD.l - 6, y: y(value) + 4, "text-anchor": "end" }, formatY(value)));
  }
  const step = (W - PAD.l - PAD.r) / Math.max(dates.length, 1);
  const x = (i) => PAD.l + step * i + step / 2;
  const every = Math.ceil(dates.length / 8);
  dates.forEach((d, i) => {
    if (i % every === 0) root.append(svg("text", { x: x(i), y: H - 10, "text-anchor": "middle" }, d.slice(5)));
  });
  container.replaceChildren(root);
  return { root, x, y, step };
}

function niceCeil(v) {
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function legend(root, items) {
  let x = PAD.l;
  const g = svg("g", { class: "legend" });
  for (const [name, color, dashed] of items) {
    g.append(svg("rect", { x, y: 8, width: 12, height: dashed ? 3 : 10, fill: color }));
    g.append(svg("text", { x: x + 16, y: 17 }, name));
    x += 24 + name.length * 12;
  }
  root.append(g);
}

function polyline(root, points, color, dashed) {
  root.append(svg("polyline", { points: points.map(([a, b]) => `${a},${b}`).join(" "), fill: "none", stroke: color,
                                "stroke-width": 2, "stroke-dasharray": dashed ? "5 4" : "none" }));
}

function dataTable(container, chart, columns, rows) {
  const table = el("table", { "data-chart": chart },
    el("thead", {}, el("tr", {}, ...columns.map(([, title]) => el("th", {}, title)))),
    el("tbody", {}, ...rows.map((row) => {
      const tr = el("tr", {});
      for (const [field, , format] of columns) {
        tr.setAttribute("data-" + field.replaceAll("_", "-"), row[field] ?? "");
        tr.append(el("td", {}, format ? format(row[field]) : row[field] ?? "—"));
      }
      return tr;
    })));
  container.replaceChildren(table);
}

function chartOrders(series) {
  const box = $("chart-orders");
  const dates = series.map((d) => d.date);
  const max = Math.max(0, ...series.map((d) => Math.max(d.seats_posted, d.orders_posted)));
  const { root, x, y, step } = frame(box.querySelector(".svg"), max, dates);
  const w = Math.max(2, step * 0.35);
  series.forEach((d, i) => {
    root.append(svg("rect", { x: x(i) - w, y: y(d.seats_posted), width: w, height: y(0) - y(d.seats_posted),
                              fill: "#7aa6d6" }));
    root.append(svg("rect", { x: x(i), y: y(d.seats_filled), width: w, height: y(0) - y(d.seats_filled),
                              fill: "#12355b" }));
  });
  polyline(root, series.map((d, i) => [x(i), y(d.orders_posted)]), "#b35c00");
  legend(root, [[t("seatsPosted"), "#7aa6d6"], [t("seatsFilled"), "#12355b"], [t("ordersPosted"), "#b35c00", true]]);
  dataTable(box.querySelector(".table"), "orders", [["date", t("date")], ["orders_posted", t("ordersPosted"), num],
    ["seats_posted", t("seatsPosted"), num], ["seats_filled", t("seatsFilled"), num], ["fill_rate", t("kRate"), pct]],
    series);
}

function chartRelationships(totals) {
  const box = $("chart-relationships");
  const rows = RELATIONSHIPS.map((r) => ({ relationship: r, name: label(r), ...totals.by_relationship[r] }));
  const max = Math.max(1, ...rows.map((r) => Math.max(r.seats_posted, r.orders_posted)));
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img" });
  const barArea = W - 190;
  rows.forEach((r, i) => {
    const top = 34 + i * 50;
    root.append(svg("text", { x: 120, y: top + 14, "text-anchor": "end", class: "category" }, r.name));
    const wide = (v) => (barArea * v) / max;
    root.append(svg("rect", { x: 130, y: top, width: wide(r.seats_posted), height: 14, fill: "#7aa6d6" }));
    root.append(svg("rect", { x: 130, y: top + 16, width: wide(r.seats_filled), height: 14, fill: "#12355b" }));
    root.append(svg("text", { x: 134 + wide(r.seats_posted), y: top + 11 }, `${r.seats_posted}`));
    root.append(svg("text", { x: 134 + wide(r.seats_filled), y: top + 27 }, `${r.seats_filled}`));
  });
  legend(root, [[t("seatsPosted"), "#7aa6d6"], [t("seatsFilled"), "#12355b"]]);
  box.querySelector(".svg").replaceChildren(root);
  dataTable(box.querySelector(".table"), "relationships", [["relationship", t("type"), label],
    ["orders_posted", t("ordersPosted"), num], ["seats_posted", t("seatsPosted"), num],
    ["seats_filled", t("seatsFilled"), num], ["hours_worked", t("kHours"), num],
    ["gross_paid_fen", t("gross"), yuan], ["below_minimum_orders", t("kBelow"), num]], rows);
}

function chartPay(series) {
  const box = $("chart-pay");
  const dates = series.map((d) => d.date);
  const values = series.flatMap((d) => [d.avg_hourly_posted_fen, d.avg_hourly_paid_fen, d.minimum_hourly_fen])
    .filter((v) => v !== null);
  const { root, x, y } = frame(box.querySelector(".svg"), Math.max(0, ...values), dates, (v) => (v / 100).toFixed(0));
  polyline(root, series.map((d, i) => [x(i), y(d.minimum_hourly_fen ?? 0)]), "#b3261e", true);
  for (const [field, color] of [["avg_hourly_posted_fen", "#12355b"], ["avg_hourly_paid_fen", "#1b7f3b"]]) {
    series.forEach((d, i) => {
      if (d[field] === null) return;
      const below = d.minimum_hourly_fen !== null && d[field] < d.minimum_hourly_fen;
      root.append(svg("circle", { cx: x(i), cy: y(d[field]), r: 4, fill: below ? "#b3261e" : color,
                                  stroke: color, "stroke-width": 1.5 }));
    });
  }
  legend(root, [[t("avgPosted"), "#12355b"], [t("avgPaid"), "#1b7f3b"], [t("minimum"), "#b3261e", true]]);
  dataTable(box.querySelector(".table"), "pay", [["date", t("date")], ["avg_hourly_posted_fen", t("avgPosted"), yuan],
    ["avg_hourly_paid_fen", t("avgPaid"), yuan], ["minimum_hourly_fen", t("minimum"), yuan]], series);
}

function chartArrears(series) {
  const box = $("chart-arrears");
  const dates = series.map((d) => d.date);
  const { root, x, y, step } = frame(box.querySelector(".svg"), Math.max(0, ...series.map((d) => d.open_arrears_fen)),
                                     dates, (v) => (v / 100).toFixed(0));
  const w = Math.max(2, step * 0.6);
  series.forEach((d, i) => {
    root.append(svg("rect", { x: x(i) - w / 2, y: y(d.open_arrears_fen), width: w, height: y(0) - y(d.open_arrears_fen),
                              fill: "#b3261e", opacity: 0.8 }));
  });
  legend(root, [[t("openArrearsFen") + "（" + t("yuan") + "）", "#b3261e"]]);
  dataTable(box.querySelector(".table"), "arrears", [["date", t("date")], ["open_arrears", t("openArrears"), num],
    ["open_arrears_fen", t("openArrearsFen"), yuan]], series);
}

function renderFlows(flows) {
  const box = $("shared-flows");
  if (!flows.length) { box.replaceChildren(el("div", { class: "empty" }, t("none"))); return; }
  box.replaceChildren(el("table", { "data-table": "shared-flows" },
    el("thead", {}, el("tr", {}, ...[t("district"), t("lender"), t("borrower"), t("workers"), t("workerDays")]
      .map((h) => el("th", {}, h)))),
    el("tbody", {}, ...flows.map((f) => el("tr", { "data-workers": f.workers, "data-worker-days": f.worker_days },
      el("td", {}, state.names[f.district_code] || f.district_code), el("td", {}, f.lender_name),
      el("td", {}, f.borrower_name), el("td", { class: "num" }, f.workers), el("td", { class: "num" }, f.worker_days))))));
}

// --- alerts and orders ----------------------------------------------------------------------------
// What tells an alert from its neighbours: the figures (rate against the minimum, per hour) and, for
// an alert about one seat, its worker (masked) and the shift's start.
function alertDetail(a) {
  const parts = [];
  const d = a.details || {};
  if (Number.isInteger(d.hourly_rate_fen) && Number.isInteger(d.hourly_minimum_fen)) {
    parts.push(`${t("rate")} ${yuan(d.hourly_rate_fen)}/${t("hours")} < ${t("minimum")} ${yuan(d.hourly_minimum_fen)}/${t("hours")}`);
  } else if (a.category === "below_minimum" && Number.isInteger(d.hourly_equivalent_fen)) {
    parts.push(`${t("rate")} ${yuan(d.hourly_equivalent_fen)}/${t("hours")}`);
  } else if (a.category === "red_flag" && Number.isInteger(d.open_arrears)) {
    parts.push(`${t("openArrears")} ${d.open_arrears} ${t("unitCases")}`);
  }
  if (a.worker_name) parts.push(a.worker_name);
  if (a.shift_starts_at) parts.push(`${t("shift")} ${localTime(a.shift_starts_at)}`);
  return parts.join(" · ") || "—";
}

// A red flag is about an employer: its link lists that employer's arrears (the alerts, filtered).
function showEmployerArrears(organisationId, name) {
  state.organisation = { id: organisationId, name };
  $("alert-kind").value = "arrears";
  $("alert-status").value = "";
  loadAlerts(true);
}

function alertLink(a) {
  if (a.category === "red_flag" && a.organisation_id) {
    return el("button", { type: "button", class: "link order", "data-employer": a.organisation_id,
                          onclick: () => showEmployerArrears(a.organisation_id, a.organisation_name) }, t("viewArrears"));
  }
  if (a.order_id) {
    return el("button", { type: "button", class: "link order", onclick: () => showOrder(a.order_id) }, t("viewOrder"));
  }
  return "";
}

async function loadAlerts(reset) {
  const params = scopeQuery();
  for (const [field, id] of [["kind", "alert-kind"], ["status", "alert-status"], ["sort", "alert-sort"]]) {
    if ($(id).value) params.set(field, $(id).value);
  }
  if (state.organisation) params.set("organisation_id", state.organisation.id);
  params.set("limit", "20");
  if (!reset && state.alertCursor) params.set("cursor", state.alertCursor);
  const page = await api("/v1/supervision/alerts?" + params);
  state.alertCursor = page.next_cursor;
  $("alerts-more").hidden = !page.next_cursor;
  const chip = state.organisation ? [el("span", { class: "tag filter", id: "alert-employer" },
    `${t("employer")}：${state.organisation.name || state.organisation.id} `,
    el("button", { type: "button", class: "link", "aria-label": t("clearFilter"),
                   onclick: () => { state.organisation = null; loadAlerts(true); } }, "✕"))] : [];
  const counts = Object.entries(page.counts).flatMap(([category, byStatus]) =>
    Object.entries(byStatus).map(([status, n]) => el("span", { class: `tag ${status}`, "data-count": `${category}:${status}` },
      `${label(category)} · ${stateLabel("alert")(status)} ${n}`)));
  $("alert-counts").replaceChildren(...chip, ...counts);
  let body = document.querySelector("#alerts tbody");
  if (reset || !body) {
    body = el("tbody", {});
    $("alerts").replaceChildren(el("table", { "data-table": "alerts" }, el("thead", {}, el("tr", {},
      ...[t("at"), t("category"), t("kind"), t("district"), t("employer"), t("amount"), t("detail"), t("overdue"),
          t("status"), ""].map((h) => el("th", {}, h)))), body));
  }
  for (const a of page.items) {
    body.append(el("tr", { "data-alert": a.id, "data-category": a.category, "data-kind": a.kind },
      el("td", {}, localTime(a.at)), el("td", {}, label(a.category)), el("td", {}, label(a.kind)),
      el("td", {}, state.names[a.district_code] || a.district_code || "—"), el("td", {}, a.organisation_name || "—"),
      el("td", { class: "num" }, yuan(a.amount_fen)),
      el("td", { class: "detail" }, alertDetail(a)), el("td", { class: "num" }, a.days_overdue ?? "—"),
      el("td", {}, el("span", { class: `tag ${a.status}` }, stateLabel("alert")(a.status))),
      el("td", {}, alertLink(a))));
  }
  if (!body.children.length) body.append(el("tr", {}, el("td", { colspan: 10, class: "empty" }, t("none"))));
}

async function loadOrders(reset) {
  const params = scopeQuery();
  params.set("limit", "20");
  if (!reset && state.orderCursor) params.set("cursor", state.orderCursor);
  const page = await api("/v1/supervision/orders?" + params);
  state.orderCursor = page.next_cursor;
  $("orders-more").hidden = !page.next_cursor;
  let body = document.querySelector("#orders tbody");
  if (reset || !body) {
    body = el("tbody", {});
    $("orders").replaceChildren(el("table", { "data-table": "orders" }, el("thead", {}, el("tr", {},
      ...[t("at"), t("title2"), t("employer"), t("district"), t("type"), t("pay"), t("seats"), t("state")]
        .map((h) => el("th", {}, h)))), body));
  }
  for (const o of page.items) {
    body.append(el("tr", { "data-order": o.id },
      el("td", {}, localTime(o.created_at)),
      el("td", {}, el("button", { type: "button", class: "link order", onclick: () => showOrder(o.id) }, o.title)),
      el("td", {}, o.employer_name), el("td", {}, state.names[o.district_code] || o.district_code),
      el("td", {}, label(o.relationship_type)),
      el("td", { class: "num" }, yuan(o.hourly_equivalent_fen) + "/" + t("hours") + (o.below_minimum_wage ? " ⚠" : "")),
      el("td", { class: "num" }, `${o.seats_filled}/${o.seats}`), el("td", {}, stateLabel("order")(o.state))));
  }
  if (!body.children.length) body.append(el("tr", {}, el("td", { colspan: 8, class: "empty" }, t("none"))));
}

// Cases and colours come for all the supervisor's districts; the panels show the chosen ones.
function inScope(districtCode) {
  const chosen = selectedDistricts();
  return !chosen.length || chosen.includes(districtCode);
}

function table(name, headings, rows, colspan) {
  const body = el("tbody", {}, ...rows);
  if (!rows.length) body.append(el("tr", {}, el("td", { colspan, class: "empty" }, t("none"))));
  return el("table", { "data-table": name }, el("thead", {}, el("tr", {}, ...headings.map((h) => el("th", {}, h)))), body);
}

// 投诉与申诉: every case of the chosen districts with its clock; an open clock that ran out is marked.
async function loadCases() {
  const page = await api("/v1/cases");
  const now = Date.now();
  const rows = page.items.filter((c) => inScope(c.district_code)).map((c) => {
    const overdue = c.due_at && new Date(c.due_at).getTime() < now;
    return el("tr", { "data-case": c.id, "data-state": c.state, "data-overdue": overdue ? "true" : "false" },
      el("td", {}, localTime(c.created_at)), el("td", {}, label(c.kind)),
      el("td", {}, state.names[c.district_code] || c.district_code),
      el("td", {}, stateLabel("case")(c.state) + (c.outcome ? `（${label(c.outcome)}）` : "")
        + (c.taken_over ? ` · ${t("takenOver")}` : "")),
      el("td", { class: overdue ? "overdue" : "" }, c.due_at ? localTime(c.due_at) + (overdue ? ` ${t("overdueMark")}` : "") : "—"));
  });
  $("cases").replaceChildren(table("cases", [t("opened"), t("kind"), t("district"), t("state"), t("dueAt")], rows, 5));
}

// 书面协议签署率: signed and unsigned agreements by district and relationship type (docs/agreements.md).
async function loadSigning() {
  const page = await api("/v1/supervision/agreements/signing-rates");
  const rows = page.items.filter((r) => inScope(r.district_code)).map((r) =>
    el("tr", { "data-district-code": r.district_code, "data-relationship": r.relationship_type,
               "data-signed": r.signed, "data-unsigned": r.unsigned },
      el("td", {}, state.names[r.district_code] || r.district_code), el("td", {}, label(r.relationship_type)),
      el("td", { class: "num" }, `${num(r.signed)} ${t("unitAgreements")}`),
      el("td", { class: "num" }, `${num(r.unsigned)} ${t("unitAgreements")}`), el("td", { class: "num" }, pct(r.rate))));
  $("signing").replaceChildren(table("signing", [t("district"), t("type"), t("signed"), t("unsigned"), t("signingRate")],
                                     rows, 5));
}

// 诚信评级: each employer of the chosen districts with its colour and what set it.
async function loadColours() {
  const page = await api("/v1/supervision/colours");
  const rows = page.items.filter((c) => inScope(c.district_code)).map((c) =>
    el("tr", { "data-organisation": c.organisation_id, "data-colour": c.colour },
      el("td", {}, c.name), el("td", {}, state.names[c.district_code] || c.district_code),
      el("td", {}, el("span", { class: `colour ${c.colour}` }, label(c.colour))),
      el("td", {}, c.reasons.map(label).join("；"))));
  $("colours").replaceChildren(table("colours", [t("employer"), t("district"), t("colour"), t("colourReasons")], rows, 4));
}

// 用工日常: favourites-first pools, recurring orders, standby seats and daily pay per district, over
// the chosen dates (standbys by their shift's start; daily pay as of now; docs/supervision.md).
async function loadEveryday() {
  const page = await api("/v1/supervision/everyday?" + scopeQuery());
  const rows = page.items.map((r) =>
    el("tr", { "data-district-code": r.district_code, "data-pool-orders": r.pool_orders,
               "data-recurring-orders": r.recurring_orders, "data-standby-on-call": r.standby_on_call,
               "data-daily-pay": r.daily_pay_workers },
      el("td", {}, state.names[r.district_code] || r.district_code),
      el("td", { class: "num" }, `${num(r.pool_orders)} ${t("unitOrders")}`),
      el("td", { class: "num" }, `${num(r.pool_favourites)} / ${num(r.pool_book_again)} / ${num(r.pool_agency)}`),
      el("td", { class: "num" }, `${num(r.recurring_orders)} / ${num(r.recurring_series)}`),
      el("td", { class: "num" }, `${num(r.standby_on_call)} ${t("person")}`),
      el("td", { class: "num" }, `${num(r.standby_called)} ${t("person")}`),
      el("td", { class: "num" }, `${num(r.standby_paid)} ${t("person")} · ${yuan(r.standby_paid_fen)}`),
      el("td", { class: "num" }, `${num(r.daily_pay_workers)} ${t("person")}`)));
  $("everyday").replaceChildren(table("everyday", [t("district"), t("poolOrders"), t("poolPlaces"), t("recurring"),
    t("standbyOnCall"), t("standbyCalled"), t("standbyPaid"), t("dailyPay")], rows, 8));
}

// 人力资源服务机构: placements (帮助实现就业或流动 人次), fill, complaints and arrears per agency.
async function loadAgencies() {
  const page = await api("/v1/supervision/agencies");
  const rows = page.items.filter((a) => inScope(a.district_code)).map((a) =>
    el("tr", { "data-agency": a.agency_organisation_id, "data-placements": a.placements },
      el("td", {}, a.name), el("td", {}, state.names[a.district_code] || a.district_code),
      el("td", { class: "num" }, `${num(a.placements)} ${t("person")}`),
      el("td", { class: "num" }, `${num(a.filled)} / ${num(a.seats)} · ${pct(a.fill_rate)}`),
      el("td", { class: "num" }, num(a.complaints)),
      el("td", { class: "num" }, `${num(a.open_arrears)} · ${yuan(a.open_arrears_fen)}`)));
  $("agencies").replaceChildren(table("agencies", [t("agency"), t("district"), t("placements"), t("fillRate"),
    t("complaints"), t("openArrears")], rows, 6));
}

function simpleTable(title, columns, rows, attrs = {}) {
  return el("div", attrs, el("h4", {}, `${title}（${rows.length}）`), rows.length ? el("table", {},
    el("thead", {}, el("tr", {}, ...columns.map(([, h]) => el("th", {}, h)))),
    el("tbody", {}, ...rows.map((r) => el("tr", r._attrs || {}, ...columns.map(([f, , fmt]) =>
      el("td", {}, fmt ? fmt(r[f], r) : r[f] ?? "—")))))) : el("div", { class: "empty" }, t("none")));
}

const localDate = (iso) => (iso ? new Date(iso).toLocaleDateString("zh-CN", { timeZone: "Asia/Shanghai",
  year: "numeric", month: "2-digit", day: "2-digit", weekday: "short" }) : "—");
const clock = (iso) => new Date(iso).toLocaleTimeString("zh-CN", { timeZone: "Asia/Shanghai", hour12: false,
  hour: "2-digit", minute: "2-digit" });
const span = (start, end) => (start ? `${clock(start)}–${clock(end)}` : "—");

// 派工: one row per assignment, by shift, under a heading row per local date, so that a worker on
// several shifts reads as several dated rows.
function assignmentsTable(assignments) {
  const rows = [...assignments].sort((a, b) => a.starts_at.localeCompare(b.starts_at) || a.id.localeCompare(b.id));
  const columns = [[t("shiftTime")], [t("worker")], [t("idMasked")], [t("rate")], [t("state")], [t("timesheet")],
                   [t("approvedMinutes")]];
  const body = [];
  let day = null;
  for (const a of rows) {
    const today = localDate(a.starts_at);
    if (today !== day) {
      day = today;
      body.push(el("tr", { class: "group", "data-date": today }, el("th", { colspan: columns.length, scope: "rowgroup" }, today)));
    }
    body.push(el("tr", { "data-assignment": a.id, "data-date": today },
      el("td", {}, span(a.starts_at, a.ends_at)), el("td", {}, a.worker_name), el("td", {}, a.id_number_masked),
      el("td", { class: "num" }, `${yuan(a.rate_fen)}/${t("hours")}`), el("td", {}, stateLabel("assignment")(a.state)),
      el("td", {}, stateLabel("timesheet")(a.timesheet_state)), el("td", { class: "num" }, num(a.approved_minutes))));
  }
  return el("div", { "data-table": "assignments" }, el("h4", {}, `${t("assignments")}（${rows.length}）`),
    rows.length ? el("table", {}, el("thead", {}, el("tr", {}, ...columns.map(([h]) => el("th", {}, h)))),
                     el("tbody", {}, ...body)) : el("div", { class: "empty" }, t("none")));
}

// 应发/实发 of a shared-labor settlement are the lender's: the wage leg it owes its employee.
const settlementGross = (gross, r) => yuan(r.wage_leg_amount_fen ?? gross);
const settlementNet = (net, r) => (r.wage_leg_amount_fen !== null && r.wage_leg_amount_fen !== undefined
  ? (r.wage_leg_confirmed_at ? t("lenderPaid") : t("lenderUnconfirmed")) : yuan(net));
const owedBasis = (basis) => t("basis_" + basis);

async function showOrder(id) {
  const o = await api(`/v1/supervision/orders/${id}`);
  const box = $("order-detail");
  box.hidden = false;
  box.setAttribute("data-order", o.id);
  const shiftStart = Object.fromEntries(o.shifts.map((s) => [s.id, s.starts_at]));
  const bids = o.bids.map((b) => ({ ...b, shift_starts_at: shiftStart[b.shift_id] ?? null }));
  box.replaceChildren(
    el("div", { class: "bar" }, el("h3", {}, `${o.title} · ${o.employer_name}`),
       el("button", { type: "button", class: "secondary", onclick: () => { box.hidden = true; } }, t("close"))),
    el("p", {}, `${label(o.kind)} · ${label(o.relationship_type)} · ${state.names[o.district_code] || o.district_code}` +
       ` · ${yuan(o.hourly_equivalent_fen)}/${t("hours")} · ${stateLabel("order")(o.state)}`),
    simpleTable(t("arrearsOwed"), [["worker_name", t("worker")], ["starts_at", t("shift"), localTime],
      ["kind", t("kind"), label], ["amount_owed_fen", t("amountOwed"), yuan], ["amount_basis", t("basis"), owedBasis],
      ["due_date", t("dueDate")], ["days_overdue", t("overdue")],
      ["cleared_at", t("status"), (v) => stateLabel("alert")(v ? "cleared" : "open")]],
      o.arrears.map((r) => ({ ...r, _attrs: { "data-arrear": r.id } })), { "data-table": "arrears" }),
    simpleTable(t("shifts"), [["starts_at", t("at"), localTime], ["headcount", t("seats")], ["filled", t("seatsFilled")]],
                o.shifts),
    simpleTable(t("bids"), [["shift_starts_at", t("shift"), localTime], ["worker_name", t("worker")],
                            ["lender_name", t("lender")], ["rate_fen", t("rate"), yuan],
                            ["state", t("state"), stateLabel("bid")]], bids),
    assignmentsTable(o.assignments),
    simpleTable(t("settlements"), [["worker_name", t("worker")], ["shift_date", t("date")],
      ["gross_fen", t("gross"), settlementGross], ["income_tax_withheld_fen", t("tax"), yuan],
      ["net_pay_fen", t("net"), settlementNet], ["due_date", t("dueDate")]], o.settlements, { "data-table": "settlements" }),
    simpleTable(t("compensations"), [["worker_name", t("worker")], ["amount_fen", t("amount"), yuan],
      ["reason", t("reason")]], o.compensations));
  box.scrollIntoView({ behavior: "smooth" });
}

// --- export ---------------------------------------------------------------------------------------
async function exportCsv(dataset) {
  const params = scopeQuery();
  params.set("dataset", dataset);
  const response = await fetch("/v1/supervision/export.csv?" + params, { headers: { Authorization: `Bearer ${state.token}` } });
  if (!response.ok) return;
  const url = URL.createObjectURL(await response.blob());
  const link = el("a", { href: url, download: `监管-${dataset}-${$("from").value}-${$("to").value}.csv` });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

// --- live updates (SSE over fetch: EventSource cannot send the Authorization header) ---------------
async function openStream() {
  if (state.stream) state.stream.abort();
  const controller = new AbortController();
  state.stream = controller;
  const params = new URLSearchParams();
  if (selectedDistricts().length) params.set("districts", selectedDistricts().join(","));
  const headers = { Authorization: `Bearer ${state.token}` };
  if (state.lastEventId !== null) headers["Last-Event-ID"] = String(state.lastEventId);
  try {
    const response = await fetch("/v1/supervision/events?" + params, { headers, signal: controller.signal });
    if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
    $("live").className = "live on";
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        handleEvent(buffer.slice(0, cut));
        buffer = buffer.slice(cut + 2);
      }
    }
  } catch (error) {
    if (controller.signal.aborted) return;
  }
  $("live").className = "live off";
  if (state.token && state.stream === controller) setTimeout(openStream, 2000);
}

function handleEvent(block) {
  const fields = {};
  for (const line of block.split("\n")) {
    if (!line || line.startsWith(":")) continue;
    const at = line.indexOf(":");
    fields[line.slice(0, at)] = line.slice(at + 1).trimStart();
  }
  if (fields.id) state.lastEventId = Number(fields.id);
  if (!fields.event) return;
  const item = el("li", { "data-event": fields.event }, `${new Date().toLocaleTimeString("zh-CN", { timeZone: "Asia/Shanghai", hour12: false })} ` +
    `${fields.event}`);
  $("feed").prepend(item);
  $("feed-empty").hidden = true;
  while ($("feed").children.length > 50) $("feed").lastChild.remove();
  clearTimeout(state.refreshTimer);
  state.refreshTimer = setTimeout(loadAll, 1500);  // several events in a burst: one reload
}

// --- language -------------------------------------------------------------------------------------
function applyLanguage() {
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  for (const node of document.querySelectorAll("option[data-label]")) node.textContent = label(node.dataset.label);
  for (const node of document.querySelectorAll("option[data-alert-state]")) {
    node.textContent = stateLabel("alert")(node.dataset.alertState);
  }
  $("lang").textContent = lang === "zh" ? "English" : "中文";
  if (state.overview) renderOverview(state.overview);
  if (state.token) {
    loadAlerts(true); loadOrders(true); loadCases(); loadColours(); loadSigning(); loadEveryday(); loadAgencies();
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("sign-in-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const token = $("token").value.trim();
    if (token) signIn(token);
  });
  $("sign-out").addEventListener("click", () => signOut(""));
  $("apply").addEventListener("click", () => { loadAll(); openStream(); });
  for (const id of ["alert-kind", "alert-status", "alert-sort"]) $(id).addEventListener("change", () => loadAlerts(true));
  $("alerts-more").addEventListener("click", () => loadAlerts(false));
  $("orders-more").addEventListener("click", () => loadOrders(false));
  for (const button of document.querySelectorAll("[data-export]")) {
    button.addEventListener("click", () => exportCsv(button.dataset.export));
  }
  $("lang").addEventListener("click", () => { lang = lang === "zh" ? "en" : "zh"; applyLanguage(); });
  const saved = sessionStorage.getItem(TOKEN_KEY);
  if (saved) signIn(saved);
});
