import Foundation
@testable import SQLiteMetadata
import StorageCore
import Testing

@Suite struct VersionClockTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func versionsGrowWithTimeAndNeverRepeat() throws {
        let clock = VersionClock(largestStored: { 0 })
        let first = try clock.next(now: now)
        #expect(first == Int64(1_800_000_000 * 1_000_000) << 10)
        // The same microsecond, or a clock that went back: still one more each time.
        #expect(try clock.next(now: now) == first + 1)
        #expect(try clock.next(now: now.addingTimeInterval(-60)) == first + 2)
        #expect(try clock.next(now: now.addingTimeInterval(1)) == Int64(1_800_000_001 * 1_000_000) << 10)
    }

    @Test func aRunStartsAfterTheLargestStoredVersion() throws {
        // A database from before holds random versions, mostly larger than any time-based one.
        let stored: Int64 = 7_000_000_000_000_000_000
        var asked = 0
        let clock = VersionClock(largestStored: { asked += 1; return stored })
        #expect(try clock.next(now: now) == stored + 1)
        #expect(try clock.next(now: now) == stored + 2)
        #expect(asked == 1)
    }

    @Test func primingReadsTheStoreOnceAndBeforeTheFirstVersion() throws {
        var asked = 0
        let clock = VersionClock(largestStored: { asked += 1; return 7 << 60 })
        try clock.prime()
        try clock.prime()
        #expect(asked == 1)
        #expect(try clock.next(now: now) == (7 << 60) + 1)
        #expect(asked == 1)
    }

    @Test func pastTheLargestInt64ItFallsBackToRandom() throws {
        let clock = VersionClock(largestStored: { Int64.max })
        let v = try clock.next(now: now)
        #expect(v >= 1 && v < Int64.max)
    }

    @Test func storageGivesEveryNewObjectALargerVersion() async throws {
        let (storage, dir) = try await makeStorage()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try await storage.createBucket("bkt", region: "us-east-1")
        var versions: [Int64] = []
        for i in 0..<20 {
            let record = try await storage.putObject(bucket: "bkt", key: "k\(i % 3)", attributes: ObjectAttributes(),
                                                     plainBody: TestBody(bytes: Array(repeating: UInt8(i), count: 100 + i * 5000)))
            versions.append(record.version)
        }
        #expect(versions == versions.sorted() && Set(versions).count == versions.count)
        // A second store over the same database (the next run) starts after what the first made.
        let again = try await SQLiteMetadataStore.open(path: dir + "/metadata.sqlite", durable: false, pool: testPool)
        #expect(try await again.nextVersion() > versions.last!)
    }
}
