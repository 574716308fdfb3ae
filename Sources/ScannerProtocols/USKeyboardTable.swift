/// HID usage page 7 (Keyboard/Keypad) to ASCII as a US-layout host would type it.
///
/// Scanners in keyboard-wedge mode are configured for a host layout (US by default) and send the
/// keycodes that type each character there. Reading keycodes through this fixed table, never the
/// host's layout, is what makes decoding layout-safe: a German or French console cannot turn `Y`
/// into `Z` or `@` into `"`.
public enum USKeyboardTable {
    /// Keycodes handled outside the character table.
    public enum Keycode {
        public static let enter: UInt8 = 0x28
        public static let tab: UInt8 = 0x2B
        public static let capsLock: UInt8 = 0x39
        public static let numLock: UInt8 = 0x53
        public static let keypadEnter: UInt8 = 0x58
        /// Error codes (ErrorRollOver, POSTFail, ErrorUndefined) that fill a phantom report.
        public static let rollOverErrors: ClosedRange<UInt8> = 0x01...0x03
        /// Modifier keys as keycodes (LeftControl … Right GUI); the modifier byte already carries them.
        public static let modifiers: ClosedRange<UInt8> = 0xE0...0xE7
    }

    /// Bits of the boot report's modifier byte.
    public enum Modifier {
        public static let leftControl: UInt8 = 0x01
        public static let leftShift: UInt8 = 0x02
        public static let leftAlt: UInt8 = 0x04
        public static let leftGUI: UInt8 = 0x08
        public static let rightControl: UInt8 = 0x10
        public static let rightShift: UInt8 = 0x20
        public static let rightAlt: UInt8 = 0x40
        public static let rightGUI: UInt8 = 0x80
        public static let shift: UInt8 = leftShift | rightShift
        public static let control: UInt8 = leftControl | rightControl
        public static let altOrGUI: UInt8 = leftAlt | leftGUI | rightAlt | rightGUI
    }

    // Keycodes 0x2D…0x38, unshifted and shifted. 0x32 (Non-US #) types `\` on a US host, as Linux maps it.
    private static let punctuation: [(UInt8, UInt8)] = [
        (0x2D, 0x5F), (0x3D, 0x2B), (0x5B, 0x7B), (0x5D, 0x7D), (0x5C, 0x7C), (0x5C, 0x7C),
        (0x3B, 0x3A), (0x27, 0x22), (0x60, 0x7E), (0x2C, 0x3C), (0x2E, 0x3E), (0x2F, 0x3F),
    ]
    private static let shiftedDigits: [UInt8] = Array("!@#$%^&*()".utf8)

    /// The ASCII byte `keycode` types on a US host, or nil when the table has no character for it.
    ///
    /// Caps Lock inverts letters only, exactly as on a PC; the numeric keypad types digits and
    /// `/*-+.` whatever Shift says, as it does with Num Lock on (scanners assume it on).
    public static func character(for keycode: UInt8, shift: Bool, capsLock: Bool) -> UInt8? {
        switch keycode {
        case 0x04...0x1D:
            let lower = 0x61 + (keycode - 0x04)
            return shift != capsLock ? lower - 0x20 : lower
        case 0x1E...0x26:
            return shift ? shiftedDigits[Int(keycode - 0x1E)] : 0x31 + (keycode - 0x1E)
        case 0x27:
            return shift ? 0x29 : 0x30
        case 0x2C:
            return 0x20
        case 0x2D...0x38:
            let pair = punctuation[Int(keycode - 0x2D)]
            return shift ? pair.1 : pair.0
        case 0x54: return 0x2F
        case 0x55: return 0x2A
        case 0x56: return 0x2D
        case 0x57: return 0x2B
        case 0x59...0x61:
            return 0x31 + (keycode - 0x59)
        case 0x62: return 0x30
        case 0x63: return 0x2E
        default:
            return nil
        }
    }

    /// The control character Ctrl+`keycode` types, or nil when there is none.
    ///
    /// Scanners in "Control + ASCII" mode send GS (Ctrl+]) between GS1 fields this way.
    public static func controlCharacter(for keycode: UInt8, shift: Bool) -> UInt8? {
        switch keycode {
        case 0x04...0x1D: return 0x01 + (keycode - 0x04)
        case 0x2F: return 0x1B
        case 0x31, 0x32: return 0x1C
        case 0x30: return 0x1D
        case 0x23 where shift: return 0x1E
        case 0x2D where shift: return 0x1F
        default: return nil
        }
    }
}
