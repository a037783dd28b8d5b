import Foundation
import Testing

@testable import GatewayHTTP

/// Conditional headers (If-Modified-Since, If-Unmodified-Since and their copy-source forms) are read by
/// S3Time.parseHTTP: all three HTTP date forms, as when DateFormatter read them.
@Suite struct S3TimeTests {
    @Test(arguments: ["Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994"])
    func conditionalHeaderDates(text: String) {
        #expect(S3Time.parseHTTP(text) == Date(timeIntervalSince1970: 784_111_777))
    }

    @Test func refusedDatesAreNil() {
        #expect(S3Time.parseHTTP("yesterday") == nil)
        #expect(S3Time.parseHTTP("Sun, 31 Feb 1994 08:49:37 GMT") == nil)
        #expect(S3Time.parseHTTP("Sat, 21 Nov 99999999999999999999 16:29:00 GMT") == nil)
    }

    @Test func rfc850YearsFollowTheClock() {
        let now = Date(timeIntervalSince1970: 1_777_593_600)  // 2026-05-01
        #expect(S3Time.parseHTTP("Friday, 01-Jan-27 00:00:00 GMT", now: now) == Date(timeIntervalSince1970: 1_798_761_600))
        #expect(S3Time.parseHTTP("Wednesday, 01-Jan-77 00:00:00 GMT", now: now) == Date(timeIntervalSince1970: 220_924_800))
    }

    @Test func formatsRoundTrip() {
        let date = Date(timeIntervalSince1970: 1_700_000_000.25)
        #expect(S3Time.http(date) == "Tue, 14 Nov 2023 22:13:20 GMT")
        #expect(S3Time.parseHTTP(S3Time.http(date)) == Date(timeIntervalSince1970: 1_700_000_000))
        #expect(S3Time.iso8601(Date(timeIntervalSince1970: -0.5)) == "1969-12-31T23:59:59.500Z")
    }
}
