/// Hexadecimal text: digests, signatures, ETags and IDs written as two digits a byte, and read back.
public enum Hex {
    /// The digit of a nibble (0...15): 0-9, then a-f (A-F when `uppercase`).
    @inlinable
    public static func digit(_ nibble: UInt8, uppercase: Bool = false) -> UInt8 {
        nibble < 10 ? 0x30 + nibble : (uppercase ? 0x37 : 0x57) + nibble
    }

    /// The value of a hex digit of either case; nil for any other byte.
    @inlinable
    public static func value(_ digit: UInt8) -> UInt8? {
        switch digit {
        case 0x30...0x39: return digit - 0x30
        case 0x41...0x46: return digit - 0x37
        case 0x61...0x66: return digit - 0x57
        default: return nil
        }
    }

    /// Appends two digits a byte, most significant nibble first.
    @inlinable
    public static func append(_ bytes: some Sequence<UInt8>, uppercase: Bool = false, to out: inout [UInt8]) {
        for byte in bytes {
            out.append(digit(byte >> 4, uppercase: uppercase))
            out.append(digit(byte & 0x0f, uppercase: uppercase))
        }
    }

    /// `bytes` as hex, two digits a byte (lowercase, as SigV4 and ETags write it, unless `uppercase`).
    @inlinable
    public static func encode(_ bytes: some Sequence<UInt8>, uppercase: Bool = false) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(Swift.max(bytes.underestimatedCount * 2, 32))
        append(bytes, uppercase: uppercase, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// `value` as exactly 16 digits, most significant first.
    public static func fixedWidth(_ value: UInt64, uppercase: Bool = false) -> String {
        String(unsafeUninitializedCapacity: 16) { buffer in
            var v = value
            for i in stride(from: 15, through: 0, by: -1) {
                buffer[i] = digit(UInt8(truncatingIfNeeded: v & 0x0f), uppercase: uppercase)
                v >>= 4
            }
            return 16
        }
    }

    /// The bytes `text` spells, two digits (either case) a byte; nil for an odd count or any other character.
    @inlinable
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count / 2)
        return decode(text, appendingTo: &out) ? out : nil
    }

    /// Appends the bytes `text` spells; false, with `out` left as it was, for an odd count or any other character.
    @inlinable
    public static func decode(_ text: some StringProtocol, appendingTo out: inout [UInt8]) -> Bool {
        decode(String(text), appendingTo: &out)
    }

    /// The same, read from the String's UTF-8 buffer: a generic walk through `utf8`'s iterator cost several
    /// times more a digit (10,000 part ETags for a multipart ETag: 3 ms).
    public static func decode(_ text: String, appendingTo out: inout [UInt8]) -> Bool {
        var text = text   // withUTF8 is mutating (it may make a bridged string native)
        return text.withUTF8 { u in
            guard u.count % 2 == 0 else { return false }
            let start = out.count
            out.reserveCapacity(start + u.count / 2)
            var i = 0
            while i < u.count {
                guard let hi = value(u[i]), let lo = value(u[i + 1]) else {
                    out.removeSubrange(start...)
                    return false
                }
                out.append(hi << 4 | lo)
                i += 2
            }
            return true
        }
    }

    /// True for exactly `count` digits of either case.
    @inlinable
    public static func isHex(_ text: some StringProtocol, count: Int) -> Bool {
        text.utf8.count == count && text.utf8.allSatisfy { value($0) != nil }
    }
}
