import StorageCore
import WireFormats

/// Request paths and queries decoded (by WireFormats' PercentEncoding) the one way every front end uses: escapes must be
/// well formed and decode to UTF-8, else S3's InvalidURI (400).
package enum PercentDecoding {
    package static let invalidURI = CoreError("InvalidURI", "Couldn't parse the specified URI.")

    /// A query's parameters, decoded ("+" is a space); the first of a repeated name counts.
    static func query(_ raw: String) throws -> QueryParameters {
        var q = QueryParameters()
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
                    q.add(name, value)
                }
                start = end + 1
            }
        }
        return q
    }

    /// Percent-decoding that refuses malformed escapes and invalid UTF-8 (InvalidURI).
    package static func decode(_ s: Substring, plusIsSpace: Bool = false) throws -> String {
        var s = s
        return try s.withUTF8 { try decode(bytes: $0[...], plusIsSpace: plusIsSpace) }
    }

    /// As `decode(_:plusIsSpace:)`, of a slice of a string's UTF-8 (split at "/" or "?" by bytes, never by Character:
    /// a combining mark after the separator would hide it from a Character search).
    package static func decode(utf8 bytes: Substring.UTF8View, plusIsSpace: Bool = false) throws -> String {
        guard let text = PercentEncoding.decodeUTF8(bytes, plusIsSpace: plusIsSpace) else { throw invalidURI }
        return text
    }

    static func decode(bytes: Slice<UnsafeBufferPointer<UInt8>>, plusIsSpace: Bool) throws -> String {
        guard let text = PercentEncoding.decodeUTF8(bytes, plusIsSpace: plusIsSpace) else { throw invalidURI }
        return text
    }
}
