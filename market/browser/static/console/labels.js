// The console's texts, Chinese first then English (shared/i18n.js), and its label tables: each code
// the API sends (order states, outcomes, reason codes of docs/allocation.md) as [zh, en].
export const TEXT = {
  zh: {
    title: "雇主控制台", signIn: "登录", signUp: "注册企业", signOut: "退出", login: "登录名（手机或邮箱）",
    password: "密码", name: "企业名称", creditCode: "统一社会信用代码", district: "注册区县",
    haveAccount: "已有账号", newAccount: "新企业", live: "实时", offline: "离线",
    tabEscrow: "资金托管", tabPost: "发布订单", tabOrders: "订单", tabTimesheets: "工时单", tabBilling: "发票与对账单",
    available: "可用余额", held: "冻结金额", redFlag: "存在拖欠工资记录", deposit: "登记入账", amountYuan: "金额（元）",
    bankReference: "银行流水号", depositDone: "已登记，待平台确认到账", refresh: "刷新",
    orderTitle: "标题", description: "说明", relationship: "用工关系", workDistrict: "工作区县", address: "地址",
    lat: "纬度", lon: "经度", radius: "签到半径（米）", day: "日期", start: "开始", end: "结束", headcount: "人数",
    payUnit: "计酬单位", payAmount: "单价（元）", skill: "技能", minLevel: "最低等级", noSkill: "不限",
    post: "发布", posted: "订单已发布", bids: "投标", allocate: "立即分配", shifts: "班次", fill: "到岗",
    liveBids: "有效投标", noOrders: "还没有订单", noBids: "暂无投标", worker: "工人", rate: "报价",
    reliability: "可靠度", rating: "评分", distance: "距离", notShown: "评价不足", unknown: "—",
    runQueued: "分配已排队…", run: "分配结果", outcome: "结果", reason: "原因", seats: "座位",
    offers: "录用通知", noOffers: "暂无录用通知", expiresIn: "剩余时间", expired: "已到期",
    emptySeat: "空缺座位", noTimesheets: "暂无待审工时单", minutes: "工时（分钟）", state: "状态",
    approve: "批准所选", dispute: "争议所选", disputeReason: "争议原因", selectAll: "全选",
    invoices: "发票", noInvoices: "暂无发票", period: "期间", kind: "类型", total: "价税合计", number: "发票号码",
    pdf: "下载PDF", statement: "对账单", month: "月份", show: "查看", csv: "下载CSV", charged: "支出", deposited: "入账",
    repeatLegend: "重复发布（周期订单）或存为模板", weekdays: "每周", wd1: "周一", wd2: "周二", wd3: "周三", wd4: "周四",
    wd5: "周五", wd6: "周六", wd7: "周日", untilDate: "截止日期", seriesName: "名称", skipHolidays: "法定节假日不发布",
    postSeries: "发布周期订单", saveTemplate: "存为模板", templates: "模板", noTemplates: "暂无模板", series: "周期订单",
    noSeries: "暂无周期订单", dates: "日期", useTemplate: "用此模板填表", pause: "暂停", resume: "恢复",
    occurrences: "各次", seriesPosted: "周期订单已创建", templateSaved: "模板已保存",
    tabWorkers: "收藏与屏蔽", allRelations: "全部", favourites: "收藏", blocks: "屏蔽", note: "备注",
    noRelations: "还没有收藏或屏蔽的工人", favourite: "收藏", block: "屏蔽", remove: "移除",
    tabTeam: "成员与场地", tabWebhooks: "Webhook", site: "场地", sites: "场地", siteName: "名称", noSites: "暂无场地",
    addSite: "添加场地", members: "成员", memberName: "姓名", role: "角色", addMember: "添加成员", adHocSite: "按下方地址",
    addWebhook: "添加 Webhook", webhookUrl: "接收地址（https://）", webhookEvents: "事件", noWebhooks: "暂无 Webhook",
    deliveries: "投递记录", attempts: "尝试次数", lastStatus: "最后响应", noDeliveries: "暂无投递", retry: "重新投递",
    secretOnce: "签名密钥（只显示这一次，请妥善保存）", deliveryLog: "投递记录", delete: "删除",
    noShow: "所选记为缺勤",
    tsView: "班次范围", tsAll: "全部班次", tsToday: "今天的班次", checkedIn: "签到", notCheckedIn: "未签到", more: "更多",
    todaySummary: "今天 {day}：已签到 {in} 人，未签到 {out} 人",
    tabCases: "投诉与申诉", cases: "投诉与申诉", noCases: "暂无投诉或申诉", caseStatement: "工人陈述", dueAt: "期限",
    readCase: "查看", answerText: "答复", sendAnswer: "提交答复", trail: "处理记录", evidence: "证据",
    caseAnswer: "单位答复", caseOutcome: "裁决",
    arrears: "欠薪记录", noArrears: "没有欠薪记录", dueDate: "应付日期", atFault: "本单位原因", cleared: "已结清",
    outstanding: "未结清", yes: "是", no: "否",
    tabShared: "共享用工", employees: "本单位员工", workerId: "工人ID", idNumber: "身份证号", jobTitle: "岗位",
    agreedWage: "约定时薪（元）", registerEmployee: "登记员工", noEmployees: "还没有登记员工", endEmployment: "结束",
    lend: "借出员工", orderId: "共享用工订单ID", feeYuan: "每人每天服务费（元）", lentWage: "借出期间时薪（元）",
    sendLend: "提交借出", consents: "员工同意", noConsents: "提交后在此显示每名员工的同意状态",
    agreements: "三方协议", noAgreements: "暂无三方协议", borrower: "用工单位", lender: "派出单位",
    wage: "时薪", fee: "服务费/人/天", employeeName: "员工",
    payoutsNote: "工人的工资由平台按结算批量代发（或由派出单位自行发放），发放明细不对用工单位开放；每笔结算的扣款见下方对账单。",
    notEmployer: "该账号不是雇主账号", at: "时间", amount: "金额", order: "订单", noLines: "本月无记录", assignment: "派工", shift: "班次",
  },
  en: {
    title: "Employer console", signIn: "Sign in", signUp: "Register", signOut: "Sign out", login: "Login (phone or e-mail)",
    password: "Password", name: "Enterprise name", creditCode: "Unified social credit code", district: "District",
    haveAccount: "I have an account", newAccount: "New enterprise", live: "live", offline: "offline",
    tabEscrow: "Escrow", tabPost: "Post an order", tabOrders: "Orders", tabTimesheets: "Timesheets", tabBilling: "Invoices & statements",
    available: "Available", held: "Held", redFlag: "Unpaid wage arrears on record", deposit: "Declare a deposit", amountYuan: "Amount (¥)",
    bankReference: "Bank reference", depositDone: "Declared; awaiting the platform's confirmation", refresh: "Refresh",
    orderTitle: "Title", description: "Description", relationship: "Relationship", workDistrict: "Work district", address: "Address",
    lat: "Latitude", lon: "Longitude", radius: "Check-in radius (m)", day: "Date", start: "Start", end: "End", headcount: "Headcount",
    payUnit: "Pay unit", payAmount: "Rate (¥)", skill: "Skill", minLevel: "Minimum level", noSkill: "Any",
    post: "Post", posted: "Order posted", bids: "Bids", allocate: "Allocate now", shifts: "Shifts", fill: "Filled",
    liveBids: "Live bids", noOrders: "No orders yet", noBids: "No bids yet", worker: "Worker", rate: "Asked rate",
    reliability: "Reliability", rating: "Rating", distance: "Distance", notShown: "too few ratings", unknown: "—",
    runQueued: "Allocation queued…", run: "Allocation result", outcome: "Outcome", reason: "Reason", seats: "Seats",
    offers: "Offers", noOffers: "No offers yet", expiresIn: "Time left", expired: "expired",
    emptySeat: "empty seats", noTimesheets: "No timesheets to review", minutes: "Minutes", state: "State",
    approve: "Approve selected", dispute: "Dispute selected", disputeReason: "Dispute reason", selectAll: "Select all",
    invoices: "Invoices", noInvoices: "No invoices yet", period: "Period", kind: "Kind", total: "Total incl. tax", number: "Number",
    pdf: "Download PDF", statement: "Statement", month: "Month", show: "Show", csv: "Download CSV", charged: "Charged", deposited: "Deposited",
    repeatLegend: "Repeat (a recurring order) or keep as a template", weekdays: "Weekdays", wd1: "Mon", wd2: "Tue",
    wd3: "Wed", wd4: "Thu", wd5: "Fri", wd6: "Sat", wd7: "Sun", untilDate: "Until", seriesName: "Name",
    skipHolidays: "Skip public holidays", postSeries: "Post a recurring order", saveTemplate: "Save as a template",
    templates: "Templates", noTemplates: "No templates yet", series: "Recurring orders", noSeries: "No recurring orders yet",
    dates: "Dates", useTemplate: "Fill the form from it", pause: "Pause", resume: "Resume", occurrences: "Occurrences",
    seriesPosted: "Recurring order created", templateSaved: "Template saved",
    tabWorkers: "Favourites & blocks", allRelations: "All", favourites: "Favourites", blocks: "Blocks", note: "Note",
    noRelations: "No favourite or blocked workers yet", favourite: "Favourite", block: "Block", remove: "Remove",
    tabTeam: "Members & sites", tabWebhooks: "Webhooks", site: "Site", sites: "Sites", siteName: "Name", noSites: "No sites yet",
    addSite: "Add a site", members: "Members", memberName: "Name", role: "Role", addMember: "Add a member", adHocSite: "the address below",
    addWebhook: "Add a webhook", webhookUrl: "Endpoint (https://)", webhookEvents: "Events", noWebhooks: "No webhooks yet",
    deliveries: "Deliveries", attempts: "Attempts", lastStatus: "Last response", noDeliveries: "No deliveries yet", retry: "Retry",
    secretOnce: "Signing secret (shown only now: keep it)", deliveryLog: "Delivery log", delete: "Delete",
    noShow: "Record selected as no-shows",
    tsView: "Shifts shown", tsAll: "All shifts", tsToday: "Today's shifts", checkedIn: "Check-in", notCheckedIn: "not checked in",
    more: "More", todaySummary: "Today {day}: {in} checked in, {out} not checked in",
    tabCases: "Cases", cases: "Complaints and appeals", noCases: "No complaints or appeals", caseStatement: "The worker's statement",
    dueAt: "Due", readCase: "Read", answerText: "Answer", sendAnswer: "Send the answer", trail: "History",
    evidence: "Evidence", caseAnswer: "Our answer", caseOutcome: "Decision",
    arrears: "Wage arrears", noArrears: "No wage arrears", dueDate: "Due date", atFault: "Our fault", cleared: "Cleared",
    outstanding: "outstanding", yes: "yes", no: "no",
    tabShared: "Shared employment", employees: "Our employees", workerId: "Worker ID", idNumber: "ID number",
    jobTitle: "Job", agreedWage: "Agreed hourly wage (yuan)", registerEmployee: "Register the employee",
    noEmployees: "No employees registered", endEmployment: "End", lend: "Lend employees",
    orderId: "Shared order ID", feeYuan: "Fee per worker-day (yuan)", lentWage: "Hourly wage while lent (yuan)",
    sendLend: "Lend", consents: "Employees' consent", noConsents: "Each employee's consent shows here once sent",
    agreements: "Three-party agreements", noAgreements: "No three-party agreements", borrower: "Borrower",
    lender: "Lender", wage: "Wage", fee: "Fee / worker-day", employeeName: "Employee",
    payoutsNote: "Workers are paid by the platform's payout batches (or by their lender); the payouts themselves are not shown to the employer. Each settlement's charge is on the statement below.",
    notEmployer: "This account is not an employer's", at: "At", amount: "Amount", order: "Order", noLines: "Nothing this month", assignment: "Assignment", shift: "Shift",
  },
};

export const RELATIONSHIPS = {
  labor_part_time: ["非全日制用工", "part-time employment"],
  incomplete_labor: ["不完全劳动关系", "incomplete labour relation"],
  labor_service: ["劳务关系", "labour service"],
  shared_labor: ["共享用工", "shared employment"],
};
export const PAY_UNITS = { hour: ["按小时", "per hour"], day: ["按天", "per day"], piece: ["按件", "per piece"] };
export const ORDER_STATES = {
  open: ["招募中", "open"], allocating: ["分配中", "allocating"], filled: ["已满员", "filled"],
  in_progress: ["进行中", "in progress"], completed: ["已完成", "completed"], settled: ["已结算", "settled"],
  cancelled: ["已取消", "cancelled"], expired: ["已过期", "expired"],
};
export const OUTCOMES = {
  offered: ["已发出录用", "offered"], assigned: ["已派工", "assigned"], not_chosen: ["未选中", "not chosen"],
  conflict: ["冲突", "conflict"], unfilled: ["空缺", "unfilled"],
};
export const RUN_STATES = { queued: ["排队中", "queued"], running: ["求解中", "running"], done: ["完成", "done"],
  failed: ["失败", "failed"] };
// docs/allocation.md, "Reason codes"
export const REASONS = {
  skill_mismatch: ["技能不符", "skills do not match"],
  certificate_missing: ["缺少所需证书", "a required certificate is missing"],
  certificate_expires: ["证书在班次前过期", "the certificate expires before the shift"],
  too_far: ["超出工人的通勤范围", "beyond the worker's travel radius"],
  unavailable: ["工人该时段不可用", "the worker is not available then"],
  bid_above_rate: ["报价高于订单单价", "asked more than the order pays"],
  relationship_not_accepted: ["工人不接受该用工关系", "the worker does not accept this relationship"],
  blocked: ["已被屏蔽", "blocked"],
  overlap: ["与其已有班次时间重叠", "overlaps a shift the worker holds"],
  rest_period: ["休息时间不足", "too little rest between shifts"],
  hours_limit: ["将超过工时上限", "would break an hours limit"],
  max_shifts: ["已达班次上限", "reached the shift cap"],
  outbid: ["报价高于被选中的工人", "asked more than every chosen worker"],
  farther: ["住得比被选中的工人远", "lives farther than every chosen worker"],
  lower_score: ["技能与可靠度低于被选中的工人", "lower skill and reliability than the chosen"],
  assigned_elsewhere: ["被安排到另一班次更合适", "better used on another shift"],
  higher_cost: ["总成本更高", "the chosen workers cost less overall"],
  not_reached: ["求解未覆盖到", "the solver had not reached it"],
  no_eligible_worker: ["没有符合条件的工人", "no eligible worker"],
  order_not_allocating: ["订单不在分配中", "the order was not allocating"],
  seat_taken: ["座位已被占用", "the seat was taken"],
  offered: ["已有待回复的录用", "a pending offer exists"],
  insufficient_escrow: ["托管余额不足", "escrow does not cover the seat"],
};
export const OFFER_STATES = {
  pending: ["待答复", "pending"], accepted: ["已接受", "accepted"], declined: ["已拒绝", "declined"],
  expired: ["已过期", "expired"], withdrawn: ["已撤回", "withdrawn"],
};

export const TIMESHEET_STATES = {
  assigned: ["已派工", "assigned"], checked_in: ["已签到", "checked in"], submitted: ["待审核", "submitted"],
  approved: ["已批准", "approved"], disputed: ["有争议", "disputed"], no_show: ["缺勤", "no-show"],
  cancelled: ["已取消", "cancelled"],
};
export const INVOICE_KINDS = { service_fee: ["服务费", "service fee"], pass_through: ["代收代付", "pass-through"] };
export const INVOICE_STATES = { requested: ["已申请", "requested"], issued: ["已开具", "issued"] };
// the statement's entry kinds (journal_entries.kind of the lines a statement shows)
export const ENTRY_KINDS = {
  deposit: ["入账", "deposit"], settlement: ["结算", "settlement"], compensation: ["迟取消补偿", "late-cancel compensation"],
  reversal: ["冲正", "reversal"], agency_fee: ["中介服务费", "agency fee"],
};
export const SERIES_STATES = { active: ["进行中", "active"], paused: ["已暂停", "paused"], ended: ["已结束", "ended"] };
export const OCCURRENCE_STATES = { pending: ["待发布", "pending"], materialised: ["已发布", "posted"],
  skipped: ["跳过", "skipped"], refused: ["被拒", "refused"] };
export const WEEKDAYS = { 1: ["一", "Mon"], 2: ["二", "Tue"], 3: ["三", "Wed"], 4: ["四", "Thu"], 5: ["五", "Fri"],
  6: ["六", "Sat"], 7: ["日", "Sun"] };
export const RELATION_KINDS = { favourite: ["收藏", "favourite"], blocked: ["屏蔽", "blocked"] };
export const MEMBER_ROLES = { owner: ["所有者", "owner"], site_manager: ["场地经理", "site manager"],
  finance: ["财务", "finance"] };
export const DELIVERY_STATES = { pending: ["待投递", "pending"], delivered: ["已送达", "delivered"],
  failed: ["失败", "failed"] };

export const CASE_KINDS = {
  unpaid_pay: ["拖欠工资", "unpaid pay"], late_pay: ["工资迟发", "late pay"], changed_terms: ["条件与发布不符", "terms changed"],
  safety: ["安全问题", "safety"], discrimination: ["歧视", "discrimination"], timesheet_dispute: ["工时争议", "hours disputed"],
  no_show_appeal: ["缺勤申诉", "no-show appeal"], reliability_appeal: ["信用分申诉", "reliability appeal"],
  cancelled_seat: ["被取消的班次", "cancelled seat"],
};
export const CASE_STATES = {
  open: ["待答复", "to answer"], answered: ["已答复", "answered"], resolved: ["已解决", "resolved"],
  escalated: ["平台处理中", "with the platform"], decided: ["已裁决", "decided"],
};
export const CASE_ROLES = { worker: ["工人", "worker"], employer: ["本单位", "us"], admin: ["平台", "platform"],
  supervisor: ["监管部门", "supervisor"], system: ["系统", "system"] };
export const CASE_OUTCOMES = { upheld: ["支持", "upheld"], partly_upheld: ["部分支持", "partly upheld"], dismissed: ["驳回", "dismissed"] };
export const CASE_MOVES = { open: ["提出", "opened"], answer: ["答复", "answered"], accept: ["接受答复", "accepted"],
  escalate: ["提请平台处理", "escalated"], take_over: ["接手", "took over"], decide: ["裁决", "decided"],
  expire: ["逾期转交", "expired"] };
export const ARREARS_KINDS = { wage_unpaid: ["工资未付", "wage unpaid"], shared_wage_unconfirmed: ["派出单位工资未确认", "lender's wage unconfirmed"] };
export const EMPLOYMENT_STATES = { pending: ["待员工确认", "waiting for the employee"], active: ["在职", "active"],
  declined: ["员工否认", "declined"], ended: ["已结束", "ended"] };
export const CONSENT_STATES = { pending: ["待员工同意", "waiting for the employee"], accepted: ["已同意", "accepted"],
  declined: ["已拒绝", "declined"], withdrawn: ["已撤回", "withdrawn"] };
