/// ISO 8601 times in UTC, parsed and written by hand: DateFormatter is slow and locale-bound, and these
/// run on every request.
///
/// - basic, `20130524T000000Z`: SigV4's X-Amz-Date and credential scope;
/// - extended (RFC 3339), `2013-05-24T00:00:00Z`, optionally with a fraction of a second and, read only,
///   a `±hh:mm` offset: S3's XML, POST policy expirations, the task API.
public enum ISO8601Time {
    /// `yyyyMMdd'T'HHmmss'Z'` to seconds since 1970; nil for anything else or a field out of range.
    public static func parseBasic(_ text: String) -> Int64? {
        var text = text
        return text.withUTF8 { b -> Int64? in
            guard b.count == 16, b[8] == UInt8(ascii: "T"), b[15] == UInt8(ascii: "Z") else { return nil }
            var s = FieldScanner(b)
            guard let year = s.number(digits: 4), let month = s.number(digits: 2), let day = s.number(digits: 2) else {
                return nil
            }
            s.index += 1
            guard let hour = s.number(digits: 2), let minute = s.number(digits: 2), let second = s.number(digits: 2),
                let time = CivilTime(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
            else { return nil }
            return time.secondsSince1970
        }
    }

    /// `yyyyMMdd'T'HHmmss'Z'`, as SigV4's string to sign wants it.
    public static func formatBasic(_ seconds: Int64) -> String { format(seconds, separated: false) }

    /// RFC 3339's date-time to seconds since 1970: `yyyy-MM-dd'T'HH:mm:ss`, an optional fraction of a second
    /// (`.` and any number of digits), then `Z` or an offset `±hh:mm` (also `±hhmm` or `±hh`); `t` and `z` may
    /// be lowercase. nil for anything else or a field out of range.
    public static func parse(_ text: String) -> Double? {
        var text = text
        return text.withUTF8 { b -> Double? in
            var s = FieldScanner(b)
            guard let year = s.number(digits: 4), s.skip(UInt8(ascii: "-")), let month = s.number(digits: 2),
                s.skip(UInt8(ascii: "-")), let day = s.number(digits: 2), s.skip(anyOf: 0x54, 0x74) != nil,  // T t
                let hour = s.number(digits: 2), s.skip(UInt8(ascii: ":")), let minute = s.number(digits: 2),
                s.skip(UInt8(ascii: ":")), let second = s.number(digits: 2),
                let time = CivilTime(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
            else { return nil }
            var fraction = 0.0
            if s.skip(UInt8(ascii: ".")) {
                var scale = 0.1
                let start = s.index
                while let c = s.next, c >= 0x30, c <= 0x39 {
                    fraction += Double(c - 0x30) * scale
                    scale /= 10
                    s.index += 1
                }
                guard s.index > start else { return nil }
            }
            var offset = 0
            if s.skip(anyOf: 0x5a, 0x7a) != nil {  // Z z
            } else if let sign = s.skip(anyOf: UInt8(ascii: "+"), UInt8(ascii: "-")) {
                guard let hours = s.number(digits: 2), hours < 24 else { return nil }
                var minutes = 0
                if s.skip(UInt8(ascii: ":")) || s.next != nil {
                    guard let m = s.number(digits: 2), m < 60 else { return nil }
                    minutes = m
                }
                offset = (hours * 60 + minutes) * 60 * (sign == UInt8(ascii: "-") ? -1 : 1)
            } else {
                return nil
            }
            guard s.atEnd else { return nil }
            return Double(time.secondsSince1970 - Int64(offset)) + fraction
        }
    }

    /// `yyyy-MM-dd'T'HH:mm:ss'Z'`, as S3 writes times in error details.
    public static func format(_ seconds: Int64) -> String { format(seconds, separated: true) }

    private static func format(_ seconds: Int64, separated: Bool) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(20)
        append(CivilTime(secondsSince1970: seconds), separated: separated, to: &out)
        out.append(UInt8(ascii: "Z"))
        return String(decoding: out, as: UTF8.self)
    }

    /// `yyyy-MM-dd'T'HH:mm:ss.SSS'Z'`, as S3's XML writes times (2009-10-12T17:50:30.000Z).
    public static func format(milliseconds: Int64) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(24)
        append(milliseconds: milliseconds, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// `format(milliseconds:)`'s bytes, appended to `out`.
    public static func append(milliseconds: Int64, to out: inout [UInt8]) {
        var seconds = milliseconds / 1000
        var ms = Int(milliseconds % 1000)
        if ms < 0 { ms += 1000; seconds -= 1 }
        append(CivilTime(secondsSince1970: seconds), separated: true, to: &out)
        out.append(UInt8(ascii: "."))
        DecimalDigits.append(ms, width: 3, to: &out)
        out.append(UInt8(ascii: "Z"))
    }

    /// `yyyy-MM-dd'T'HH:mm:ss`, or `yyyyMMdd'T'HHmmss` when not `separated`.
    static func append(_ t: CivilTime, separated: Bool, to out: inout [UInt8]) {
        let dash: UInt8? = separated ? UInt8(ascii: "-") : nil, colon: UInt8? = separated ? UInt8(ascii: ":") : nil
        t.appendYear(to: &out)
        if let dash { out.append(dash) }
        DecimalDigits.append(t.month, width: 2, to: &out)
        if let dash { out.append(dash) }
        DecimalDigits.append(t.day, width: 2, to: &out)
        out.append(UInt8(ascii: "T"))
        DecimalDigits.append(t.hour, width: 2, to: &out)
        if let colon { out.append(colon) }
        DecimalDigits.append(t.minute, width: 2, to: &out)
        if let colon { out.append(colon) }
        DecimalDigits.append(t.second, width: 2, to: &out)
    }
}
