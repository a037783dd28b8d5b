import StorageCore

/// Percent-decoding of request paths and queries, written once for every front end: escapes must be
/// well formed and decode to UTF-8, else S3's InvalidURI (400).
enum PercentDecoding {
    static let invalidURI = CoreError("InvalidURI", "Couldn't parse the specified URI.")

    /// A query's parameters, decoded ("+" is a space); the first of a repeated name counts.
    static func query(_ raw: String) throws -> [String: String] {
        var q: [String: String] = [:]
        var raw = raw
        // On UTF-8 bytes: splitting a String by Character runs grapheme breaking on every byte (~4% of a GET).
        try raw.withUTF8 { bytes in
            var start = 0
            while start < bytes.count {
                var end = start
                while end < bytes.count && bytes[end] != UInt8(ascii: "&") { end += 1 }
                if end > start {
                    let pair = bytes[start..<end]
                    let eq = pair.firstIndex(of: UInt8(ascii: "="))
                    let name = try decode(bytes: pair[..<(eq ?? end)], plusIsSpace: true)
                    let value = try eq.map { try decode(bytes: pair[($0 + 1)...], plusIsSpace: true) } ?? ""
                    if q[name] == nil { q[name] = value }
                }
                start = end + 1
            }
        }
        return q
    }

    static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: return c - 48
        case 65...70: return c - 55
        case 97...102: return c - 87
        default: return nil
        }
    }

    /// Percent-decoding that refuses malformed escapes and invalid UTF-8 (InvalidURI).
    static func decode(_ s: Substring, plusIsSpace: Bool = false) throws -> String {
        var s = s
        return try s.withUTF8 { try decode(bytes: $0[...], plusIsSpace: plusIsSpace) }
    }

    static func decode(bytes: Slice<UnsafeBufferPointer<UInt8>>, plusIsSpace: Bool) throws -> String {
        let invalid = invalidURI
        // Most names and values need no decoding.
        if !bytes.contains(where: { $0 == UInt8(ascii: "%") || (plusIsSpace && $0 == UInt8(ascii: "+")) }) {
            guard let str = String(validating: bytes, as: UTF8.self) else { throw invalid }
            return str
        }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let c = bytes[i]
            if c == UInt8(ascii: "%") {
                guard i + 2 < bytes.endIndex, let hi = hexValue(bytes[i + 1]), let lo = hexValue(bytes[i + 2]) else { throw invalid }
                out.append(hi << 4 | lo)
                i += 3
                continue
            }
            out.append(plusIsSpace && c == UInt8(ascii: "+") ? 32 : c)
            i += 1
        }
        guard let str = String(validating: out, as: UTF8.self) else { throw invalid }
        return str
    }
}
