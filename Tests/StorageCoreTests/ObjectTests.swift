import Crypto
import Foundation
import Testing
@testable import StorageCore

@Suite struct ObjectTests {
    @Test func putGetRoundTripAndETag() async throws {
        let (s, _) = try makeStorage()
        try await s.createBucket("bkt", region: "us-east-1")
        let data = randomBytes(300_000)
        let rec = try await s.putObject(bucket: "bkt", key: "a/b.bin", attributes: ObjectAttributes(contentType: "x/y"), body: TestBody(bytes: data))
        #expect(rec.etag == Insecure.MD5.hash(data: data).map { String(format: "%02x", $0) }.joined())
        let o = try await s.openObject(bucket: "bkt", key: "a/b.bin")
        #expect(o.record.attributes.contentType == "x/y")
        #expect(try await readAll(o) == data)
        #expect(try await readAll(o, range: 1000...1999, chunkSize: 333) == Array(data[1000...1999]))
    }

    @Test func hostileKeysStayKeys() async throws {
        let (s, dir) = try makeStorage()
        try await s.createBucket("bkt", region: "us-east-1")
        let keys = ["../../etc/passwd", "a\u{0}b", "ä b+c=d&e~(1).txt", String(repeating: "k", count: 1024), "//x//", ".."]
        for k in keys { _ = try await s.putObject(bucket: "bkt", key: k, attributes: .init(), body: TestBody(bytes: Array(k.utf8))) }
        for k in keys {
            let o = try await s.openObject(bucket: "bkt", key: k)
            #expect(try await readAll(o) == Array(k.utf8))
        }
        let listed = try await s.listObjects(bucket: "bkt", prefix: "", delimiter: nil, start: nil, maxKeys: 1000).entries.map(\.key)
        #expect(listed == keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) })
        // Every file under the data dir is ours: metadata, or a blob named by a random ID.
        let files = FileManager.default.enumerator(atPath: dir)!.allObjects as! [String]
        #expect(!files.contains { $0.contains("passwd") || $0.contains("etc") })
        await #expect(throws: CoreError.self) {
            _ = try await s.putObject(bucket: "bkt", key: String(repeating: "k", count: 1025), attributes: .init(), body: TestBody(bytes: []))
        }
    }

    @Test func overwriteFreesOldBlobAndDeleteIsIdempotent() async throws {
        let (s, dir) = try makeStorage()
        try await s.createBucket("bkt", region: "us-east-1")
        _ = try await s.putObject(bucket: "bkt", key: "k", attributes: .init(), body: TestBody(bytes: randomBytes(1000)))
        let second = randomBytes(2000)
        _ = try await s.putObject(bucket: "bkt", key: "k", attributes: .init(), body: TestBody(bytes: second))
        try await s.collectGarbageNow()
        #expect(blobFileCount(dir) == 1)
        #expect(try await readAll(try await s.openObject(bucket: "bkt", key: "k")) == second)
        try await s.deleteObject(bucket: "bkt", key: "k")
        try await s.deleteObject(bucket: "bkt", key: "k")
        try await s.collectGarbageNow()
        #expect(blobFileCount(dir) == 0)
    }

    @Test func readerKeepsBlobAcrossOverwrite() async throws {
        let (s, _) = try makeStorage()
        try await s.createBucket("bkt", region: "us-east-1")
        let first = randomBytes(50_000)
        _ = try await s.putObject(bucket: "bkt", key: "k", attributes: .init(), body: TestBody(bytes: first))
        let reader = try await s.openObject(bucket: "bkt", key: "k")
        _ = try await s.putObject(bucket: "bkt", key: "k", attributes: .init(), body: TestBody(bytes: randomBytes(10)))
        try await s.collectGarbageNow()
        #expect(try await readAll(reader) == first)
    }

    @Test func failedBodyLeavesNothing() async throws {
        struct Boom: Error {}
        let (s, dir) = try makeStorage()
        try await s.createBucket("bkt", region: "us-east-1")
        await #expect(throws: Boom.self) {
            _ = try await s.putObject(bucket: "bkt", key: "k", attributes: .init(), body: TestBody(bytes: randomBytes(10_000)),
                                      afterBody: { _ in throw Boom() })
        }
        await #expect(throws: CoreError.self) { _ = try await s.headObject(bucket: "bkt", key: "k") }
        #expect(blobFileCount(dir) == 0)
        #expect((try FileManager.default.contentsOfDirectory(atPath: dir + "/tmp")).isEmpty)
    }

    @Test func bucketRules() async throws {
        let (s, _) = try makeStorage()
        for bad in ["Bad_Name", "ab", "a..b", "-abc", "192.168.1.1", String(repeating: "a", count: 64), "xn--abc"] {
            await #expect(throws: CoreError.self) { try await s.createBucket(bad, region: "us-east-1") }
        }
        try await s.createBucket("good.name-1", region: "us-east-1")
        do { try await s.createBucket("good.name-1", region: "us-east-1"); Issue.record("second create succeeded") } catch let e as CoreError {
            #expect(e.code == "BucketAlreadyOwnedByYou")
        }
        _ = try await s.putObject(bucket: "good.name-1", key: "k", attributes: .init(), body: TestBody(bytes: [1]))
        do { try await s.deleteBucket("good.name-1"); Issue.record("delete of non-empty bucket succeeded") } catch let e as CoreError {
            #expect(e.code == "BucketNotEmpty")
        }
        try await s.deleteObject(bucket: "good.name-1", key: "k")
        try await s.deleteBucket("good.name-1")
        do { _ = try await s.bucket("good.name-1"); Issue.record("bucket still there") } catch let e as CoreError { #expect(e.code == "NoSuchBucket") }
    }

    @Test func startupSweepRemovesOrphansAndTemporaries() async throws {
        let (s, dir) = try makeStorage()
        try await s.createBucket("bkt", region: "us-east-1")
        _ = try await s.putObject(bucket: "bkt", key: "kept", attributes: .init(), body: TestBody(bytes: [1, 2, 3]))
        // A blob committed to disk but never to metadata (crash between rename and commit).
        let w = try s.blobs.makeWriter()
        try [UInt8](repeating: 9, count: 100).withUnsafeBytes { try w.write($0) }
        _ = try w.commit()
        // A temporary left by a crash mid-body.
        FileManager.default.createFile(atPath: dir + "/tmp/0123.tmp", contents: Data([1]))
        let report = try await s.sweep(startedAt: Date().addingTimeInterval(5))
        #expect(report.orphansDeleted == 1)
        #expect(report.temporariesRemoved == 1)
        #expect(blobFileCount(dir) == 1)
        #expect(try await readAll(try await s.openObject(bucket: "bkt", key: "kept")) == [1, 2, 3])
    }
}
