import Testing
import WireFormats

@Suite struct ISO8601TimeTests {
    @Test func basic() {
        #expect(ISO8601Time.parseBasic("20130524T000000Z") == 1_369_353_600)
        #expect(ISO8601Time.parseBasic("20240229T235960Z") == 1_709_251_200)
        #expect(ISO8601Time.formatBasic(1_369_353_600) == "20130524T000000Z")
        #expect(ISO8601Time.formatBasic(0) == "19700101T000000Z")
        let all = stride(from: Int64(-62_167_219_200), through: 253_402_300_799, by: 9_999_991)
        #expect(all.filter { ISO8601Time.parseBasic(ISO8601Time.formatBasic($0)) != $0 } == [])
    }

    @Test(arguments: [
        "20131324T000000Z", "20130230T000000Z", "20230229T000000Z", "20130524T240000Z", "20130524T006000Z",
        "20130524T000061Z", "20130500T000000Z", "2013-05-24", "20130524t000000Z", "20130524T000000z",
        "20130524T000000", "20130524T0000000Z", " 20130524T00000Z", "2013052AT000000Z", "+0130524T000000Z",
    ])
    func basicRefuses(text: String) {
        #expect(ISO8601Time.parseBasic(text) == nil)
    }

    @Test func extended() {
        #expect(ISO8601Time.parse("2024-01-01T00:00:00Z") == 1_704_067_200)
        #expect(ISO8601Time.parse("2024-01-01t00:00:00z") == 1_704_067_200)
        #expect(ISO8601Time.parse("2024-01-01T00:00:00.5Z") == 1_704_067_200.5)
        #expect(ISO8601Time.parse("2024-01-01T00:00:00.250Z") == 1_704_067_200.25)
        #expect(abs(ISO8601Time.parse("2024-01-01T00:00:00.123456789Z")! - 1_704_067_200.123456789) < 1e-6)
        #expect(ISO8601Time.parse("2024-01-01T00:00:00+01:00") == 1_704_063_600)
        #expect(ISO8601Time.parse("2024-01-01T00:00:00+0100") == 1_704_063_600)
        #expect(ISO8601Time.parse("2024-01-01T00:00:00+01") == 1_704_063_600)
        #expect(ISO8601Time.parse("2024-01-01T00:00:00-05:30") == 1_704_087_000)
        #expect(ISO8601Time.parse("2024-01-01T00:00:00.5-00:00") == 1_704_067_200.5)
        #expect(ISO8601Time.parse("2024-02-29T12:00:00Z") == 1_709_208_000)
        #expect(ISO8601Time.parse("2016-12-31T23:59:60Z") == 1_483_228_800)
        #expect(ISO8601Time.parse("0000-01-01T00:00:00Z") == -62_167_219_200)
        #expect(ISO8601Time.parse("9999-12-31T23:59:59Z") == 253_402_300_799)
    }

    @Test(arguments: [
        "2024-01-01T00:00:00", "2024-01-01 00:00:00Z", "2024-01-01T00:00Z", "2024-1-01T00:00:00Z",
        "2024-01-01T00:00:00.Z", "2024-01-01T00:00:00Zjunk", " 2024-01-01T00:00:00Z", "2024-01-01T00:00:00 Z",
        "2024-02-30T00:00:00Z", "2023-02-29T00:00:00Z", "2024-13-01T00:00:00Z", "2024-01-00T00:00:00Z",
        "2024-01-01T24:00:00Z", "2024-01-01T00:60:00Z", "2024-01-01T00:00:61Z", "2024-01-01T00:00:00+25:00",
        "2024-01-01T00:00:00+01:99", "2024-01-01T00:00:00+1", "2024-01-01T00:00:00+01:", "2024-01-01T00:00:00GMT",
        "12024-01-01T00:00:00Z", "+2024-01-01T00:00:00Z", "-0001-01-01T00:00:00Z", "20240101T000000Z", "",
        "99999999999999999999-01-01T00:00:00Z", "9223372036854775807-01-01T00:00:00Z",
    ])
    func extendedRefuses(text: String) {
        #expect(ISO8601Time.parse(text) == nil)
    }

    @Test func formats() {
        #expect(ISO8601Time.format(951_782_400) == "2000-02-29T00:00:00Z")
        #expect(ISO8601Time.format(-1) == "1969-12-31T23:59:59Z")
        #expect(ISO8601Time.format(milliseconds: 1_255_369_830_000) == "2009-10-12T17:50:30.000Z")
        #expect(ISO8601Time.format(milliseconds: 1_700_000_000_250) == "2023-11-14T22:13:20.250Z")
        #expect(ISO8601Time.format(milliseconds: -500) == "1969-12-31T23:59:59.500Z")
        #expect(ISO8601Time.format(milliseconds: 7) == "1970-01-01T00:00:00.007Z")
        var out = Array("ts=".utf8)
        ISO8601Time.append(milliseconds: 0, to: &out)
        #expect(String(decoding: out, as: UTF8.self) == "ts=1970-01-01T00:00:00.000Z")
    }

    @Test func formatAndParseRoundTrip() {
        let all = stride(from: Int64(-62_167_219_200_000), through: 253_402_300_799_999, by: 9_999_991_237)
        #expect(all.filter { ISO8601Time.parse(ISO8601Time.format(milliseconds: $0)) != Double($0) / 1000 } == [])
        #expect(all.filter { ISO8601Time.parse(ISO8601Time.format($0 / 1000)) != Double($0 / 1000) } == [])
    }

    @Test func yearsPastFourDigitsAreWrittenWhole() {
        #expect(ISO8601Time.format(253_402_300_800) == "10000-01-01T00:00:00Z")
        #expect(ISO8601Time.format(-62_167_219_201) == "-0001-12-31T23:59:59Z")
        _ = ISO8601Time.format(.max)
        _ = ISO8601Time.format(.min)
        _ = ISO8601Time.format(milliseconds: .min)
    }
}
