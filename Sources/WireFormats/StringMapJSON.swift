/// A JSON object whose values are all strings, `{"name":"value",…}` (checksums by algorithm, user
/// metadata), written and read by hand: JSONEncoder and JSONDecoder cost more than the rest of reading
/// a row. Names are written sorted, so equal maps give equal text, and `"`, `\`, `/` and control
/// characters are escaped as JSONEncoder escapes them.
///
/// The reader takes only what the writer writes: no whitespace, escapes `\"`, `\\`, `\/` and `\u00XX`
/// for control characters, no repeated names, valid UTF-8. It answers nil for anything else, so callers
/// fall back to a full JSON parser and any valid JSON still reads.
public enum StringMapJSON {
    /// Appends `{…}` for `pairs`.
    public static func append(_ pairs: [String: String], to out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        for (i, (name, value)) in pairs.sorted(by: { $0.key < $1.key }).enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            appendString(name, to: &out)
            out.append(UInt8(ascii: ":"))
            appendString(value, to: &out)
        }
        out.append(UInt8(ascii: "}"))
    }

    /// Appends `s` as a JSON string.
    public static func appendString(_ s: String, to out: inout [UInt8]) {
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

    /// The map in `text`, which must be exactly one such object; nil otherwise.
    public static func decode(_ text: UnsafeRawBufferPointer) -> [String: String]? {
        var i = 0
        guard let map = parse(text, at: &i), i == text.count else { return nil }
        return map
    }

    /// The object that starts at `i`, moving `i` past it; nil (and `i` anywhere) for anything else.
    public static func parse(_ t: UnsafeRawBufferPointer, at i: inout Int) -> [String: String]? {
        guard i < t.count, t[i] == UInt8(ascii: "{") else { return nil }
        i += 1
        var result: [String: String] = [:]
        if i < t.count, t[i] == UInt8(ascii: "}") {
            i += 1
            return result
        }
        while true {
            guard let name = string(t, &i), i < t.count, t[i] == UInt8(ascii: ":") else { return nil }
            i += 1
            guard let value = string(t, &i), result.updateValue(value, forKey: name) == nil, i < t.count else { return nil }
            i += 1
            if t[i - 1] == UInt8(ascii: ",") { continue }
            return t[i - 1] == UInt8(ascii: "}") ? result : nil
        }
    }

    /// The JSON string at `i`; moves `i` past it.
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
                switch t[i + 1] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): i += 2
                case UInt8(ascii: "u"):
                    // Only what the writer writes: \u00XX for a control character.
                    guard i + 5 < t.count, t[i + 2] == UInt8(ascii: "0"), t[i + 3] == UInt8(ascii: "0"),
                          let hi = hexDigit(t[i + 4]), let lo = hexDigit(t[i + 5]), hi * 16 + lo < 0x20 else { return nil }
                    i += 6
                default: return nil
                }
                escaped = true
                continue
            }
            i += 1
        }
        guard i < t.count else { return nil }
        let raw = UnsafeRawBufferPointer(rebasing: t[start..<i])
        i += 1   // the closing quote
        if !escaped {
            return raw.allSatisfy({ $0 < 0x80 }) ? String(decoding: raw, as: UTF8.self) : String(validating: raw, as: UTF8.self)
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(raw.count)
        var j = 0
        while j < raw.count {
            if raw[j] == UInt8(ascii: "\\") {
                if raw[j + 1] == UInt8(ascii: "u") {
                    bytes.append(hexDigit(raw[j + 4])! * 16 + hexDigit(raw[j + 5])!)
                    j += 6
                } else {
                    bytes.append(raw[j + 1])
                    j += 2
                }
                continue
            }
            bytes.append(raw[j])
            j += 1
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexDigit(_ b: UInt8) -> UInt8? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return b - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return b - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return b - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
