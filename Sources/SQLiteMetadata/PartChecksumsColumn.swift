import Foundation
import WireFormats

/// The `parts.checksums` column: JSON of the shape `{"c":{"CRC64NVME":"ftW+pkq+STY="}}`, as JSONEncoder
/// wrote it for every earlier version (NULL when a part has no checksum).
///
/// The format stays, so databases written before and after read the same both ways; only the work
/// changes. A JSONDecoder per row was about 13% of a 10,000-part CompleteMultipartUpload, so rows are
/// written and read here by hand. Text of any other shape (whitespace, other keys, escapes other than
/// `\"`, `\\` and `\/`, repeated names, invalid UTF-8) goes to JSONDecoder, so any row reads as before.
enum PartChecksumsColumn {
    private struct Wrapper: Codable { var c: [String: String] }

    /// The column's text for `checksums`; nil (NULL) for none.
    static func encode(_ checksums: [String: String]) -> String? {
        guard !checksums.isEmpty else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(16 + checksums.count * 32)
        out.append(contentsOf: #"{"c":"#.utf8)
        StringMapJSON.append(checksums, to: &out)
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }

    /// The checksums in a column's text (its UTF-8 bytes); nil for text that is not such JSON at all.
    static func decode(_ text: UnsafeRawBufferPointer) -> [String: String]? {
        if let fast = decodeFast(text) { return fast }
        return (try? JSONDecoder().decode(Wrapper.self, from: Data(text)))?.c
    }

    /// Exactly `{"c":` + a `StringMapJSON` object + `}`; nil for anything else.
    private static func decodeFast(_ t: UnsafeRawBufferPointer) -> [String: String]? {
        let open = #"{"c":"#.utf8
        guard t.count >= open.count + 3, t.starts(with: open) else { return nil }
        var i = open.count
        guard let map = StringMapJSON.parse(t, at: &i), i + 1 == t.count, t[i] == UInt8(ascii: "}") else { return nil }
        return map
    }
}
