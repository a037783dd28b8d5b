/// Reads the ASCII fields of a date or time in place (its callers hold the text's UTF-8 bytes).
struct FieldScanner {
    let bytes: UnsafeBufferPointer<UInt8>
    var index: Int

    init(_ bytes: UnsafeBufferPointer<UInt8>, from index: Int = 0) {
        self.bytes = bytes
        self.index = index
    }

    var atEnd: Bool { index == bytes.count }

    var next: UInt8? { index < bytes.count ? bytes[index] : nil }

    /// Consumes `byte` if it comes next.
    mutating func skip(_ byte: UInt8) -> Bool {
        guard next == byte else { return false }
        index += 1
        return true
    }

    /// Consumes one of `choices` if it comes next.
    mutating func skip(anyOf choices: UInt8...) -> UInt8? {
        guard let b = next, choices.contains(b) else { return nil }
        index += 1
        return b
    }

    /// A number of `minDigits` to `maxDigits` (at most 9, so it cannot overflow) digits, read up to
    /// `maxDigits`; nil, consuming nothing, for fewer.
    mutating func number(minDigits: Int, maxDigits: Int) -> Int? {
        var value = 0
        var i = index
        while i - index < maxDigits, i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39 {
            value = value * 10 + Int(bytes[i] - 0x30)
            i += 1
        }
        guard i - index >= minDigits else { return nil }
        index = i
        return value
    }

    mutating func number(digits: Int) -> Int? { number(minDigits: digits, maxDigits: digits) }
}
