/// Byte-level helpers for the ASCII grammar of HTTP headers and query strings.
enum ASCII {
    static func lower(_ byte: UInt8) -> UInt8 {
        (byte >= 0x41 && byte <= 0x5a) ? byte | 0x20 : byte
    }

    /// Header names are ASCII, so a byte-wise fold is exact and avoids Unicode case mapping.
    static func equalsIgnoringCase(_ a: String, _ lowercased: String) -> Bool {
        guard a.utf8.count == lowercased.utf8.count else { return false }
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
        var pieces: [Substring] = []
        let utf8 = text.utf8
        var start = utf8.startIndex
        var i = start
        while i != utf8.endIndex {
            if utf8[i] == separator {
                pieces.append(Substring(utf8[start..<i]))
                start = utf8.index(after: i)
            }
            i = utf8.index(after: i)
        }
        pieces.append(Substring(utf8[start..<utf8.endIndex]))
        return pieces
    }

    static func split(_ text: String, _ separator: UInt8) -> [Substring] { split(text[...], separator) }

    /// Index of the first occurrence of an ASCII byte.
    static func firstIndex(of byte: UInt8, in text: Substring) -> Substring.Index? {
        text.utf8.firstIndex(of: byte)
    }
}
