/// A UTC date and time of day to the second, in the proleptic Gregorian calendar: the arithmetic every
/// time format here shares. Days are counted with Howard Hinnant's days_from_civil / civil_from_days.
public struct CivilTime: Equatable, Sendable {
    public let year: Int
    /// 1...12
    public let month: Int
    public let day: Int
    public let hour: Int
    public let minute: Int
    /// 0...60; 60 (a leap second) counts as the first second of the next minute.
    public let second: Int

    /// nil unless every field is in range: year 0...9999, month 1...12, a day the month has (29 February
    /// in leap years only), hour 0...23, minute 0...59, second 0...60.
    public init?(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0) {
        guard (0...9999).contains(year), (1...12).contains(month), day >= 1,
            day <= Self.daysInMonth(month, year: year), (0...23).contains(hour), (0...59).contains(minute),
            (0...60).contains(second)
        else { return nil }
        (self.year, self.month, self.day, self.hour, self.minute, self.second) = (year, month, day, hour, minute, second)
    }

    /// The time `seconds` after 1970-01-01T00:00:00Z (before it when negative); any Int64 (the year may
    /// then lie outside 0...9999).
    public init(secondsSince1970 seconds: Int64) {
        var days = Int(seconds / 86400)
        var rest = Int(seconds % 86400)
        if rest < 0 { rest += 86400; days -= 1 }
        let z = days + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        day = doy - (153 * mp + 2) / 5 + 1
        month = mp < 10 ? mp + 3 : mp - 9
        year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        hour = rest / 3600
        minute = rest % 3600 / 60
        second = rest % 60
    }

    /// Seconds since 1970-01-01T00:00:00Z.
    public var secondsSince1970: Int64 {
        // Wrapping: for times made from an Int64, the days alone may lie just past Int64's range, the sum never.
        Int64(Self.daysSince1970(year: year, month: month, day: day)) &* 86400
            &+ Int64(hour * 3600 + minute * 60 + second)
    }

    /// 0 for Sunday … 6 for Saturday.
    public var weekday: Int {
        let days = Self.daysSince1970(year: year, month: month, day: day)
        let w = (days + 4) % 7  // 1970-01-01 was a Thursday
        return w < 0 ? w + 7 : w
    }

    public static func isLeapYear(_ year: Int) -> Bool {
        year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    }

    public static func daysInMonth(_ month: Int, year: Int) -> Int {
        switch month {
        case 2: return isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    static func daysSince1970(year y0: Int, month m: Int, day d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    /// Appends the year as at least four digits (a minus sign before a negative one).
    func appendYear(to out: inout [UInt8]) {
        if year < 0 { out.append(UInt8(ascii: "-")) }
        DecimalDigits.append(abs(year), width: 4, to: &out)  // |year| < 3e11 for any Int64 time
    }

    static let monthNames: [[UInt8]] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        .map { Array($0.utf8) }
    static let dayNames: [[UInt8]] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"].map { Array($0.utf8) }
}
