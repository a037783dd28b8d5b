/// HTTP dates (RFC 9110 §5.6.7), parsed and written by hand: DateFormatter is slow and locale-bound.
///
/// Written as IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT`. Read in the three forms HTTP/1.1 recipients
/// must accept: IMF-fixdate, the obsolete RFC 850 form `Sunday, 06-Nov-94 08:49:37 GMT` and C's asctime
/// form `Sun Nov  6 08:49:37 1994`. Read leniently, as the Date headers of SigV2 clients and conditional
/// requests are written: names in any case, the day name optional and not checked against the date, one-digit
/// days and hours, any run of spaces, and besides GMT the zones `UTC`, `UT`, `Z`, `±hhmm` and RFC 5322's
/// North American names (`EST` … `PDT`) (AWS's SigV2 examples write `+0000`). A field out of range, a year
/// outside 0...9999 or anything else is refused.
public enum HTTPDate {
    /// IMF-fixdate, as response headers carry it.
    public static func format(_ seconds: Int64) -> String {
        let t = CivilTime(secondsSince1970: seconds)
        var out: [UInt8] = []
        out.reserveCapacity(29)
        out.append(contentsOf: CivilTime.dayNames[t.weekday])
        out.append(contentsOf: ", ".utf8)
        DecimalDigits.append(t.day, width: 2, to: &out)
        out.append(UInt8(ascii: " "))
        out.append(contentsOf: CivilTime.monthNames[t.month - 1])
        out.append(UInt8(ascii: " "))
        t.appendYear(to: &out)
        out.append(UInt8(ascii: " "))
        DecimalDigits.append(t.hour, width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        DecimalDigits.append(t.minute, width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        DecimalDigits.append(t.second, width: 2, to: &out)
        out.append(contentsOf: " GMT".utf8)
        return String(decoding: out, as: UTF8.self)
    }

    /// Seconds since 1970 of an HTTP date in any of its three forms; nil for anything else. `now` (seconds
    /// since 1970) places an RFC 850 two-digit year: in `now`'s century, or the one before when that would
    /// be more than 50 years ahead (RFC 9110 §5.6.7).
    public static func parse(_ text: String, now: Int64) -> Int64? {
        var text = text
        return text.withUTF8 { parse($0, now: now) }
    }

    static func parse(_ b: UnsafeBufferPointer<UInt8>, now: Int64) -> Int64? {
        // Tokens are runs of bytes between spaces; a comma also ends the first (the day name).
        var tokens: [UnsafeBufferPointer<UInt8>] = []
        tokens.reserveCapacity(6)
        var commaAfterFirst = false
        var i = 0
        while i < b.count {
            if isSpace(b[i]) { i += 1; continue }
            let start = i
            while i < b.count, !isSpace(b[i]), !(tokens.isEmpty && b[i] == UInt8(ascii: ",")) { i += 1 }
            tokens.append(UnsafeBufferPointer(rebasing: b[start..<i]))
            if tokens.count == 1, i < b.count, b[i] == UInt8(ascii: ",") { commaAfterFirst = true; i += 1 }
            guard tokens.count <= 6 else { return nil }
        }
        var fields = tokens[...]
        if let first = fields.first, !first.isEmpty, first.allSatisfy(isLetter),
            commaAfterFirst || isDayName(first) {
            fields = fields.dropFirst()
        } else if commaAfterFirst {
            return nil
        }
        let f = Array(fields)
        let date: CivilTime?
        let offset: Int
        switch f.count {
        case 5:  // IMF-fixdate: 06 Nov 1994 08:49:37 GMT
            guard let day = whole(f[0], digits: 1...2), let month = month(f[1]), let year = whole(f[2], digits: 1...4),
                let zone = zone(f[4])
            else { return nil }
            date = time(f[3], year: year, month: month, day: day)
            offset = zone
        case 3:  // RFC 850: 06-Nov-94 08:49:37 GMT
            var s = FieldScanner(f[0])
            guard let day = s.number(minDigits: 1, maxDigits: 2), s.skip(UInt8(ascii: "-")),
                s.index + 3 <= f[0].count, let month = month(UnsafeBufferPointer(rebasing: f[0][s.index..<(s.index + 3)]))
            else { return nil }
            s.index += 3
            let yearStart = s.index + 1
            guard s.skip(UInt8(ascii: "-")), var year = s.number(minDigits: 2, maxDigits: 4), s.atEnd,
                let zone = zone(f[2])
            else { return nil }
            switch s.index - yearStart {
            case 2:
                let current = CivilTime(secondsSince1970: now).year
                year += current - current % 100
                if year > current + 50 { year -= 100 }
            case 4: break
            default: return nil
            }
            date = time(f[1], year: year, month: month, day: day)
            offset = zone
        case 4:  // asctime: Nov  6 08:49:37 1994
            guard let month = month(f[0]), let day = whole(f[1], digits: 1...2), let year = whole(f[3], digits: 1...4)
            else { return nil }
            date = time(f[2], year: year, month: month, day: day)
            offset = 0
        default:
            return nil
        }
        return date.map { $0.secondsSince1970 - Int64(offset) }
    }

    private static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 }

    private static func isLetter(_ c: UInt8) -> Bool { (0x61...0x7a).contains(c | 0x20) }

    private static func lower(_ c: UInt8) -> UInt8 { (0x41...0x5a).contains(c) ? c | 0x20 : c }

    /// True when `token`, ignoring case, is `name` (ASCII, lowercase).
    private static func equals(_ token: UnsafeBufferPointer<UInt8>, _ name: some Collection<UInt8>) -> Bool {
        token.count == name.count && zip(token, name).allSatisfy { lower($0) == lower($1) }
    }

    private static let longDayNames = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"]

    private static func isDayName(_ token: UnsafeBufferPointer<UInt8>) -> Bool {
        CivilTime.dayNames.contains { equals(token, $0) } || longDayNames.contains { equals(token, $0.utf8) }
    }

    private static func month(_ token: UnsafeBufferPointer<UInt8>) -> Int? {
        CivilTime.monthNames.firstIndex { equals(token, $0) }.map { $0 + 1 }
    }

    /// A token that is all digits, as many as `digits` allows.
    private static func whole(_ token: UnsafeBufferPointer<UInt8>, digits: ClosedRange<Int>) -> Int? {
        var s = FieldScanner(token)
        guard let n = s.number(minDigits: digits.lowerBound, maxDigits: digits.upperBound), s.atEnd else { return nil }
        return n
    }

    /// `h:mm:ss` or `hh:mm:ss` on the date given.
    private static func time(_ token: UnsafeBufferPointer<UInt8>, year: Int, month: Int, day: Int) -> CivilTime? {
        var s = FieldScanner(token)
        guard let hour = s.number(minDigits: 1, maxDigits: 2), s.skip(UInt8(ascii: ":")), let minute = s.number(digits: 2),
            s.skip(UInt8(ascii: ":")), let second = s.number(digits: 2), s.atEnd
        else { return nil }
        return CivilTime(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
    }

    private static let zoneHours: [(name: String, hours: Int)] = [
        ("gmt", 0), ("utc", 0), ("ut", 0), ("z", 0),
        ("est", -5), ("edt", -4), ("cst", -6), ("cdt", -5), ("mst", -7), ("mdt", -6), ("pst", -8), ("pdt", -7),
    ]

    /// A zone's offset east of UTC in seconds.
    private static func zone(_ token: UnsafeBufferPointer<UInt8>) -> Int? {
        if let named = zoneHours.first(where: { equals(token, $0.name.utf8) }) { return named.hours * 3600 }
        var s = FieldScanner(token)
        guard let sign = s.skip(anyOf: UInt8(ascii: "+"), UInt8(ascii: "-")), let hours = s.number(digits: 2), hours < 24,
            let minutes = s.number(digits: 2), minutes < 60, s.atEnd
        else { return nil }
        return (hours * 60 + minutes) * 60 * (sign == UInt8(ascii: "-") ? -1 : 1)
    }
}
