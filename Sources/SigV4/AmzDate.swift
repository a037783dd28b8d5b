/// Date parsing and formatting by hand: DateFormatter is slow and locale-bound,
/// and this runs on every request.
enum AmzDate {
    /// Parses ISO 8601 basic format, `yyyyMMdd'T'HHmmss'Z'`, to Unix seconds.
    static func parseISO8601Basic(_ text: String) -> Int64? {
        let b = Array(text.utf8)
        guard b.count == 16, b[8] == 0x54, b[15] == 0x5a,
            let year = number(b, 0, 4), let month = number(b, 4, 2), let day = number(b, 6, 2),
            let hour = number(b, 9, 2), let minute = number(b, 11, 2), let second = number(b, 13, 2)
        else { return nil }
        return epoch(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
    }

    private static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    /// Parses the HTTP date `Sun, 06 Nov 1994 08:49:37 GMT`; also accepts a
    /// `+0000` zone (the AWS SigV2 examples use it) and a missing weekday.
    static func parseHTTPDate(_ text: String) -> Int64? {
        var rest = Substring(text)
        if let comma = rest.firstIndex(of: ",") { rest = rest[rest.index(after: comma)...] }
        let parts = rest.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 5, let monthIndex = months.firstIndex(of: ASCII.lowercased(String(parts[1]))),
            let day = Int(parts[0]), let year = Int(parts[2])
        else { return nil }
        let zone = parts[4]
        guard zone == "GMT" || zone == "UTC" || zone == "+0000" || zone == "Z" else { return nil }
        let clock = Array(parts[3].utf8)
        guard clock.count == 8, clock[2] == 0x3a, clock[5] == 0x3a,
            let hour = number(clock, 0, 2), let minute = number(clock, 3, 2), let second = number(clock, 6, 2)
        else { return nil }
        return epoch(year: year, month: monthIndex + 1, day: day, hour: hour, minute: minute, second: second)
    }

    /// `yyyyMMdd'T'HHmmss'Z'`, as SigV4 string-to-sign wants it.
    static func formatISO8601Basic(_ seconds: Int64) -> String {
        let c = components(seconds)
        return pad(c.year, 4) + pad(c.month, 2) + pad(c.day, 2) + "T" + pad(c.hour, 2) + pad(c.minute, 2)
            + pad(c.second, 2) + "Z"
    }

    /// `yyyy-MM-dd'T'HH:mm:ss'Z'`, as S3 writes times in error details.
    static func formatISO8601(_ seconds: Int64) -> String {
        let c = components(seconds)
        return pad(c.year, 4) + "-" + pad(c.month, 2) + "-" + pad(c.day, 2) + "T" + pad(c.hour, 2) + ":"
            + pad(c.minute, 2) + ":" + pad(c.second, 2) + "Z"
    }

    private static func number(_ b: [UInt8], _ start: Int, _ count: Int) -> Int? {
        var value = 0
        for i in start..<(start + count) {
            guard b[i] >= 0x30 && b[i] <= 0x39 else { return nil }
            value = value * 10 + Int(b[i] - 0x30)
        }
        return value
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let s = String(value)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }

    private static func epoch(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) -> Int64? {
        // Four-digit years only: an HTTP date's year is any Int, and a huge one overflowed (a trap) below.
        guard (0...9999).contains(year), (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60,
            second < 61
        else { return nil }
        return Int64(daysFromCivil(year, month, day)) * 86400 + Int64(hour * 3600 + minute * 60 + second)
    }

    // Howard Hinnant's days_from_civil / civil_from_days.
    private static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    private static func components(_ seconds: Int64) -> (year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) {
        var days = Int(seconds / 86400)
        var rem = Int(seconds % 86400)
        if rem < 0 { rem += 86400; days -= 1 }
        let z = days + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day, rem / 3600, rem % 3600 / 60, rem % 60)
    }
}
