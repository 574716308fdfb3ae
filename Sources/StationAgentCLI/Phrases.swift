import StationConfig

/// The catalog of the commands' human phrases (SPEC §2): each phrase once, in English as the code writes it, with its
/// Chinese in ``chinese``, in one file a translator can review. `{1}`, `{2}` … stand for the values filled in.
/// It needs no locale on the box: the language comes from `language` or LC_ALL/LC_MESSAGES/LANG
/// (``HumanLanguage``), and the words are here. `CatalogTests` fails when a phrase has no Chinese, or a
/// translation drops or adds a placeholder. (Commands not yet moved here still print English: see README.)
enum Phrase: String, CaseIterable, Sendable {
    // counts: the table
    case carrier = "CARRIER"
    case inbound = "IN"
    case outbound = "OUT"
    case inStock = "IN STOCK"
    case stale = "STALE"
    case unmatchedOut = "UNMATCHED OUT"
    case repeatOut = "REPEAT OUT"
    case duplicates = "DUPLICATES"
    case rescans = "RESCANS"
    case undone = "UNDONE"
    case rejected = "REJECTED"
    case total = "TOTAL"
    case device = "DEVICE"
    // counts: the glance line first
    case today = "today"
    case glance = "{1} in {2} · out {3} · in stock {4} · stale {5}"
    // counts: the lines around it
    case final = "final"
    case dayOpen = "day still open, as of {1}"
    case stockAtEnd = "In stock at the end of the day: {1}, of which stale (in longer than the stale limit): {2}"
    case unsynced = "Clock: {1} event(s) recorded with an unsynchronised clock, {2} corrected since"
    case journalRange = "Journal events #{1}–#{2}"
    case noScansOnDay = "No scans on this day."
    // scans: the table
    case seq = "SEQ"
    case time = "TIME"
    case code = "CODE"
    case raw = "RAW"
    case symbology = "SYMBOLOGY"
    case direction = "DIRECTION"
    case outcome = "OUTCOME"
    case reason = "REASON"
    case undoes = "UNDOES"
    case source = "SOURCE"
    case noScans = "No scans."
    // stock
    case stockLine = "in stock {1} · stale {2} (in stock over {3} days) · {4} ({5})"
    case noStaleParcels = "No stale parcels: none has been in stock over {1} days."
    case noParcelsInStock = "No parcels in stock."
    case receivedAt = "RECEIVED AT"
    case days = "DAYS"
    case staleMark = "stale"
    // scan: what happened, in a sentence (Chinese only: in English the outcome line above says it)
    case saidReceived = "received {1}"
    case saidRescan = "already in stock, not counted again: {1}"
    case saidReleased = "released {1}"
    case saidReleasedUnmatched = "released without a receipt (counted as outbound, check it): {1}"
    case saidRepeatRelease = "already released, not counted again: {1}"
    case saidDuplicate = "scanned twice within the duplicate window, not counted again: {1}"
    case saidRejected = "not a parcel code: {1} ({2})"
    case saidModeIn = "inbound mode"
    case saidModeOut = "outbound mode"
    case saidUndone = "undone: event #{1} ({2})"
    case saidCommand = "command {1}"
    case saidNothingUndone = "Nothing was undone: {1}."
    // the reasons of SPEC §5
    case reasonBadLength = "its length is not that of a parcel code"
    case reasonBadCharacters = "it holds characters a parcel code never has"
    case reasonProductBarcode = "a product barcode (EAN/UPC), not a parcel code"
    case reasonS10CheckDigit = "the check digit of an international (S10) parcel code is wrong"
    case reasonModeCardIgnored = "this device has a fixed direction: mode cards do not change it"
    case reasonNothingToUndo = "this device has no counted parcel event in the last 10 minutes"
    case reasonUndoSuperseded = "another device has counted that parcel since, so undoing it would wipe that out"

    /// The phrase in `language`, with `values` for `{1}`, `{2}` ….
    func text(_ language: HumanLanguage, _ values: [String] = []) -> String {
        var text = language == .zh ? (Self.chinese[self] ?? rawValue) : rawValue
        for (index, value) in values.enumerated() { text = text.replacing("{\(index + 1)}", with: value) }
        return text
    }

    /// The Chinese of every phrase, in the words an operator uses (入库, 出库, 在库, 滞留, 重复, 撤销, 无效条码).
    static let chinese: [Phrase: String] = [
        .carrier: "快递公司",
        .inbound: "入库",
        .outbound: "出库",
        .inStock: "在库",
        .stale: "滞留",
        .unmatchedOut: "未入库出库",
        .repeatOut: "重复出库",
        .duplicates: "重复扫描",
        .rescans: "重扫",
        .undone: "已撤销",
        .rejected: "无效条码",
        .total: "合计",
        .device: "设备",
        .today: "今天",
        .glance: "{1} 入库 {2} · 出库 {3} · 在库 {4} · 滞留 {5}",
        .stockLine: "在库 {1} 件 · 滞留 {2} 件（在库超过 {3} 天）· {4}（{5}）",
        .noStaleParcels: "没有滞留件：在库的包裹都不超过 {1} 天。",
        .noParcelsInStock: "没有在库的包裹。",
        .receivedAt: "入库时间",
        .days: "在库天数",
        .staleMark: "滞留",
        .final: "已结束",
        .dayOpen: "当日未结束，统计于 {1}",
        .stockAtEnd: "当日结束时在库 {1} 件，其中滞留（在库超过滞留天数）{2} 件",
        .unsynced: "时钟：{1} 条记录在时钟未校准时记下，其中 {2} 条已校正",
        .journalRange: "日志记录 #{1}–#{2}",
        .noScansOnDay: "这一天没有扫描。",
        .seq: "序号",
        .time: "时间",
        .code: "条码",
        .raw: "原始数据",
        .symbology: "码制",
        .direction: "方向",
        .outcome: "结果",
        .reason: "原因",
        .undoes: "撤销了",
        .source: "来源",
        .noScans: "没有扫描记录。",
        .saidReceived: "入库成功：{1}",
        .saidRescan: "已入库（重扫，不重复计数）：{1}",
        .saidReleased: "出库成功：{1}",
        .saidReleasedUnmatched: "未入库就出库（已记为出库，请核对）：{1}",
        .saidRepeatRelease: "已出库（不重复计数）：{1}",
        .saidDuplicate: "重复扫描（几秒内扫了两次，不重复计数）：{1}",
        .saidRejected: "无效条码：{1}（{2}）",
        .saidModeIn: "入库模式",
        .saidModeOut: "出库模式",
        .saidUndone: "已撤销：第 {1} 条（{2}）",
        .saidCommand: "指令 {1}",
        .saidNothingUndone: "没有撤销：{1}。",
        .reasonBadLength: "长度不像快递单号",
        .reasonBadCharacters: "含有快递单号不会有的字符",
        .reasonProductBarcode: "这是商品条码，不是快递单号",
        .reasonS10CheckDigit: "国际邮件单号的校验位不对",
        .reasonModeCardIgnored: "这台设备的方向是固定的，模式卡不起作用",
        .reasonNothingToUndo: "这台扫码枪 10 分钟内没有可撤销的包裹",
        .reasonUndoSuperseded: "另一台设备之后又扫过这件包裹，撤销会把那次也抹掉",
    ]
}
