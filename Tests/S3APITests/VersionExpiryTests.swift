import Foundation
import S3XML
import StorageCore
import Testing
@testable import S3API

/// `VersionExpiry` with a fixed `now`: which versions the rules expire, as S3 defines the actions.
@Suite struct VersionExpiryTests {
    /// 2026-03-10T12:00:00Z.
    static let now = Date(timeIntervalSince1970: 1_773_144_000)
    static let day: TimeInterval = 86_400

    /// A version of `key` written `age` days before `now` (plus `extra` seconds).
    static func v(_ key: String, _ version: Int64, age: Double, latest: Bool = false, marker: Bool = false) -> ObjectVersionSummary {
        ObjectVersionSummary(key: key, version: version, versioned: true, isDeleteMarker: marker, isLatest: latest, size: marker ? 0 : 10,
                             etag: marker ? "" : "e", lastModified: now.addingTimeInterval(-age * day), storageClass: nil)
    }

    static func decide(_ rules: [LifecycleRule], _ pages: [[ObjectVersionSummary]], now: Date = now) -> [ExpiryDecision] {
        var expiry = VersionExpiry(rules: rules, now: now)
        return pages.flatMap { expiry.decide($0) } + expiry.finish()
    }

    @Test func expirationDaysRoundsUpToMidnightUTC() {
        // Written 2026-03-08T13:00Z; + 1 day = 03-09T13:00, rounded up: 03-10T00:00 — before `now` (03-10T12:00).
        let written = Date(timeIntervalSince1970: 1_772_974_800)
        #expect(VersionExpiry.expiry(from: written, days: 1) == Date(timeIntervalSince1970: 1_773_100_800))
        // A midnight stays a midnight.
        #expect(VersionExpiry.expiry(from: Date(timeIntervalSince1970: 1_773_100_800), days: 2) == Date(timeIntervalSince1970: 1_773_273_600))
        let rule = LifecycleRule(enabled: true, expirationDays: 2)
        // 1.4 days old: + 2 days is 0.6 days after now: kept. 2.6 days old: + 2 days is 03-09T21:36, rounded 03-10T00:00: expired.
        #expect(Self.decide([rule], [[Self.v("a", 1, age: 1.4, latest: true)]]).isEmpty)
        #expect(Self.decide([rule], [[Self.v("a", 1, age: 2.6, latest: true)]]) == [.init(key: "a", version: 1, action: .expireCurrent)])
        // 2.4 days old: + 2 days is 03-10T02:24, rounded up to 03-11T00:00: not yet.
        #expect(Self.decide([rule], [[Self.v("a", 1, age: 2.4, latest: true)]]).isEmpty)
    }

    @Test func expirationAppliesToCurrentVersionsOnly() {
        let rule = LifecycleRule(enabled: true, expirationDays: 1)
        let page = [Self.v("a", 9, age: 5, latest: true), Self.v("a", 5, age: 10), Self.v("b", 7, age: 0.1, latest: true),
                    Self.v("c", 8, age: 30, latest: true, marker: true), Self.v("c", 3, age: 40)]
        // a's noncurrent version and c (a marker over a version) are not touched by Expiration.
        #expect(Self.decide([rule], [page]) == [.init(key: "a", version: 9, action: .expireCurrent)])
    }

    @Test func expirationDate() {
        let past = LifecycleRule(enabled: true, expirationDate: 1_773_100_800)     // 03-10T00:00, before now
        let future = LifecycleRule(enabled: true, expirationDate: 1_773_187_200)   // 03-11T00:00
        let page = [Self.v("a", 1, age: 0.01, latest: true)]
        #expect(Self.decide([past], [page]) == [.init(key: "a", version: 1, action: .expireCurrent)])
        #expect(Self.decide([future], [page]).isEmpty)
    }

    @Test func prefixesCompareAsBytes() {
        // "é" precomposed (C3 A9) and decomposed ("e" + U+0301): equal as Swift Strings, different keys.
        let rule = LifecycleRule(enabled: true, prefix: "caf\u{E9}/", expirationDays: 1)
        #expect("caf\u{E9}/x" == "cafe\u{301}/x")
        let page = [Self.v("cafe\u{301}/x", 1, age: 9, latest: true), Self.v("caf\u{E9}/x", 2, age: 9, latest: true),
                    Self.v("other", 3, age: 9, latest: true)]
        #expect(Self.decide([rule], [page]) == [.init(key: "caf\u{E9}/x", version: 2, action: .expireCurrent)])
        #expect(rule.applies(to: "caf\u{E9}/") && !rule.applies(to: "cafe\u{301}/") && !rule.applies(to: "caf"))
        #expect(LifecycleRule(enabled: true).applies(to: ""))
    }

    @Test func disabledRulesAndRulesWithoutExpiryDoNothing() {
        let page = [Self.v("a", 2, age: 50, latest: true), Self.v("a", 1, age: 60)]
        #expect(Self.decide([LifecycleRule(enabled: false, expirationDays: 1, noncurrentDays: 1)], [page]).isEmpty)
        #expect(Self.decide([LifecycleRule(enabled: true, abortIncompleteDays: 1)], [page]).isEmpty)
    }

    @Test func noncurrentDaysCountFromTheSuccessor() {
        let rule = LifecycleRule(enabled: true, noncurrentDays: 3)
        // v2 noncurrent since v3 was written half a day ago: kept. v1, written 100 days ago, is noncurrent only
        // since v2 was written a day ago: kept. v0 is noncurrent since v1 was written, 100 days ago: expired.
        let page = [Self.v("k", 3, age: 0.5, latest: true), Self.v("k", 2, age: 1), Self.v("k", 1, age: 100), Self.v("k", 0, age: 200)]
        #expect(Self.decide([rule], [page]) == [.init(key: "k", version: 0, action: .removeNoncurrent)])
        // An unversioned bucket's objects (each the latest, version null) are never noncurrent.
        #expect(Self.decide([rule], [[Self.v("a", 1, age: 90, latest: true), Self.v("b", 2, age: 90, latest: true)]]).isEmpty)
    }

    @Test func newerNoncurrentVersionsAreKept() {
        let rule = LifecycleRule(enabled: true, noncurrentDays: 1, newerNoncurrentVersions: 2)
        let page = [Self.v("k", 10, age: 50, latest: true)] + (5...9).reversed().map { Self.v("k", Int64($0), age: Double(160 - $0 * 10)) }
        // Noncurrent 9, 8 are the newest two: kept although old enough; 7, 6, 5 go.
        #expect(Self.decide([rule], [page]).map(\.version) == [7, 6, 5])
        // Across pages (any split), the same.
        for split in 1..<page.count {
            #expect(Self.decide([rule], [Array(page[..<split]), Array(page[split...])]).map(\.version) == [7, 6, 5])
        }
        // Without NewerNoncurrentVersions, every old enough noncurrent version goes.
        #expect(Self.decide([LifecycleRule(enabled: true, noncurrentDays: 1)], [page]).map(\.version) == [9, 8, 7, 6, 5])
    }

    @Test func noncurrentDeleteMarkersExpireAndAreNotCountedAsKeptVersions() {
        let rule = LifecycleRule(enabled: true, noncurrentDays: 1, newerNoncurrentVersions: 1)
        let page = [Self.v("k", 4, age: 10, latest: true), Self.v("k", 3, age: 20, marker: true), Self.v("k", 2, age: 30), Self.v("k", 1, age: 40)]
        #expect(Self.decide([rule], [page]).map(\.version) == [3, 1])
    }

    @Test func expiredObjectDeleteMarkers() {
        let rule = LifecycleRule(enabled: true, expiredObjectDeleteMarker: true)
        // a: a marker alone (expired object delete marker); b: a marker over a version (kept); c: an object.
        let page = [Self.v("a", 5, age: 0.1, latest: true, marker: true), Self.v("b", 6, age: 0.1, latest: true, marker: true),
                    Self.v("b", 2, age: 3), Self.v("c", 7, age: 9, latest: true)]
        #expect(Self.decide([rule], [page]) == [.init(key: "a", version: 5, action: .removeDeleteMarker)])
        // The key's end may come with the next page, or at the end of the scan.
        #expect(Self.decide([rule], [[page[0]], [page[1], page[2]]]) == [.init(key: "a", version: 5, action: .removeDeleteMarker)])
        #expect(Self.decide([rule], [[page[0]]]) == [.init(key: "a", version: 5, action: .removeDeleteMarker)])
        #expect(Self.decide([rule], [[page[1]], [page[2]]]).isEmpty)
    }

    @Test func aMarkerWhoseOtherVersionsAllExpireNowGoesAfterThem() {
        let rules = [LifecycleRule(enabled: true, noncurrentDays: 1), LifecycleRule(enabled: true, expiredObjectDeleteMarker: true)]
        let page = [Self.v("k", 3, age: 5, latest: true, marker: true), Self.v("k", 2, age: 6), Self.v("k", 1, age: 7)]
        #expect(Self.decide(rules, [page]) == [.init(key: "k", version: 2, action: .removeNoncurrent), .init(key: "k", version: 1, action: .removeNoncurrent),
                                               .init(key: "k", version: 3, action: .removeDeleteMarker)])
        // With one of them kept (NewerNoncurrentVersions 1), the marker stays.
        let keepOne = [LifecycleRule(enabled: true, noncurrentDays: 1, newerNoncurrentVersions: 1),
                       LifecycleRule(enabled: true, expiredObjectDeleteMarker: true)]
        #expect(Self.decide(keepOne, [page]) == [.init(key: "k", version: 1, action: .removeNoncurrent)])
    }

    @Test func expirationDaysAlsoRemovesOldEnoughExpiredObjectDeleteMarkers() {
        let rule = LifecycleRule(enabled: true, expirationDays: 3)
        #expect(Self.decide([rule], [[Self.v("a", 5, age: 1, latest: true, marker: true)]]).isEmpty)
        #expect(Self.decide([rule], [[Self.v("a", 5, age: 4, latest: true, marker: true)]]) == [.init(key: "a", version: 5, action: .removeDeleteMarker)])
    }

    /// A version with `size` bytes and `tags`, written 9 days before `now`, the latest of its key.
    static func sized(_ key: String, _ version: Int64, size: Int64, tags: [ObjectTag]? = []) -> ObjectVersionSummary {
        ObjectVersionSummary(key: key, version: version, versioned: true, isDeleteMarker: false, isLatest: true, size: size,
                             etag: "e", lastModified: now.addingTimeInterval(-9 * day), storageClass: nil, tags: tags)
    }

    @Test func tagFiltersNeedEveryTagWithItsValueAsBytes() {
        let rule = LifecycleRule(enabled: true, prefix: "p/", tags: [LifecycleTag(key: "a", value: "1"), LifecycleTag(key: "caf\u{E9}", value: "")],
                                 expirationDays: 1)
        let both = [ObjectTag(key: "a", value: "1"), ObjectTag(key: "caf\u{E9}", value: ""), ObjectTag(key: "other", value: "x")]
        let page = [
            Self.sized("p/both", 1, size: 5, tags: both),                                                          // expired
            Self.sized("p/one", 2, size: 5, tags: [ObjectTag(key: "a", value: "1")]),                               // a tag missing
            Self.sized("p/value", 3, size: 5, tags: [ObjectTag(key: "a", value: "2"), ObjectTag(key: "caf\u{E9}", value: "")]),
            Self.sized("p/nfd", 4, size: 5, tags: [ObjectTag(key: "a", value: "1"), ObjectTag(key: "cafe\u{301}", value: "")]),
            Self.sized("p/untagged", 5, size: 5),
            Self.sized("p/unread", 6, size: 5, tags: nil),                                                         // tags not read: never
            Self.sized("q/both", 7, size: 5, tags: both),                                                          // outside the prefix
        ]
        #expect(Self.decide([rule], [page]) == [.init(key: "p/both", version: 1, action: .expireCurrent)])
        #expect(VersionExpiry(rules: [rule], now: Self.now).needsTags)
        #expect(!VersionExpiry(rules: [LifecycleRule(enabled: true, prefix: "p/", expirationDays: 1)], now: Self.now).needsTags)
        // A disabled tag rule does not make the scan read tags.
        #expect(!VersionExpiry(rules: [LifecycleRule(enabled: false, tags: [LifecycleTag(key: "a", value: "1")], expirationDays: 1)], now: Self.now).needsTags)
    }

    @Test func sizeBoundsAreStrict() {
        let between = LifecycleRule(enabled: true, sizeGreaterThan: 10, sizeLessThan: 20, expirationDays: 1)
        let page = (Int64(9)...21).map { Self.sized("k\($0)", $0, size: $0) }
        #expect(Self.decide([between], [page]).map(\.version) == Array(Int64(11)...19))
        #expect(Self.decide([LifecycleRule(enabled: true, sizeGreaterThan: 20, expirationDays: 1)], [page]).map(\.version) == [21])
        #expect(Self.decide([LifecycleRule(enabled: true, sizeLessThan: 10, expirationDays: 1)], [page]).map(\.version) == [9])
    }

    @Test func noncurrentVersionsAreFilteredOneByOne() {
        // Tags and size are each version's own: of k's noncurrent versions only the tagged large one goes.
        let rule = LifecycleRule(enabled: true, tags: [LifecycleTag(key: "t", value: "y")], sizeGreaterThan: 100, noncurrentDays: 1)
        let tagged = [ObjectTag(key: "t", value: "y")]
        func old(_ version: Int64, size: Int64, tags: [ObjectTag], age: Double) -> ObjectVersionSummary {
            ObjectVersionSummary(key: "k", version: version, versioned: true, isDeleteMarker: false, isLatest: false, size: size,
                                 etag: "e", lastModified: Self.now.addingTimeInterval(-age * Self.day), storageClass: nil, tags: tags)
        }
        let page = [Self.sized("k", 9, size: 500, tags: tagged), old(4, size: 500, tags: tagged, age: 20), old(3, size: 50, tags: tagged, age: 30),
                    old(2, size: 500, tags: [], age: 40), old(1, size: 500, tags: tagged, age: 50)]
        #expect(Self.decide([rule], [page]) == [.init(key: "k", version: 4, action: .removeNoncurrent), .init(key: "k", version: 1, action: .removeNoncurrent)])
    }
}
