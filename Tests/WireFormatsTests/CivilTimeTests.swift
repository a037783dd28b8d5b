import Testing
import WireFormats

@Suite struct CivilTimeTests {
    @Test func leapYears() {
        #expect(CivilTime.isLeapYear(2024) && CivilTime.isLeapYear(2000) && CivilTime.isLeapYear(0))
        #expect(!CivilTime.isLeapYear(2023) && !CivilTime.isLeapYear(1900) && !CivilTime.isLeapYear(2100))
        #expect(CivilTime.daysInMonth(2, year: 2024) == 29)
        #expect(CivilTime.daysInMonth(2, year: 1900) == 28)
        #expect(CivilTime(year: 2024, month: 2, day: 29) != nil)
        #expect(CivilTime(year: 2000, month: 2, day: 29) != nil)
        #expect(CivilTime(year: 2023, month: 2, day: 29) == nil)
        #expect(CivilTime(year: 1900, month: 2, day: 29) == nil)
        #expect(CivilTime(year: 2024, month: 2, day: 29)?.secondsSince1970 == 1_709_164_800)
    }

    @Test func outOfRangeFieldsAreRefused() {
        #expect(CivilTime(year: 2024, month: 4, day: 31) == nil)
        #expect(CivilTime(year: 2024, month: 0, day: 1) == nil)
        #expect(CivilTime(year: 2024, month: 13, day: 1) == nil)
        #expect(CivilTime(year: 2024, month: 1, day: 0) == nil)
        #expect(CivilTime(year: 2024, month: 1, day: 1, hour: 24) == nil)
        #expect(CivilTime(year: 2024, month: 1, day: 1, minute: 60) == nil)
        #expect(CivilTime(year: 2024, month: 1, day: 1, second: 61) == nil)
        #expect(CivilTime(year: 2024, month: 1, day: 1, hour: -1) == nil)
        #expect(CivilTime(year: -1, month: 1, day: 1) == nil)
        #expect(CivilTime(year: 10000, month: 1, day: 1) == nil)
        #expect(CivilTime(year: .max, month: 1, day: 1) == nil)
        #expect(CivilTime(year: 0, month: 1, day: 1)?.secondsSince1970 == -62_167_219_200)
        #expect(CivilTime(year: 9999, month: 12, day: 31, hour: 23, minute: 59, second: 59)?.secondsSince1970 == 253_402_300_799)
    }

    @Test func aLeapSecondIsTheNextMinutesFirst() {
        let leap = CivilTime(year: 2016, month: 12, day: 31, hour: 23, minute: 59, second: 60)
        #expect(leap?.secondsSince1970 == CivilTime(year: 2017, month: 1, day: 1)?.secondsSince1970)
    }

    @Test func secondsRoundTripAcrossTheYears() {
        // Every 10,000,019 seconds (about 116 days) from year 0 to 9999, and each field as it should be.
        var seconds: Int64 = -62_167_219_200
        var previous = CivilTime(secondsSince1970: seconds - 1)
        var wrong: [Int64] = []  // one #expect at the end: 31,500 of them cost a second in a debug build
        while seconds <= 253_402_300_799 {
            let t = CivilTime(secondsSince1970: seconds)
            let validated = CivilTime(year: t.year, month: t.month, day: t.day, hour: t.hour, minute: t.minute, second: t.second)
            if t.secondsSince1970 != seconds || validated != t
                || (previous.year, previous.month, previous.day) > (t.year, t.month, t.day) {
                wrong.append(seconds)
            }
            previous = t
            seconds += 10_000_019
        }
        #expect(wrong.isEmpty)
    }

    @Test func weekdays() {
        #expect(CivilTime(secondsSince1970: 0).weekday == 4)  // Thursday
        #expect(CivilTime(secondsSince1970: -1).weekday == 3)
        #expect(CivilTime(year: 1994, month: 11, day: 6)?.weekday == 0)
        #expect(CivilTime(year: 2024, month: 2, day: 29)?.weekday == 4)
        #expect(CivilTime(year: 0, month: 1, day: 1)?.weekday == 6)
    }

    @Test func anyInt64MakesATimeWithoutTrapping() {
        for seconds in [Int64.min, Int64.min + 1, -1, 0, 1, Int64.max - 1, Int64.max] {
            #expect(CivilTime(secondsSince1970: seconds).secondsSince1970 == seconds)
        }
        #expect(CivilTime(secondsSince1970: -1) == CivilTime(year: 1969, month: 12, day: 31, hour: 23, minute: 59, second: 59))
    }
}
