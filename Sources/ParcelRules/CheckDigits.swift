/// The two published check-digit schemes the rules need: UPU S10 (parcel identifiers) and EAN-13 (retail goods).
///
/// Both functions expect codes that already have the right shape and return `false` otherwise, so a caller
/// cannot mistake "not this kind of code" for "valid".
public enum CheckDigits {
    /// Whether an S10-shaped code (`AA` + 8 digits + check digit + `CC`) carries the right check digit.
    ///
    /// UPU S10: weights 8,6,4,2,3,5,9,7 over the 8 serial digits; r = sum mod 11; check = 11 - r, where 10 gives 0
    /// and 11 gives 5. `EA123456785CN` is valid.
    public static func isValidS10(_ code: String) -> Bool {
        guard CodePattern.s10.matches(code) else { return false }
        let digits = code.utf8.dropFirst(2).prefix(9).map { Int($0) - 0x30 }
        let weights = [8, 6, 4, 2, 3, 5, 9, 7]
        var sum = 0
        for (digit, weight) in zip(digits, weights) { sum += digit * weight }
        let remainder = sum % 11
        let check = remainder == 0 ? 5 : remainder == 1 ? 0 : 11 - remainder  // 11 - r, with 11 → 5 and 10 → 0
        return digits[8] == check
    }

    /// Whether a 13-digit code carries a valid EAN-13 check digit (weights 1,3,1,3,... over the first 12 digits;
    /// check = (10 - sum mod 10) mod 10).
    public static func isValidEAN13(_ code: String) -> Bool {
        guard code.utf8.count == 13, code.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return false }
        let digits = code.utf8.map { Int($0) - 0x30 }
        var sum = 0
        for (index, digit) in digits.prefix(12).enumerated() { sum += index % 2 == 0 ? digit : digit * 3 }
        return digits[12] == (10 - sum % 10) % 10
    }
}
