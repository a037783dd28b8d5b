import Crypto
import Foundation
import NIOCore
import Testing
import WireFormats
@testable import StorageCore

@Suite struct ObjectTests {
    @Test(arguments: StoreKind.allCases) func putGetRoundTripAndETag(_ kind: StoreKind) async throws {
        let (s, _) = try await makeStorage(kind)
        try await s.createBucket("bkt", region: "us-east-1")
        let data = randomBytes(300_000)
        let rec = try await s.putObject(bucket: "bkt", key: "a/b.bin", attributes: ObjectAttributes(contentType: "x/y"), plainBody: TestBody(bytes: data))
        #expect(rec.etag == Hex.encode(Insecure.MD5.hash(data: data)))
        let o = try await s.openObject(bucket: "bkt", key: "a/b.bin")
        #expect(o.record.attributes.contentType == "x/y")
        #expect(try await readAll(o) == data)
        #expect(try await readAll(o, range: 1000...1999, chunkSize: 333) == Array(data[1000...1999]))
    }

    @Test(arguments: StoreKind.allCases) func hostileKeysStayKeys(_ kind: StoreKind) async throws {
        let (s, dir) = try await makeStorage(kind)
        try await s.createBucket("bkt", region: "us-east-1")
        let keys = ["../../etc/passwd", "a\u{0}b", "ä b+c=d&e~(1).txt", String(repeating: "k", count: 1024), "//x//", ".."]
        for k in keys { _ = try await s.putObject(bucket: "bkt", key: k, attributes: .init(), plainBody: TestBody(bytes: Array(k.utf8))) }
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
            _ = try await s.putObject(bucket: "bkt", key: String(repeating: "k", count: 1025), attributes: .init(), plainBody: TestBody(bytes: []))
        }
    }

    @Test(arguments: StoreKind.allCases) func overwriteFreesOldBlobAndDeleteIsIdempotent(_ kind: StoreKind) async throws {
        let (s, dir) = try await makeStorage(kind)
        try await s.createBucket("bkt", region: "us-east-1")
        // Above the inline limit: these bodies are files.
        _ = try await s.putObject(bucket: "bkt", key: "k", attributes: .init(), plainBody: TestBody(bytes: randomBytes(Storage.inlineLimit + 1000)))
        let second = randomBytes(Storage.inlineLimit + 2000)
        _ = try await s.putObject(bucket: "bkt", key: "k", attributes: .init(), plainBody: TestBody(bytes: second))
        try await s.collectGarbageNow()
        #expect(blobFileCount(dir) == 1)
        #expect(try await readAll(try await s.openObject(bucket: "bkt", key: "k")) == second)
        try await s.deleteObject(bucket: "bkt", key: "k")
        try await s.deleteObject(bucket: "bkt", key: "k")
        try await s.collectGarbageNow()
        #expect(blobFileCount(dir) == 0)
    }

    @Test(arguments: StoreKind.allCases) func readerKeepsBlobAcrossOverwrite(_ kind: StoreKind) async throws {
        let (s, _) = try await makeStorage(kind)
        try await s.createBucket("bkt", region: "us-east-1")
        let first = randomBytes(50_000)
        _ = try await s.putObject(bucket: "bkt", key: "k", attributes: .init(), plainBody: TestBody(bytes: first))
        let reader = try await s.openObject(bucket: "bkt", key: "k")
        _ = try await s.putObject(bucket: "bkt", key: "k", attributes: .init(), plainBody: TestBody(bytes: randomBytes(10)))
        try await s.collectGarbageNow()
        #expect(try await readAll(reader) == first)
    }

    @Test(arguments: StoreKind.allCases) func inlineReaderHasItsBytesAcrossOverwriteAndDelete(_ kind: StoreKind) async throws {
        let (s, _) = try await makeStorage(kind)
        try await s.createBucket("bkt", region: "us-east-1")
        let first = randomBytes(4096)
        _ = try await s.putObject(bucket: "bkt", key: "k", attributes: .init(), plainBody: TestBody(bytes: first))
        let reader = try await s.openObject(bucket: "bkt", key: "k")
        #expect(!reader.leased && reader.segments.allSatisfy { $0.inline != nil })  // one read, no lease
        _ = try await s.putObject(bucket: "bkt", key: "k", attributes: .init(), plainBody: TestBody(bytes: randomBytes(40_000)))
        try await s.deleteObject(bucket: "bkt", key: "k")
        try await s.collectGarbageNow()
        #expect(try await readAll(reader) == first)
        #expect(reader.inlineBytes(range: nil).map { Array($0.readableBytesView) } == first)
        #expect(reader.inlineBytes(range: 10...19).map { Array($0.readableBytesView) } == Array(first[10...19]))
        #expect(reader.inlineBytes(range: 4090...4096) == nil)   // past the end: not served from here
        let large = randomBytes(Storage.inlineLimit + 1)
        _ = try await s.putObject(bucket: "bkt", key: "k", attributes: .init(), plainBody: TestBody(bytes: large))
        let fileReader = try await s.openObject(bucket: "bkt", key: "k")
        #expect(fileReader.leased && fileReader.inlineBytes(range: nil) == nil)
        #expect(try await readAll(fileReader) == large)
    }

    @Test(arguments: StoreKind.allCases) func overwriteAndDeleteStartTheCollectorWhenTheyReleaseFiles(_ kind: StoreKind) async throws {
        let (s, dir) = try await makeStorage(kind)
        try await s.createBucket("bkt", region: "us-east-1")
        // The collector deletes a pass's files, then forgets their garbage rows: done when both are.
        func eventually(_ files: Int) async throws {
            let deadline = ContinuousClock.now + .seconds(10)
            while ContinuousClock.now < deadline {
                if blobFileCount(dir) == files, try await s.metadata.garbage(limit: 10).isEmpty { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(blobFileCount(dir) == files)
        }
        _ = try await s.putObject(bucket: "bkt", key: "k", attributes: .init(), plainBody: TestBody(bytes: randomBytes(Storage.inlineLimit + 1)))
        _ = try await s.putObject(bucket: "bkt", key: "k", attributes: .init(), plainBody: TestBody(bytes: randomBytes(Storage.inlineLimit + 2)))
        try await eventually(1)   // no explicit pass: the overwrite started one
        _ = try await s.putObject(bucket: "bkt", key: "k", attributes: .init(), plainBody: TestBody(bytes: randomBytes(10)))
        try await eventually(0)   // file -> inline
        _ = try await s.putObject(bucket: "bkt", key: "k", attributes: .init(), plainBody: TestBody(bytes: randomBytes(Storage.inlineLimit + 3)))
        try await s.deleteObject(bucket: "bkt", key: "k")
        try await eventually(0)
        #expect(try await s.metadata.garbage(limit: 10).isEmpty)
    }

    @Test(arguments: StoreKind.allCases) func lastReaderReleaseFreesTheSkippedBlob(_ kind: StoreKind) async throws {
        let (s, dir) = try await makeStorage(kind)
        try await s.createBucket("bkt", region: "us-east-1")
        _ = try await s.putObject(bucket: "bkt", key: "k", attributes: .init(), plainBody: TestBody(bytes: randomBytes(Storage.inlineLimit + 1)))
        var readers: [OpenObject] = [try await s.openObject(bucket: "bkt", key: "k"), try await s.openObject(bucket: "bkt", key: "k")]
        _ = try await s.putObject(bucket: "bkt", key: "k", attributes: .init(), plainBody: TestBody(bytes: randomBytes(Storage.inlineLimit + 2)))
        try await s.collectGarbageNow()
        #expect(blobFileCount(dir) == 2)  // the old blob waits for its readers
        readers.removeLast()
        try await Task.sleep(for: .milliseconds(200))
        #expect(blobFileCount(dir) == 2)  // one reader is left
        readers.removeAll()               // the last release starts a pass by itself
        let deadline = ContinuousClock.now + .seconds(10)
        while blobFileCount(dir) != 1 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(blobFileCount(dir) == 1)
    }

    @Test(arguments: StoreKind.allCases) func failedBodyLeavesNothing(_ kind: StoreKind) async throws {
        struct Boom: Error {}
        let (s, dir) = try await makeStorage(kind)
        try await s.createBucket("bkt", region: "us-east-1")
        await #expect(throws: Boom.self) {
            _ = try await s.putObject(bucket: "bkt", key: "k", attributes: .init(), body: MD5Body(TestBody(bytes: randomBytes(10_000)),
                                                                                                atEnd: { throw Boom() }))
        }
        await #expect(throws: CoreError.self) { _ = try await s.headObject(bucket: "bkt", key: "k") }
        #expect(blobFileCount(dir) == 0)
        #expect((try FileManager.default.contentsOfDirectory(atPath: dir + "/tmp")).isEmpty)
    }

    /// The body verifies itself when it ends; the core only reads the finished digests.
    @Test(arguments: StoreKind.allCases) func aBodyThatFailsItsDigestLeavesNothing(_ kind: StoreKind) async throws {
        let (s, dir) = try await makeStorage(kind)
        try await s.createBucket("bkt", region: "us-east-1")
        let bytes = randomBytes(3 << 20)   // past the point where MD5 moves to its own thread
        var wrong = Array(Insecure.MD5.hash(data: bytes))
        wrong[0] ^= 1
        await #expect(throws: CoreError.self) {
            _ = try await s.putObject(bucket: "bkt", key: "k", attributes: .init(), body: MD5Body(TestBody(bytes: bytes), contentMD5: wrong))
        }
        await #expect(throws: CoreError.self) { _ = try await s.headObject(bucket: "bkt", key: "k") }
        #expect(blobFileCount(dir) == 0)
        let right = Array(Insecure.MD5.hash(data: bytes))
        let record = try await s.putObject(bucket: "bkt", key: "k", attributes: .init(), body: MD5Body(TestBody(bytes: bytes), contentMD5: right))
        #expect(record.etag == Hex.encode(right))
    }

    @Test func digestsAreGivenOnlyOnceTheBodyHasEnded() async throws {
        let body = MD5Body(TestBody(bytes: [1, 2, 3], chunk: 1))
        #expect(throws: CoreError.self) { _ = try body.digests() }
        var it = body.makeAsyncIterator()
        _ = try await it.next()
        #expect(throws: CoreError.self) { _ = try body.digests() }
        while try await it.next() != nil {}
        #expect(try body.digests().md5 == Array(Insecure.MD5.hash(data: [1, 2, 3] as [UInt8])))
    }

    @Test(arguments: StoreKind.allCases) func bucketRules(_ kind: StoreKind) async throws {
        let (s, _) = try await makeStorage(kind)
        for bad in ["Bad_Name", "ab", "a..b", "-abc", "192.168.1.1", String(repeating: "a", count: 64), "xn--abc"] {
            await #expect(throws: CoreError.self) { try await s.createBucket(bad, region: "us-east-1") }
        }
        try await s.createBucket("good.name-1", region: "us-east-1")
        do { try await s.createBucket("good.name-1", region: "us-east-1"); Issue.record("second create succeeded") } catch let e as CoreError {
            #expect(e.code == "BucketAlreadyOwnedByYou")
        }
        _ = try await s.putObject(bucket: "good.name-1", key: "k", attributes: .init(), plainBody: TestBody(bytes: [1]))
        do { try await s.deleteBucket("good.name-1"); Issue.record("delete of non-empty bucket succeeded") } catch let e as CoreError {
            #expect(e.code == "BucketNotEmpty")
        }
        try await s.deleteObject(bucket: "good.name-1", key: "k")
        try await s.deleteBucket("good.name-1")
        do { _ = try await s.bucket("good.name-1"); Issue.record("bucket still there") } catch let e as CoreError { #expect(e.code == "NoSuchBucket") }
    }

    @Test(arguments: StoreKind.allCases) func startupSweepRemovesOrphansAndTemporaries(_ kind: StoreKind) async throws {
        let (s, dir) = try await makeStorage(kind)
        try await s.createBucket("bkt", region: "us-east-1")
        let kept = randomBytes(Storage.inlineLimit + 1)
        _ = try await s.putObject(bucket: "bkt", key: "kept", attributes: .init(), plainBody: TestBody(bytes: kept))
        // A blob committed to disk but never to metadata (crash between rename and commit).
        let w = try await s.blobs.makeWriter()
        try await w.write(ByteBuffer(bytes: [UInt8](repeating: 9, count: 100)))
        _ = try await w.commit()
        // A temporary left by a crash mid-body.
        FileManager.default.createFile(atPath: dir + "/tmp/0123.tmp", contents: Data([1]))
        let report = try await s.sweep(startedAt: Date().addingTimeInterval(5))
        #expect(report.orphansDeleted == 1)
        #expect(report.temporariesRemoved == 1)
        #expect(blobFileCount(dir) == 1)
        #expect(try await readAll(try await s.openObject(bucket: "bkt", key: "kept")) == kept)
    }

    @Test(arguments: StoreKind.allCases) func sharedStartupSweepLeavesYoungTemporariesAndBlobs(_ kind: StoreKind) async throws {
        let (s, dir) = try await makeStorage(kind)
        // Another gateway's writes in flight: a blob committed but not yet named, a temporary being written.
        let w = try await s.blobs.makeWriter()
        try await w.write(ByteBuffer(bytes: [UInt8](repeating: 9, count: 100)))
        _ = try await w.commit()
        FileManager.default.createFile(atPath: dir + "/tmp/0123.tmp", contents: Data([1]))
        var report = try await s.sweep(startedAt: Date().addingTimeInterval(5), minAge: 3600)
        #expect(report.orphansDeleted == 0 && report.temporariesRemoved == 0)
        #expect(blobFileCount(dir) == 1)
        #expect(FileManager.default.fileExists(atPath: dir + "/tmp/0123.tmp"))
        // An hour on, both count as a crash's.
        report = try await s.sweep(startedAt: Date().addingTimeInterval(3605), minAge: 3600)
        #expect(report.orphansDeleted == 1 && report.temporariesRemoved == 1)
        #expect(blobFileCount(dir) == 0)
    }

    @Test(arguments: StoreKind.allCases) func smallBodiesLiveInlineAndSwitchWithFilesOnOverwrite(_ kind: StoreKind) async throws {
        let (s, dir) = try await makeStorage(kind)
        try await s.createBucket("bkt", region: "us-east-1")
        let small = randomBytes(Storage.inlineLimit)        // at the limit: inline
        let large = randomBytes(Storage.inlineLimit + 1)    // one byte over: a file
        let rec = try await s.putObject(bucket: "bkt", key: "k", attributes: .init(), plainBody: TestBody(bytes: small, chunk: 1000))
        #expect(rec.etag == Hex.encode(Insecure.MD5.hash(data: small)))
        #expect(blobFileCount(dir) == 0)
        #expect((try FileManager.default.contentsOfDirectory(atPath: dir + "/tmp")).isEmpty)
        let segments = try await s.metadata.segments(version: rec.version)
        #expect(segments.count == 1 && segments[0].inline == small && segments[0].blob.isEmpty)
        #expect(try await readAll(try await s.openObject(bucket: "bkt", key: "k")) == small)
        #expect(try await readAll(try await s.openObject(bucket: "bkt", key: "k"), range: 10...4009, chunkSize: 1000) == Array(small[10...4009]))

        // Inline -> file -> inline: no garbage for inline bodies, the file is freed when replaced.
        _ = try await s.putObject(bucket: "bkt", key: "k", attributes: .init(), plainBody: TestBody(bytes: large, chunk: 7000))
        try await s.collectGarbageNow()
        #expect(blobFileCount(dir) == 1)
        #expect(try await readAll(try await s.openObject(bucket: "bkt", key: "k")) == large)
        _ = try await s.putObject(bucket: "bkt", key: "k", attributes: .init(), plainBody: TestBody(bytes: [7]))
        try await s.collectGarbageNow()
        #expect(blobFileCount(dir) == 0)
        #expect(try await s.metadata.garbage(limit: 10).isEmpty)
        #expect(try await readAll(try await s.openObject(bucket: "bkt", key: "k")) == [7])

        // Empty bodies and copies are inline too.
        _ = try await s.putObject(bucket: "bkt", key: "empty", attributes: .init(), plainBody: TestBody(bytes: []))
        #expect(try await readAll(try await s.openObject(bucket: "bkt", key: "empty")) == [])
        _ = try await s.copyObject(from: try await s.openObject(bucket: "bkt", key: "k"), bucket: "bkt", key: "copy", attributes: .init())
        #expect(try await readAll(try await s.openObject(bucket: "bkt", key: "copy")) == [7])
        #expect(blobFileCount(dir) == 0)
        try await s.deleteObject(bucket: "bkt", key: "k")
        await #expect(throws: CoreError.self) { _ = try await s.openObject(bucket: "bkt", key: "k") }
    }

    @Test func largeBodyHashesInTheBackgroundAndFlushesWhileWriting() async throws {
        // Durable, past the background-MD5 threshold (1 MiB), and 20 O_DIRECT blocks (40 MiB), written a batch at a time
        // while the next is received.
        let (s, dir) = try await makeStorage(durable: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try await s.createBucket("bkt", region: "us-east-1")
        let body = (0..<(40 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ ($0 >> 11)) }
        let rec = try await s.putObject(bucket: "bkt", key: "big", attributes: .init(), plainBody: TestBody(bytes: body, chunk: 256 << 10))
        #expect(rec.etag == Hex.encode(Insecure.MD5.hash(data: body)))
        #expect(rec.size == Int64(body.count))
        #expect(try await readAll(try await s.openObject(bucket: "bkt", key: "big")) == body)
        #expect(blobFileCount(dir) == 1)
    }

    @Test func durableBlobsOfEveryShapeAroundTheDirectIOBlock() async throws {
        // Durable blobs are staged in a 2 MiB block written with O_DIRECT when full (and reused), the tail
        // through the cache.
        let (s, dir) = try await makeStorage(durable: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try await s.createBucket("bkt", region: "us-east-1")
        let block = 2 << 20
        for (i, size) in [Storage.inlineLimit + 1, block - 1, block, block + 1, 2 * block + 4095, 3 * block, 5 * block + 17].enumerated() {
            let body = (0..<size).map { UInt8(truncatingIfNeeded: ($0 &* 131) ^ ($0 >> 13) ^ i) }
            let rec = try await s.putObject(bucket: "bkt", key: "k\(i)", attributes: .init(), plainBody: TestBody(bytes: body, chunk: 65_537))
            #expect(rec.size == Int64(size))
            #expect(rec.etag == Hex.encode(Insecure.MD5.hash(data: body)))
            #expect(try await readAll(try await s.openObject(bucket: "bkt", key: "k\(i)")) == body, "size \(size)")
        }
    }

    @Test(arguments: StoreKind.allCases) func concurrentWritersShareCommitsAndAFailureStaysItsOwn(_ kind: StoreKind) async throws {
        let (s, _) = try await makeStorage(kind)
        try await s.createBucket("bkt", region: "us-east-1")
        // 64 writers at once (group committed), with every 8th naming a bucket that does not exist:
        // those fail alone, inside the shared transaction, and everyone else's object stands.
        let results = await withTaskGroup(of: (Int, Bool).self) { group in
            for i in 0..<64 {
                group.addTask {
                    let bucket = i % 8 == 0 ? "missing-bucket" : "bkt"
                    do {
                        _ = try await s.putObject(bucket: bucket, key: "k\(i)", attributes: .init(), plainBody: TestBody(bytes: [UInt8(i)]))
                        return (i, true)
                    } catch { return (i, false) }
                }
            }
            var r: [Int: Bool] = [:]
            for await (i, ok) in group { r[i] = ok }
            return r
        }
        for i in 0..<64 {
            #expect(results[i] == (i % 8 != 0))
            if i % 8 == 0 {
                await #expect(throws: CoreError.self) { _ = try await s.headObject(bucket: "bkt", key: "k\(i)") }
            } else {
                #expect(try await readAll(try await s.openObject(bucket: "bkt", key: "k\(i)")) == [UInt8(i)])
            }
        }
        let listed = try await s.listObjects(bucket: "bkt", prefix: "", delimiter: nil, start: nil, maxKeys: 1000)
        #expect(listed.entries.count == 56)
    }
}
