import Foundation
import Testing
import WireFormats

@Suite struct HTTPDateTests {
    /// 2026-05-01T00:00:00Z
    static let now: Int64 = 1_777_593_600
    static let rfcExample: Int64 = 784_111_777  // Sun, 06 Nov 1994 08:49:37 GMT

    static func parse(_ text: String) -> Int64? { HTTPDate.parse(text, now: now) }

    @Test(arguments: ["Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994"])
    func theThreeForms(text: String) {
        #expect(Self.parse(text) == Self.rfcExample)
    }

    /// What Date headers (SigV2) and conditional headers were read with before: AmzDate.parseHTTPDate and DateFormatter.
    @Test(arguments: [
        "06 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 06 Nov 1994 08:49:37 +0000",
        "Sun, 06 Nov 1994 08:49:37 Z", "Sun, 06 nov 1994 08:49:37 gmt", "SUN, 06 NOV 1994 08:49:37 GMT",
        "Mon, 06 Nov 1994 08:49:37 GMT", "Sun, 6 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 8:49:37 GMT",
        "Sun,  06 Nov 1994 08:49:37 GMT", "Sun,06 Nov 1994 08:49:37 GMT", "  Sun, 06 Nov 1994 08:49:37 GMT\t",
        "Sun, 06 Nov 1994 09:49:37 +0100", "Sun, 06 Nov 1994 00:49:37 PST", "Sun, 06 Nov 1994 03:49:37 -0500",
        "Sun, 06-Nov-94 08:49:37 GMT", "Sunday, 06-Nov-1994 08:49:37 GMT", "Sun Nov 6 08:49:37 1994",
        "Sun Nov 06 08:49:37 1994", "Nov  6 08:49:37 1994", "Sunday Nov  6 08:49:37 1994",
    ])
    func lenientForms(text: String) {
        #expect(Self.parse(text) == Self.rfcExample)
    }

    @Test func rfc850TwoDigitYears() {
        // Within now's century unless that is more than 50 years ahead (RFC 9110 §5.6.7).
        #expect(Self.parse("Friday, 01-Jan-27 00:00:00 GMT") == 1_798_761_600)  // 2027
        #expect(Self.parse("Sunday, 01-Jan-76 00:00:00 GMT") == 3_345_062_400)  // 2076: 50 years ahead
        #expect(Self.parse("Wednesday, 01-Jan-77 00:00:00 GMT") == 220_924_800)  // 1977
        #expect(Self.parse("Saturday, 01-Jan-00 00:00:00 GMT") == 946_684_800)  // 2000
        #expect(HTTPDate.parse("Sunday, 06-Nov-94 08:49:37 GMT", now: 0) == Self.rfcExample)  // from 1970: 1994
    }

    @Test func sigV2Examples() {
        #expect(Self.parse("Fri, 24 May 2013 00:00:00 GMT") == 1_369_353_600)
        #expect(Self.parse("Tue, 27 Mar 2007 19:36:42 +0000") == 1_175_024_202)  // AWS's SigV2 documentation
    }

    @Test func leapDays() {
        #expect(Self.parse("Thu, 29 Feb 2024 00:00:00 GMT") == 1_709_164_800)
        #expect(Self.parse("Tue, 29 Feb 2000 00:00:00 GMT") == 951_782_400)
        #expect(Self.parse("Thu Feb 29 00:00:00 2024") == 1_709_164_800)
        #expect(Self.parse("Wed, 29 Feb 2023 00:00:00 GMT") == nil)
        #expect(Self.parse("Thu, 29 Feb 1900 00:00:00 GMT") == nil)
        #expect(Self.parse("Thursday, 29-Feb-23 00:00:00 GMT") == nil)
        #expect(Self.parse("Sat, 31 Dec 2016 23:59:60 GMT") == 1_483_228_800)
    }

    @Test(arguments: [
        "", "GMT", "Sun, 06 Nov 1994 08:49:37", "Sun, 06 Nov 1994 08:49:37 GMT junk", "Sun, 31 Feb 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 24:49:37 GMT", "Sun, 06 Nov 1994 08:60:37 GMT", "Sun, 06 Nov 1994 08:49:61 GMT",
        "Sun, 00 Nov 1994 08:49:37 GMT", "Sun, 06 Foo 1994 08:49:37 GMT", "Sun, 06 Nov 1994 08:49 GMT",
        "Sun, 06 Nov 1994 08:49:37 GMT+1", "Sun, 06 Nov 1994 08:49:37 +01", "Sun, 06 Nov 1994 08:49:37 +2400",
        "Sun, 06 Nov 1994 08:49:37 CET", "Sun, 06 Nov 99999 08:49:37 GMT", "Sun, 106 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 108:49:37 GMT", "Sun, 06 Nov 1994 08:4:37 GMT", "S1n, 06 Nov 1994 08:49:37 GMT",
        ", 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37",
        "Sunday, 06-Nov-94-1 08:49:37 GMT", "Sunday, 06-November-94 08:49:37 GMT", "Sunday, 06 Nov-94 08:49:37 GMT",
        "Sun Nov  6 08:49:37 1994 GMT", "Sun Nov  6 08:49:37", "Sun Nov 32 08:49:37 1994", "Sun Nov  6 08:49:37 19940",
        "Sun, 06 Nov 1994 08:49:37 GMT GMT", "Sun, 06, Nov 1994 08:49:37 GMT",
    ])
    func refuses(text: String) {
        #expect(Self.parse(text) == nil)
    }

    /// An overflow trap on a huge year once stopped the daemon (see SigV4Tests' DateOverflowRegressionTests).
    @Test(arguments: ["999999999999", "99999999999999999", "9223372036854775807", "-999999999999999", "10000", "-1"])
    func yearsOutsideFourDigitsAreRefusedWithoutTrapping(year: String) {
        #expect(Self.parse("Sat, 21 Nov \(year) 16:29:00 GMT") == nil)
        #expect(Self.parse("Saturday, 21-Nov-\(year) 16:29:00 GMT") == nil)
        #expect(Self.parse("Sat Nov 21 16:29:00 \(year)") == nil)
        #expect(Self.parse("Sat, 21 Nov 2026 16:29:00 GMT") == 1_795_278_540)
        #expect(Self.parse("31 Dec 9999 23:59:59 GMT") == 253_402_300_799)
        #expect(Self.parse("Sat, 01 Jan 0000 00:00:00 GMT") == -62_167_219_200)
    }

    @Test func formatsIMFFixdate() {
        #expect(HTTPDate.format(Self.rfcExample) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(HTTPDate.format(1_700_000_000) == "Tue, 14 Nov 2023 22:13:20 GMT")
        #expect(HTTPDate.format(0) == "Thu, 01 Jan 1970 00:00:00 GMT")
        #expect(HTTPDate.format(-1) == "Wed, 31 Dec 1969 23:59:59 GMT")
    }

    @Test func formatMatchesFoundationAndRoundTrips() {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        // 1900 to 2100, about every 14 days.
        let all = stride(from: Int64(-2_208_988_800), through: 4_102_444_800, by: 1_234_567)
        #expect(all.filter { HTTPDate.format($0) != formatter.string(from: Date(timeIntervalSince1970: Double($0))) } == [])
        #expect(all.filter { HTTPDate.parse(HTTPDate.format($0), now: $0) != $0 } == [])
        #expect(all.filter { HTTPDate.parse(HTTPDate.format($0), now: 0) != $0 } == [])
    }
}
