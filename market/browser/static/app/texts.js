// The worker app's texts, Chinese first (docs/worker-app.md), and its label tables as [zh, en] pairs.
export const TEXTS = {
  zh: {
    appName: "重庆零工市场", tagline: "附近的活，按时结算", signInTitle: "登录", signUpTitle: "注册成为零工",
    phone: "手机号", password: "密码", name: "姓名", idNumber: "身份证号", district: "所在区县",
    signIn: "登录", signUp: "注册", toSignUp: "没有账号？注册", toSignIn: "已有账号？登录", signOut: "退出登录",
    tabFeed: "找活", tabOffers: "邀约", tabShifts: "我的班次", tabPay: "工资单", tabProfile: "我的",
    feedTitle: "适合你的工作", feedEmpty: "暂时没有适合你的工作。完善资料（技能、住址、距离）可以看到更多。",
    live: "实时", liveOff: "离线", offlineCopy: "离线：显示的是 {time} 保存的列表", newShift: "有新的工作",
    distance: "距离", seatsLeft: "剩余名额", hourly: "折合每小时", bid: "投标", bidRate: "我的报价（元）",
    placeBid: "提交投标", bidPlaced: "已投标", withdraw: "撤回投标", withdrawn: "已撤回投标", deadline: "投标截止",
    offersTitle: "给我的邀约", offersEmpty: "暂无邀约。投标后，雇主选中你时会在这里出现。",
    accept: "接受", decline: "拒绝", expiresIn: "剩余", expired: "已过期", accepted: "已接受", declined: "已拒绝",
    shiftsTitle: "我的班次", shiftsEmpty: "还没有班次。接受邀约后会出现在这里。",
    checkIn: "签到", checkOut: "签退", locating: "正在获取位置…", checkedIn: "已签到", checkedOut: "已签退",
    noGeo: "此设备不支持定位，无法签到。", geoDenied: "你拒绝了定位权限：签到需要你的位置，请在浏览器设置中允许。",
    geoUnavailable: "暂时无法获取位置，请到空旷处重试。", geoTimeout: "获取位置超时，请重试。",
    payTitle: "工资单", payEmpty: "还没有工资单。雇主确认工时后会生成。", download: "下载工资单（CSV）",
    gross: "应发", net: "实发", earnings: "收入项目", withholdings: "代扣项目", contributions: "单位缴纳",
    hours: "工时", payer: "支付方", shiftDate: "工作日期", settledOn: "结算日期", dueDate: "发放日",
    profileTitle: "我的资料", skills: "技能", level: "等级", home: "住址（用于计算距离）", lat: "纬度", lon: "经度",
    useDistrict: "用区县中心", useMyLocation: "用我现在的位置", travel: "最远通勤距离（公里）",
    relationships: "接受的用工类型", autoAllocation: "允许平台自动为我安排（无需逐单确认）", save: "保存资料", saved: "资料已保存",
    homeUnset: "未设置", reliability: "信用分", loading: "加载中…", retry: "重试",
    networkError: "网络连接失败，请检查网络后重试。", langToggle: "English",
    perHour: "/小时", perShift: "/班", perPiece: "/件", perDay: "/天", employer: "雇主",
    state: "状态", wage: "劳动报酬", hoursUnit: "小时", agreement: "用工协议", agreementState: "协议状态",
    certsTitle: "我的证书", uploadCert: "上传证书", certKind: "证书种类", certNumber: "证书编号", certIssuer: "发证机关",
    issuedOn: "发证日期", expiresOn: "有效期至", reviewDueOn: "复审日期（特种作业证需填）", certFile: "证书照片或PDF",
    upload: "上传", uploaded: "已上传，等待审核", validUntil: "有效至", certsEmpty: "还没有证书。部分工作（如厨房、电工）需要有效证书。",
    rejectReason: "未通过原因",
    lentTitle: "共享用工", consentsTitle: "借调请求", employmentsTitle: "我的用人单位",
    lentHelp: "你的用人单位可以在征得你同意后，把你借调到另一家企业工作一段时间；你仍是原单位的员工，工资照常由原单位发放，且不低于约定工资。",
    consentsEmpty: "没有借调请求。", employmentsEmpty: "没有登记的用人单位。", confirm: "确认是我的单位", refuse: "不是",
    agreeLend: "同意借调", declineLend: "拒绝", wageHourly: "借调期间时薪", agreedWage: "约定时薪", jobTitle: "岗位",
    lender: "派出单位",
    rate: "单价", evidenceText: "补充说明（证据）", evidenceFile: "照片或PDF（工资条、聊天记录等）", addEvidence: "提交证据",
    evidenceAdded: "证据已提交", pushSubscribe: "在这台手机上接收推送", pushOn: "这台设备已开启浏览器推送。", pushOff: "浏览器推送未开启。",
    pushDone: "已开启推送",
    waitingMinutes: "按雇主安排等待的时间（分钟，可不填）", waitingReason: "等待原因",
    notWorker: "这不是零工账号：雇主请使用雇主后台，监管人员请使用监管看板。",
    availability: "可以上班的时间（每周）", weekdays: "周一,周二,周三,周四,周五,周六,周日",
    cadence: "工资怎么发", onDueDate: "到期统一发放（不收手续费）", daily: "日结：每天发放", dailyFee: "每笔手续费",
    casesTitle: "投诉与申诉", casesHelp: "对某个班次投诉或申诉：在“我的班次”里点该班次的“投诉/申诉”。",
    casesEmpty: "没有投诉或申诉。", complain: "投诉/申诉", caseKind: "类型", statement: "说明经过",
    openCase: "提交", caseOpened: "已提交，雇主须在期限内答复", acceptAnswer: "接受答复", escalate: "请平台裁决",
    answer: "雇主答复", outcome: "裁决", dueAt: "答复期限", notifyTitle: "通知设置", optedOut: "不接收任何通知",
    channelsPerKind: "每类通知的渠道", quietHours: "免打扰时段", from: "开始", to: "结束",
    worked: "实际工时", approvedMinutes: "确认工时", minutesUnit: "分钟", adjustReason: "调整原因",
    missingSignatures: "待签", readAgreement: "阅读协议（PDF）", signAgreement: "我已阅读，签署", signed: "已签署",
    standbyAmount: "待命费", standbySeatsLeft: "待命名额", goOnCall: "待命", onCallNow: "已待命：有人缺席时你会收到邀约",
    standbyTitle: "我的待命", standbyHelp: "待命：班次开始前随时准备顶替缺席的人。没被叫上也能拿到待命费；离开始太近时不能退出。",
    standbyEmpty: "你没有待命。找活里带“待命”按钮的班次可以报名。", standbyWithdraw: "退出待命", standbyWithdrawn: "已退出待命",
  },
  en: {
    appName: "Chongqing Gig Market", tagline: "Work nearby, paid on time", signInTitle: "Sign in",
    signUpTitle: "Sign up as a worker", phone: "Mobile number", password: "Password", name: "Name",
    idNumber: "ID card number", district: "District", signIn: "Sign in", signUp: "Sign up",
    toSignUp: "No account? Sign up", toSignIn: "Have an account? Sign in", signOut: "Sign out",
    tabFeed: "Jobs", tabOffers: "Offers", tabShifts: "My shifts", tabPay: "Pay slips", tabProfile: "Me",
    feedTitle: "Work that fits you", feedEmpty: "No work fits you yet. Add skills, your home and a travel distance to see more.",
    live: "Live", liveOff: "Offline", offlineCopy: "Offline: the list saved at {time}", newShift: "New work",
    distance: "Distance", seatsLeft: "Seats left", hourly: "Per hour", bid: "Bid", bidRate: "My rate (yuan)",
    placeBid: "Place bid", bidPlaced: "Bid placed", withdraw: "Withdraw bid", withdrawn: "Bid withdrawn", deadline: "Bids close",
    offersTitle: "Offers to me", offersEmpty: "No offers. When an employer picks your bid, it shows here.",
    accept: "Accept", decline: "Decline", expiresIn: "Left", expired: "Expired", accepted: "Accepted", declined: "Declined",
    shiftsTitle: "My shifts", shiftsEmpty: "No shifts yet. An accepted offer shows here.",
    checkIn: "Check in", checkOut: "Check out", locating: "Finding your location…", checkedIn: "Checked in",
    checkedOut: "Checked out", noGeo: "This device cannot locate itself; check-in needs a location.",
    geoDenied: "You refused location access: check-in needs your location; allow it in the browser's settings.",
    geoUnavailable: "Your location is unavailable right now; try again in the open.", geoTimeout: "Locating timed out; try again.",
    payTitle: "Pay slips", payEmpty: "No pay slips yet. One is made when the employer confirms your hours.",
    download: "Download pay slips (CSV)", gross: "Gross", net: "Net", earnings: "Earnings", withholdings: "Withheld",
    contributions: "Paid by the employer", hours: "Hours", payer: "Payer", shiftDate: "Work date",
    settledOn: "Settled on", dueDate: "Pay day", profileTitle: "My profile", skills: "Skills", level: "Level",
    home: "Home (for distances)", lat: "Latitude", lon: "Longitude", useDistrict: "District centre",
    useMyLocation: "Where I am now", travel: "Farthest travel (km)", relationships: "Kinds of work I accept",
    autoAllocation: "Let the platform book me without asking each time", save: "Save profile", saved: "Profile saved",
    homeUnset: "Not set", reliability: "Reliability", loading: "Loading…", retry: "Retry",
    networkError: "The network failed; check your connection and retry.", langToggle: "中文",
    perHour: "/hour", perShift: "/shift", perPiece: "/piece", perDay: "/day", employer: "Employer",
    state: "State", wage: "Pay for the work", hoursUnit: "h", agreement: "Agreement", agreementState: "Agreement",
    certsTitle: "My certificates", uploadCert: "Upload a certificate", certKind: "Kind", certNumber: "Number",
    certIssuer: "Issued by", issuedOn: "Issued on", expiresOn: "Expires on", reviewDueOn: "Review due (special operations)",
    certFile: "Photo or PDF of it", upload: "Upload", uploaded: "Uploaded: waiting for review", validUntil: "Valid until",
    certsEmpty: "No certificates yet. Some work (kitchens, electrics) needs a valid one.", rejectReason: "Why refused",
    lentTitle: "Shared employment", consentsTitle: "Loan requests", employmentsTitle: "My employers",
    lentHelp: "With your consent your employer may lend you to another company for a while; you stay their employee, and they keep paying you, never below your agreed wage.",
    consentsEmpty: "No loan requests.", employmentsEmpty: "No employers on record.", confirm: "Yes, they employ me",
    refuse: "No", agreeLend: "Agree to be lent", declineLend: "Refuse", wageHourly: "Hourly wage while lent",
    agreedWage: "Agreed hourly wage", jobTitle: "Job", lender: "Employer lending you",
    rate: "Rate", evidenceText: "More words (evidence)", evidenceFile: "A photo or PDF (a pay note, messages…)",
    addEvidence: "Add evidence", evidenceAdded: "Evidence added", pushSubscribe: "Get push notifications on this phone", pushOn: "Web Push is on for you.",
    pushOff: "Web Push is off.", pushDone: "Push notifications on",
    waitingMinutes: "Minutes the employer had me wait (optional)", waitingReason: "Why I waited",
    notWorker: "This is not a worker's account: employers use the employer console, supervisors the supervision page.",
    availability: "When I can work (weekly)", weekdays: "Mon,Tue,Wed,Thu,Fri,Sat,Sun",
    cadence: "How I am paid", onDueDate: "On the pay day (no fee)", daily: "Daily pay (日结)", dailyFee: "fee per payout",
    casesTitle: "Complaints and appeals", casesHelp: "To complain or appeal about a shift, tap its “Complain” in My shifts.",
    casesEmpty: "No complaints or appeals.", complain: "Complain", caseKind: "Kind", statement: "What happened",
    openCase: "Send", caseOpened: "Sent: the employer must answer in time", acceptAnswer: "Accept the answer",
    escalate: "Ask the platform to decide", answer: "Employer's answer", outcome: "Decision", dueAt: "Answer due",
    notifyTitle: "Notifications", optedOut: "Send me no notifications", channelsPerKind: "Channels for each kind",
    quietHours: "Quiet hours", from: "From", to: "To", worked: "Worked", approvedMinutes: "Approved",
    minutesUnit: "min", adjustReason: "Why adjusted",
    missingSignatures: "To sign", readAgreement: "Read it (PDF)", signAgreement: "I have read it: sign", signed: "Signed",
    standbyAmount: "On-call pay", standbySeatsLeft: "On-call places", goOnCall: "Go on call",
    onCallNow: "On call: you get an offer if someone does not come",
    standbyTitle: "On call", standbyHelp: "On call: ready to replace someone who does not come. Not called, you are still paid the on-call pay; close to the start you can no longer withdraw.",
    standbyEmpty: "You are not on call. Shifts in Jobs with a “Go on call” button take sign-ups.",
    standbyWithdraw: "Withdraw", standbyWithdrawn: "No longer on call",
  },
};

// What each relationship type means for the worker, in plain words.
export const RELATIONSHIPS = {
  labor_part_time: {
    name: ["非全日制用工", "Part-time employment"],
    plain: ["你是这家单位的非全日制员工：按小时计薪，每天不超过4小时，单位为你缴纳工伤保险，工资最长15天结一次。",
      "You are the employer's part-time employee: paid by the hour, at most 4 hours a day, covered by their work-injury insurance, paid at least every 15 days."],
  },
  incomplete_labor: {
    name: ["不完全劳动关系", "Incomplete employment"],
    plain: ["新就业形态：你不是正式员工，但单位保证最低工资、休息，并为你参加职业伤害保障。",
      "New-form work: not a full employee, but you are guaranteed the minimum wage, rest, and occupational-injury cover."],
  },
  labor_service: {
    name: ["劳务关系", "Service contract"],
    plain: ["你独立完成这份活、按约定收费，不是对方的员工；报酬按劳务报酬代扣个税。",
      "You do the job on your own for an agreed price, not as an employee; tax is withheld as service income."],
  },
  shared_labor: {
    name: ["共享用工", "Shared employment"],
    plain: ["你仍是原单位的员工，被借到另一家单位工作一段时间；工资照常由原单位发放。",
      "You stay your own employer's employee, lent to another company for a while; your employer keeps paying you."],
  },
};

// The employer's colour on the platform's rating (market/reputation).
export const COLOURS = {
  red: ["红榜雇主：按时付款、评价好", "Red list: pays on time, well rated"],
  blue: ["一般雇主", "Ordinary employer"],
  black: ["黑榜雇主：有欠薪或严重投诉", "Black list: arrears or serious complaints"],
};

export const PAY_UNITS = { hour: "perHour", shift: "perShift", piece: "perPiece", day: "perDay" };

export const OFFER_STATES = {
  pending: ["待回复", "Waiting for you"], accepted: ["已接受", "Accepted"], declined: ["已拒绝", "Declined"],
  expired: ["已过期", "Expired"], withdrawn: ["已撤回", "Withdrawn"],
};

export const ASSIGNMENT_STATES = {
  active: ["待上岗", "Booked"], completed: ["已完成", "Completed"], cancelled: ["已取消", "Cancelled"],
  no_show: ["缺勤", "No-show"], open: ["待签到", "To check in"], on_shift: ["工作中", "On the job"], submitted: ["待雇主确认", "Waiting for approval"],
  approved: ["已确认", "Approved"], disputed: ["有争议", "Disputed"], auto_approved: ["已自动确认", "Auto-approved"],
};

export const AGREEMENT_STATES = {
  pending: ["生成中", "Being drawn up"], rendered: ["待签署", "To sign"], signed: ["各方已签署", "Signed by all"],
};

export const ROLES = { worker: ["我", "me"], employer: ["用工单位", "the employer"], lender: ["派出单位", "the lender"] };

export const CASE_KINDS = {
  unpaid_pay: ["拖欠工资", "Unpaid pay"], late_pay: ["工资迟发", "Late pay"], changed_terms: ["条件与发布不符", "Terms changed"],
  safety: ["安全问题", "Safety"], discrimination: ["歧视", "Discrimination"], timesheet_dispute: ["工时争议", "Hours disputed"],
  no_show_appeal: ["缺勤申诉", "No-show appeal"], reliability_appeal: ["信用分申诉", "Reliability appeal"],
  cancelled_seat: ["被取消的班次", "Cancelled seat"],
};

export const CASE_STATES = {
  open: ["待雇主答复", "Waiting for the employer"], answered: ["雇主已答复", "Answered"], resolved: ["已解决", "Resolved"],
  escalated: ["平台处理中", "With the platform"], decided: ["已裁决", "Decided"],
};

export const NOTIFICATION_KINDS = {
  "offer.made": ["新邀约", "New offer"], "offer.expiring": ["邀约即将过期", "Offer expiring"],
  "shift.tomorrow": ["明天的班次", "Shift tomorrow"], "checkin.reminder": ["签到提醒", "Check-in reminder"],
  "timesheet.approved": ["工时已确认", "Hours approved"], "payout.paid": ["工资已到账", "Pay received"],
  "certificate.expiring": ["证书即将过期", "Certificate expiring"], "case.answered": ["投诉有答复", "Case answered"],
};

export const CHANNELS = { sms: ["短信", "SMS"], wechat: ["微信", "WeChat"], web_push: ["浏览器推送", "Web Push"] };

export const CERT_STATES = {
  pending: ["审核中", "Under review"], verified: ["已认证", "Verified"], rejected: ["未通过", "Rejected"], revoked: ["已撤销", "Revoked"],
};

export const EMPLOYMENT_STATES = {
  pending: ["待你确认", "To confirm"], active: ["在职", "Active"], declined: ["已否认", "Declined"], ended: ["已结束", "Ended"],
};
export const CONSENT_STATES = {
  pending: ["待你同意", "Waiting for you"], accepted: ["已同意", "Agreed"], declined: ["已拒绝", "Refused"],
  withdrawn: ["已撤回", "Withdrawn"], expired: ["已过期", "Expired"],
};

export const STANDBY_STATES = {
  on_call: ["待命中", "On call"], offered: ["已收到顶替邀约", "Offered the seat"], called: ["已顶替上岗", "Called in"],
  passed: ["未接受邀约", "Passed"], released_paid: ["未被叫上，已付待命费", "Not called, paid"], withdrawn: ["已退出", "Withdrawn"],
};

// Why going on call (POST /v1/shifts/{id}/standby) or withdrawing was refused, by the problem's
// `reason` (docs/standby.md), in plain words; an unknown reason shows the API's own detail.
export const STANDBY_REFUSALS = {
  no_standby: ["这个班次没有待命名额。", "This shift takes nobody on call."],
  started: ["班次已经开始了。", "The shift has already started."],
  standby_full: ["待命名额已经满了。", "Every on-call place is taken."],
  assigned: ["你在这个时间已经有班次。", "You already work a shift at this time."],
  overlap: ["你在这个时间已经在待命。", "You are already on call at this time."],
  insufficient_escrow: ["雇主的预付款不够支付待命费，暂时不能报名。", "The employer has not paid in enough to cover the on-call pay yet."],
  missing_skill: ["这个班次需要的技能你还没有。", "The shift needs a skill you do not have yet."],
  blocked: ["这家雇主不接受你报名。", "This employer does not take you."],
  hidden: ["你屏蔽了这家雇主。", "You have hidden this employer."],
  private_pool: ["这个班次先给雇主的常用人员，稍后才开放。", "The shift is for the employer's regulars first; it opens later."],
  relationship_type: ["你的资料不接受这种用工类型。", "Your profile does not accept this kind of work."],
  cutoff_passed: ["离开始太近，已经不能退出待命。", "Too close to the start: you can no longer withdraw."],
};
