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
        out.append(contentsOf: #"{"c":{"#.utf8)
        for (i, (name, value)) in checksums.sorted(by: { $0.key < $1.key }).enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            appendJSONString(name, to: &out)
            out.append(UInt8(ascii: ":"))
            appendJSONString(value, to: &out)
        }
        out.append(contentsOf: "}}".utf8)
        return String(decoding: out, as: UTF8.self)
    }

    /// The checksums in a column's text (its UTF-8 bytes); nil for text that is not such JSON at all.
    static func decode(_ text: UnsafeRawBufferPointer) -> [String: String]? {
        if let fast = decodeFast(text) { return fast }
        return (try? JSONDecoder().decode(Wrapper.self, from: Data(text)))?.c
    }

    static func appendJSONString(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"):
                out.append(UInt8(ascii: "\\")); out.append(b)
            case 0..<0x20:
                out.append(contentsOf: #"\u00"#.utf8); Hex.append(CollectionOfOne(b), to: &out)
            default:
                out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Exactly `{"c":{` (`"name":"value"` (`,` …)*)? `}}`; nil for anything else.
    private static func decodeFast(_ t: UnsafeRawBufferPointer) -> [String: String]? {
        let open = #"{"c":{"#.utf8
        guard t.count >= open.count + 2, t.starts(with: open) else { return nil }
        var i = open.count
        var result: [String: String] = [:]
        if t[i] != UInt8(ascii: "}") {
            while true {
                guard let name = string(t, &i), i < t.count, t[i] == UInt8(ascii: ":") else { return nil }
                i += 1
                guard let value = string(t, &i), result.updateValue(value, forKey: name) == nil, i < t.count else { return nil }
                if t[i] == UInt8(ascii: ",") { i += 1; continue }
                break
            }
        }
        guard i + 2 == t.count, t[i] == UInt8(ascii: "}"), t[i + 1] == UInt8(ascii: "}") else { return nil }
        return result
    }

    /// A JSON string at `i` using only the escapes `\"`, `\\`, `\/`; moves `i` past it.
    private static func string(_ t: UnsafeRawBufferPointer, _ i: inout Int) -> String? {
        guard i < t.count, t[i] == UInt8(ascii: "\"") else { return nil }
        i += 1
        let start = i
        var escaped = false
        while i < t.count {
            let b = t[i]
            if b == UInt8(ascii: "\"") { break }
            if b < 0x20 { return nil }
            if b == UInt8(ascii: "\\") {
                guard i + 1 < t.count else { return nil }
                let e = t[i + 1]
                guard e == UInt8(ascii: "\"") || e == UInt8(ascii: "\\") || e == UInt8(ascii: "/") else { return nil }
                escaped = true
                i += 2
                continue
            }
            i += 1
        }
        guard i < t.count else { return nil }
        let raw = UnsafeRawBufferPointer(rebasing: t[start..<i])
        i += 1   // the closing quote
        if !escaped {
            // ASCII (every checksum) needs no validation.
            return raw.allSatisfy({ $0 < 0x80 }) ? String(decoding: raw, as: UTF8.self) : String(validating: raw, as: UTF8.self)
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(raw.count)
        var j = 0
        while j < raw.count {
            if raw[j] == UInt8(ascii: "\\") { j += 1 }
            bytes.append(raw[j])
            j += 1
        }
        return String(validating: bytes, as: UTF8.self)
    }
}
