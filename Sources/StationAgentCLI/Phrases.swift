import HumanWords

/// The commands' table headers and fixed phrases (SPEC §2), each once, in English as the code writes it; their Chinese
/// is in HumanWords' ``Catalog``, the one file a translator reviews. `{1}`, `{2}` … stand for the values filled in.
/// Sentences built with values elsewhere are ``Words``; both meet in the catalog.
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
        Words(template: rawValue, values: values.map { .text($0) }).text(language)
    }
}

extension HumanLanguage {
    /// A code as a table shows it (`acknowledged`, `chain-missing`, `no-permission`): in English the code itself, as
    /// `--json` carries it; in Chinese its `name`, or the code when it has none.
    func show(code: String, named name: Words?) -> String {
        self == .en ? code : (name?.text(self) ?? code)
    }
}
