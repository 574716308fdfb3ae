/// The project's one way of showing untrusted text to a person (SPEC §2: every field of human output is printed with
/// control characters escaped): the log, the terminal, the CSVs. A barcode is typed by whoever holds the label, a USB
/// string by whoever made the device, so neither may move a cursor, set a window title, start a log line or a
/// journald priority, or hide text.
///
/// The rules (those `scans --json` has used for `raw` from the start):
/// - `\` → `\\`, CR → `\r`, LF → `\n`, TAB → `\t`, so the escaped text reads back unambiguously;
/// - every other control character (C0, DEL, C1) → `\xNN`;
/// - bytes that are not UTF-8 → `\xNN`, one per byte (``bytes(_:)`` only);
/// - characters that break a line or reorder text without being C0/C1 (U+2028, U+2029, the bidirectional
///   embeddings, overrides and isolates) → `\u{XXXX}`;
/// - everything else, Chinese text included, as it is.
public enum Escaping {
    /// `text` with the characters above escaped.
    public static func text(_ text: String) -> String {
        // Most text (a station name, a code, a date) has nothing to escape: returned as it is, without a copy.
        if !text.unicodeScalars.contains(where: needsEscaping) { return text }
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars { append(scalar, to: &escaped) }
        return escaped
    }

    /// Each line of `text` escaped, the line feeds between them kept: for a message that is several lines by design
    /// (a usage text) but may echo what a user typed.
    public static func lines(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { Self.text(String($0)) }.joined(separator: "\n")
    }

    /// Bytes as a device sent them, decoded as UTF-8 where they are, escaped as ``text(_:)`` does; each byte that is
    /// not part of valid UTF-8 becomes `\xNN`, so a garbled read is visible as such.
    public static func bytes(_ bytes: some Collection<UInt8>) -> String {
        var text = ""
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var pending = Array(bytes)[...]
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded):
                pending = pending.dropFirst(encoded.count)
                append(Unicode.UTF8.decode(encoded), to: &text)
            case .error(let length):
                for byte in pending.prefix(length) { text += hex(UInt32(byte)) }
                pending = pending.dropFirst(length)
            case .emptyInput:
                return text
            }
        }
    }

    /// Whether `scalar` is shown escaped.
    public static func needsEscaping(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x5C, 0x7F...0x9F, 0x2028, 0x2029, 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069:
            return true
        default:
            return false
        }
    }

    private static func append(_ scalar: Unicode.Scalar, to text: inout String) {
        guard needsEscaping(scalar) else {
            text.unicodeScalars.append(scalar)
            return
        }
        switch scalar {
        case "\\": text += "\\\\"
        case "\r": text += "\\r"
        case "\n": text += "\\n"
        case "\t": text += "\\t"
        default:
            text += scalar.value <= 0xFF ? hex(scalar.value) : "\\u{" + String(scalar.value, radix: 16) + "}"
        }
    }

    private static func hex(_ value: UInt32) -> String {
        "\\x" + (value < 0x10 ? "0" : "") + String(value, radix: 16)
    }
}

/// One CSV cell, as every CSV the project writes needs it (the count files of SPEC §7, `scans --csv`).
public enum CSV {
    /// `value` as a cell no spreadsheet takes for a formula and no reader splits:
    /// - a leading `'` when the first character that is not white space is `=`, `+`, `-` or `@` (spreadsheets skip
    ///   leading spaces before a formula), or when the cell starts with a TAB or CR;
    /// - quoted, quotes doubled, when it holds a comma, a quote, a line break or a TAB.
    ///
    /// Cells of plain data (names, dates, numbers) come out unchanged.
    public static func cell(_ value: String) -> String {
        var cell = value
        let first = cell.unicodeScalars.first
        let firstVisible = cell.unicodeScalars.first { !$0.properties.isWhitespace }
        if first == "\t" || first == "\r" || firstVisible.map({ ["=", "+", "-", "@"].contains($0) }) == true {
            cell = "'" + cell
        }
        if cell.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "\t" }) {
            var quoted = "\""
            for scalar in cell.unicodeScalars {
                if scalar == "\"" { quoted += "\"\"" } else { quoted.unicodeScalars.append(scalar) }
            }
            cell = quoted + "\""
        }
        return cell
    }

    /// A whole CSV document for Excel (`scans --csv`, `stock --csv`): UTF-8 with a byte order mark, so Excel on a
    /// Chinese Windows PC reads the Chinese names as UTF-8 and not as GBK, and CRLF line ends, one after every row.
    /// Each value goes through ``cell(_:)`` (formula-safe, quoted where needed); escaping for people is the caller's.
    /// The count files of SPEC §7 are not written with this: their bytes stay as they are.
    public static func excelDocument(_ rows: [[String]]) -> String {
        "\u{FEFF}" + rows.map { $0.map(cell).joined(separator: ",") + "\r\n" }.joined()
    }
}
