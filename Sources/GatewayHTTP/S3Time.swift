import Foundation
import WireFormats

/// S3's two time formats for `Date`s; WireFormats writes and reads them.
package enum S3Time {
    /// 2006-02-03T16:45:09.000Z, for XML.
    package static func iso8601(_ date: Date) -> String { ISO8601Time.format(milliseconds: milliseconds(date)) }

    /// `iso8601(date)`'s bytes appended to `out` (the access log writes bytes).
    static func appendISO8601(_ date: Date, to out: inout [UInt8]) {
        ISO8601Time.append(milliseconds: milliseconds(date), to: &out)
    }

    /// Wed, 12 Oct 2009 17:50:00 GMT, for headers.
    package static func http(_ date: Date) -> String { HTTPDate.format(Int64(date.timeIntervalSince1970.rounded(.down))) }

    /// An HTTP date in any of the three forms HTTP/1.1 accepts (IMF-fixdate, RFC 850, asctime), for
    /// conditional headers; nil for anything else.
    package static func parseHTTP(_ text: String, now: Date = Date()) -> Date? {
        HTTPDate.parse(text, now: Int64(now.timeIntervalSince1970.rounded(.down))).map { Date(timeIntervalSince1970: Double($0)) }
    }

    /// Whole milliseconds since 1970, the fraction truncated.
    private static func milliseconds(_ date: Date) -> Int64 {
        let seconds = date.timeIntervalSince1970.rounded(.down)
        return Int64(seconds) * 1000 + Int64(min(999, Int((date.timeIntervalSince1970 - seconds) * 1000)))
    }
}
