import Foundation
import Testing
@testable import PostgresMetadata
@testable import StorageCore

/// What only a store shared by several processes has to get right: two `PostgresMetadataStore`s on one
/// database stand for two gateways.
@Suite struct PostgresStoreTests {
    func twoGateways() async throws -> (PostgresMetadataStore, PostgresMetadataStore, PostgresLocation) {
        let (a, location) = try await TestPostgres.freshStore()
        let b = try await PostgresMetadataStore.open(location: location, poolSize: 4, timeout: TestPostgres.bound, logger: TestPostgres.logger)
        return (a, b, location)
    }

    func object(_ bucket: String, _ key: String, version: Int64, blobs: [String]) -> (ObjectRecord, [Segment]) {
        var offset: Int64 = 0
        var segments: [Segment] = []
        for (i, blob) in blobs.enumerated() {
            segments.append(Segment(blob: blob, size: 10, offset: offset, partNumber: i + 1))
            offset += 10
        }
        return (ObjectRecord(bucket: bucket, key: key, version: version, size: offset, etag: "e", lastModified: Date(),
                             attributes: ObjectAttributes(), partsCount: blobs.count), segments)
    }

    @Test func versionsAreUniqueAcrossGatewaysAndIncreaseInEach() async throws {
        let (a, b, _) = try await twoGateways()
        let all = try await withThrowingTaskGroup(of: [Int64].self) { group in
            for store in [a, b, a, b] {
                group.addTask {
                    var mine: [Int64] = []
                    for _ in 0..<100 { mine.append(try await store.nextVersion()) }
                    return mine
                }
            }
            var all: [Int64] = []
            for try await mine in group {
                #expect(mine == mine.sorted() && Set(mine).count == mine.count)   // increasing within each caller
                all += mine
            }
            return all
        }
        #expect(all.count == 400 && Set(all).count == 400)
    }

    @Test func aLeaseInOneGatewayHoldsTheOtherGatewaysCollector() async throws {
        let (a, b, _) = try await twoGateways()
        #expect(try await !b.readLeases.skipIfLeased(7))
        try await a.readLeases.acquire(7)
        try await a.readLeases.acquire(7)
        #expect(try await b.readLeases.skipIfLeased(7))
        #expect(try await a.readLeases.skipIfLeased(7))
        #expect(!a.readLeases.release(7))    // one reader is left
        #expect(try await b.readLeases.skipIfLeased(7))
        #expect(a.readLeases.release(7))     // the last reader of a version A's collector skipped
        // The release reaches the table in the background.
        let deadline = ContinuousClock.now + .seconds(10)
        while try await b.readLeases.skipIfLeased(7), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(try await !b.readLeases.skipIfLeased(7))
        // A lease taken again right after its release is not undone by the late delete of the earlier one.
        try await a.readLeases.acquire(8)
        _ = a.readLeases.release(8)
        try await a.readLeases.acquire(8)
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await b.readLeases.skipIfLeased(8))
        _ = a.readLeases.release(8)
    }

    @Test func aCrashedGatewaysLeasesLapse() async throws {
        let (_, location) = try await TestPostgres.freshStore()
        let a = try await PostgresMetadataStore.open(location: location, poolSize: 2, timeout: TestPostgres.bound, leaseTTL: .seconds(1), logger: TestPostgres.logger)
        let b = try await PostgresMetadataStore.open(location: location, poolSize: 2, timeout: TestPostgres.bound, logger: TestPostgres.logger)
        try await a.readLeases.acquire(9)
        try await Task.sleep(for: .milliseconds(1500))
        #expect(try await b.readLeases.skipIfLeased(9))   // refreshed while held
        await a.close()                                    // rows removed; a crash leaves them to lapse instead
        let crashed = try await PostgresMetadataStore.open(location: location, poolSize: 2, timeout: TestPostgres.bound, leaseTTL: .seconds(1), logger: TestPostgres.logger)
        try await crashed.readLeases.acquire(10)
        await crashed.stopRefreshingForTests()            // as if the process died: nobody refreshes its row
        #expect(try await b.readLeases.skipIfLeased(10))
        try await Task.sleep(for: .milliseconds(1500))
        #expect(try await !b.readLeases.skipIfLeased(10))
    }

    @Test func concurrentCompletionsInTwoGatewaysOneWinsNothingOrphaned() async throws {
        let (a, b, _) = try await twoGateways()
        #expect(try await a.createBucket(BucketRecord(name: "bkt", created: Date(), region: "r")))
        for round in 0..<5 {
            let id = "upload-\(round)"
            try await a.createUpload(UploadRecord(uploadID: id, bucket: "bkt", key: "k", initiated: Date(), attributes: .init(),
                                                  checksumAlgorithm: nil))
            for n in 1...3 {
                try await (n % 2 == 0 ? a : b).putPart(uploadID: id, part: PartRecord(partNumber: n, blob: "\(id)-p\(n)", size: 10,
                                                                                        etag: "e", lastModified: Date()))
            }
            // Each completion uses parts 1 and 2 only: part 3 must become garbage, exactly once.
            let results = await withTaskGroup(of: Result<ObjectRecord, any Error>.self) { group in
                for store in [a, b] {
                    group.addTask {
                        let version = try? await store.nextVersion()
                        do {
                            return .success(try await store.completeUpload(uploadID: id, partListDigest: "digest") { parts in
                                self.object("bkt", "k", version: version ?? -1, blobs: parts.prefix(2).map(\.blob))
                            })
                        } catch { return .failure(error) }
                    }
                }
                var r: [Result<ObjectRecord, any Error>] = []
                for await x in group { r.append(x) }
                return r
            }
            let won = results.compactMap { try? $0.get() }
            #expect(won.count == 1)
            for case .failure(let e) in results { #expect((e as? CoreError)?.code == "NoSuchUpload") }
            let (current, segments) = try #require(try await b.objectWithSegments(bucket: "bkt", key: "k"))
            #expect(current.version == won.first?.version)
            #expect(segments.map(\.blob) == ["\(id)-p1", "\(id)-p2"])
            #expect(try await a.upload(id: id) == nil)
            // Every part blob is the object's or garbage; none is both, none is neither.
            let garbage = Set(try await a.garbage(limit: 1000).map(\.blob))
            #expect(garbage.contains("\(id)-p3"))
            #expect(!garbage.contains("\(id)-p1") && !garbage.contains("\(id)-p2"))
            #expect(try await a.unreferenced((1...3).map { "\(id)-p\($0)" }).isEmpty)
        }
        #expect(try await a.integrityCheck() == "ok")
    }

    /// A multipart object's segments go in by COPY in PostgreSQL's text format: values holding its
    /// separators and escapes (tab, newline, carriage return, backslash, `\N`, `\.`) come back as they were.
    @Test func segmentsWithCopySeparatorsInTheirValuesComeBackAsStored() async throws {
        let (a, _, _) = try await twoGateways()
        try await a.createBucket(BucketRecord(name: "b", created: Date(), region: "us-east-1"))
        let awkward = ["plain", "tab\there", "new\nline", "cr\rhere", "back\\slash", "\\N", "\\.", "end\\"]
        var (record, segments) = object("b", "k", version: try await a.nextVersion(), blobs: awkward.map { "blob-" + $0 })
        for i in segments.indices { segments[i].checksum = i == 2 ? nil : "sum-" + awkward[i] }
        segments[3].partNumber = nil
        record.partsCount = nil
        _ = try await a.putObject(record, segments: segments, condition: nil)
        let stored = try await a.segments(version: record.version)
        #expect(stored == segments)
        #expect(stored.map { Array($0.blob.utf8) } == segments.map { Array($0.blob.utf8) })
        #expect(stored.map { $0.checksum.map { Array($0.utf8) } } == segments.map { $0.checksum.map { Array($0.utf8) } })
    }

    @Test func keysDifferingOnlyInNormalizationAreTwoObjectsInByteOrder() async throws {
        let (a, _, _) = try await twoGateways()
        _ = try await a.createBucket(BucketRecord(name: "bkt", created: Date(), region: "r"))
        let precomposed = "caf\u{E9}", decomposed = "cafe\u{301}"
        #expect(precomposed == decomposed)   // equal as Swift Strings: the store must not compare them as such
        for (key, byte) in [(precomposed, UInt8(1)), (decomposed, UInt8(2)), ("cafe", UInt8(3)), ("cafZ", UInt8(4))] {
            let v = try await a.nextVersion()
            _ = try await a.putObject(ObjectRecord(bucket: "bkt", key: key, version: v, size: 1, etag: "\(byte)", lastModified: Date(),
                                                   attributes: .init(), partsCount: nil),
                                      segments: [Segment(blob: "", size: 1, offset: 0, inline: [byte])])
        }
        let listed = try await a.scanObjects(bucket: "bkt", prefix: [], start: nil, limit: 10)
        #expect(listed.map { Array($0.key.utf8) } == [Array("cafZ".utf8), Array("cafe".utf8), Array(decomposed.utf8), Array(precomposed.utf8)])
        #expect(listed.map(\.etag) == ["4", "3", "2", "1"])
        #expect(try await a.objectWithSegments(bucket: "bkt", key: precomposed)?.1.first?.inline == [1])
        #expect(try await a.objectWithSegments(bucket: "bkt", key: decomposed)?.1.first?.inline == [2])
        let afterDecomposed = try await a.scanObjects(bucket: "bkt", prefix: Array("caf".utf8), start: .afterKey(Array(decomposed.utf8)), limit: 10)
        #expect(afterDecomposed.map(\.etag) == ["1"])
    }

    @Test func aNewerSchemaIsRefusedAndMigrationIsIdempotent() async throws {
        let (a, location) = try await TestPostgres.freshStore()
        #expect(try await a.schemaVersion() == PostgresSchema.current)
        // Several processes opening at once: the migration runs once, under the advisory lock.
        let fresh = try await TestPostgres.freshDatabase()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<4 {
                group.addTask { _ = try await PostgresMetadataStore.open(location: fresh, poolSize: 1, timeout: TestPostgres.bound, logger: TestPostgres.logger) }
            }
            try await group.waitForAll()
        }
        try await TestPostgres.execute(location, "UPDATE tessera_schema SET version = 99")
        do {
            _ = try await PostgresMetadataStore.open(location: location, poolSize: 1, timeout: TestPostgres.bound, logger: TestPostgres.logger)
            Issue.record("a database of schema 99 was opened")
        } catch let e as PostgresMetadataError {
            #expect(e == .schemaTooNew(database: 99, binary: PostgresSchema.current))
            #expect("\(e)".contains("99") && "\(e)".contains(" \(PostgresSchema.current)"))
        }
        try await TestPostgres.execute(location, "INSERT INTO tessera_schema VALUES (1)")
        await #expect(throws: PostgresMetadataError.self) {
            _ = try await PostgresMetadataStore.open(location: location, poolSize: 1, timeout: TestPostgres.bound, logger: TestPostgres.logger)
        }
    }

    /// What only PostgreSQL adds to `CorruptRowsTests`: its integrity check sees a short inline body, and
    /// its schema refuses what no binary writes.
    @Test func integrityCheckAndSchemaRefuseDamagedRows() async throws {
        let (a, location) = try await TestPostgres.freshStore()
        _ = try await a.createBucket(BucketRecord(name: "bkt", created: Date(), region: "r"))
        let v = try await a.nextVersion()
        _ = try await a.putObject(ObjectRecord(bucket: "bkt", key: "k", version: v, size: 3, etag: "e", lastModified: Date(),
                                               attributes: ObjectAttributes(contentType: "x/y"), partsCount: nil),
                                  segments: [Segment(blob: "", size: 3, offset: 0, inline: [1, 2, 3])])
        #expect(try await a.integrityCheck() == "ok")
        try await TestPostgres.execute(location, "UPDATE segments SET data = '\\x0102'::bytea")   // 2 bytes for a size of 3
        #expect(try await a.integrityCheck() != "ok")
        try await TestPostgres.execute(location, "UPDATE segments SET size = -1, data = NULL, blob = 'b'")
        await #expect(throws: CoreError.self) { _ = try await a.objectWithSegments(bucket: "bkt", key: "k") }
        await #expect(throws: (any Error).self) { try await TestPostgres.execute(location, "UPDATE objects SET size = NULL") }
        await #expect(throws: (any Error).self) { try await TestPostgres.execute(location, "UPDATE objects SET size = -5") }
    }

    @Test func theLocationNeverShowsThePassword() throws {
        let l = try PostgresLocation(url: "postgres://tessera:s3cr%40t@db.example:6543/meta?sslmode=require")
        #expect(l.username == "tessera" && l.password == "s3cr@t" && l.host == "db.example" && l.port == 6543)
        #expect(l.database == "meta" && l.sslMode == .require)
        #expect(!"\(l)".contains("s3cr") && "\(l)".contains("***"))
        #expect(throws: PostgresMetadataError.self) { try PostgresLocation(url: "mysql://x@y/z") }
    }
}
