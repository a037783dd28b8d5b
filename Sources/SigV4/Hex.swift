/// Lowercase hex, as every SigV4 hash and signature is written.
enum Hex {
    static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    static func encode<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// True for exactly `count` hex digits of either case.
    static func isHex(_ text: String, count: Int) -> Bool {
        var n = 0
        for byte in text.utf8 {
            guard ASCII.hexValue(byte) != nil else { return false }
            n += 1
        }
        return n == count
    }
}

enum ASCII {
    static func lower(_ byte: UInt8) -> UInt8 {
        (byte >= 0x41 && byte <= 0x5a) ? byte | 0x20 : byte
    }

    /// Header names are ASCII, so a byte-wise fold is exact and avoids Unicode case mapping.
    static func equalsIgnoringCase(_ a: String, _ lowercased: String) -> Bool {
        var ia = a.utf8.makeIterator()
        var ib = lowercased.utf8.makeIterator()
        while true {
            switch (ia.next(), ib.next()) {
            case (nil, nil): return true
            case let (x?, y?): if lower(x) != y { return false }
            default: return false
            }
        }
    }

    static func lowercased(_ text: String) -> String {
        if !text.utf8.contains(where: { $0 >= 0x41 && $0 <= 0x5a }) { return text }
        return String(decoding: text.utf8.map(lower), as: UTF8.self)
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: return byte - 0x30
        case 0x41...0x46: return byte - 0x41 + 10
        case 0x61...0x66: return byte - 0x61 + 10
        default: return nil
        }
    }

    static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }

    static func trimmed(_ text: Substring) -> Substring {
        let u = text.utf8
        var start = u.startIndex
        var end = u.endIndex
        while start < end, isSpace(u[start]) { start = u.index(after: start) }
        while end > start, isSpace(u[u.index(before: end)]) { end = u.index(before: end) }
        return Substring(u[start..<end])
    }

    static func trimmed(_ text: String) -> String { String(trimmed(text[...])) }

    /// Splits on an ASCII byte without grapheme breaking, which dominates Character-based split.
    static func split(_ text: Substring, _ separator: UInt8) -> [Substring] {
        text.utf8.split(separator: separator, omittingEmptySubsequences: false).map { Substring($0) }
    }

    static func split(_ text: String, _ separator: UInt8) -> [Substring] { split(text[...], separator) }

    /// Index of the first occurrence of an ASCII byte.
    static func firstIndex(of byte: UInt8, in text: Substring) -> Substring.Index? {
        text.utf8.firstIndex(of: byte)
    }
}

/// Compares secrets without an early exit, so timing does not reveal how many
/// leading bytes of a guessed signature were right.
enum ConstantTime {
    static func equals(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        // Lengths are public (hex digests have a fixed size), so this exit leaks nothing.
        guard x.count == y.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<x.count { diff |= x[i] ^ y[i] }
        return diff == 0
    }
}
