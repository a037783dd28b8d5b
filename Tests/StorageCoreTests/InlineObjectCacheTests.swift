import Foundation
import Testing
@testable import SQLiteMetadata
@testable import StorageCore

/// The cache of inline objects in front of SQLite: never an answer older than an acknowledged write.
@Suite struct InlineObjectCacheTests {
    func cache(_ s: Storage) -> InlineObjectCache { (s.metadata as! SQLiteMetadataStore).inlineObjects }

    /// The object read straight from the metadata store (through its cache) when its body is inline.
    func openInline(_ s: Storage, _ key: String) async throws -> OpenObject? {
        guard let (o, segments) = try await s.metadata.objectWithSegments(bucket: "bkt", key: key),
              segments.allSatisfy({ $0.inline != nil }) else { return nil }
        return OpenObject(record: o, segments: segments, storage: s, leased: false)
    }

    func inlineBody(_ s: Storage, _ key: String) async throws -> [UInt8]? {
        try await openInline(s, key)?.inlineBytes(range: nil).map { Array($0.readableBytesView) }
    }

    @Test func everyKindOfWriteReplacesTheCachedObject() async throws {
        let (s, _) = try await makeStorage(limits: MultipartTests.small)
        try await s.createBucket("bkt", region: "us-east-1")
        let first = randomBytes(4096)
        _ = try await s.putObject(bucket: "bkt", key: "k", attributes: .init(), plainBody: TestBody(bytes: first))
        #expect(try await inlineBody(s, "k") == first)
        #expect(try await inlineBody(s, "k") == first)
        #expect(cache(s).count == 1)

        let second = randomBytes(100)   // PUT over it
        _ = try await s.putObject(bucket: "bkt", key: "k", attributes: .init(), plainBody: TestBody(bytes: second))
        #expect(try await inlineBody(s, "k") == second)

        _ = try await s.putObject(bucket: "bkt", key: "src", attributes: .init(), plainBody: TestBody(bytes: first))
        let copied = try await s.copyObject(from: try await s.openObject(bucket: "bkt", key: "src"), bucket: "bkt", key: "k",
                                            attributes: ObjectAttributes(contentType: "text/copied"))
        #expect(try await inlineBody(s, "k") == first)
        let record = try #require(try await openInline(s, "k")?.record)
        #expect((record.version, record.etag, record.attributes.contentType) == (copied.version, copied.etag, "text/copied"))

        try await s.deleteObject(bucket: "bkt", key: "k")
        #expect(try await openInline(s, "k") == nil)
        await #expect(throws: CoreError.self) { _ = try await s.openObject(bucket: "bkt", key: "k") }

        // Completing an upload over a cached key: the object is now in parts, not inline.
        _ = try await s.putObject(bucket: "bkt", key: "k", attributes: .init(), plainBody: TestBody(bytes: second))
        #expect(try await inlineBody(s, "k") == second)
        let u = try await s.createMultipartUpload(bucket: "bkt", key: "k", attributes: .init())
        let parts = [randomBytes(150), randomBytes(40)]
        var etags: [(Int, String)] = []
        for (i, p) in parts.enumerated() {
            etags.append((i + 1, try await s.uploadPart(bucket: "bkt", key: "k", uploadID: u.uploadID, partNumber: i + 1, plainBody: TestBody(bytes: p)).etag))
        }
        _ = try await s.completeMultipartUpload(bucket: "bkt", key: "k", uploadID: u.uploadID, parts: etags)
        #expect(try await openInline(s, "k") == nil)
        #expect(try await readAll(try await s.openObject(bucket: "bkt", key: "k")) == parts.flatMap { $0 })
    }

    /// `tessera buckets delete` may run beside the daemon, in another process: the daemon sees the
    /// bucket gone at once (nothing about buckets is cached).
    @Test func aBucketDeletedByAnotherProcessIsGone() async throws {
        let (s, dir) = try await makeStorage()
        try await s.createBucket("bkt", region: "us-east-1")
        #expect(try await s.bucket("bkt").name == "bkt")
        let other = try await SQLiteMetadataStore.open(path: dir + "/metadata.sqlite", durable: false, pool: testPool)  // as the admin command opens it
        try await other.deleteBucket(named: "bkt")
        await #expect(throws: CoreError.self) { _ = try await s.bucket("bkt") }
    }

    /// Fsck's repair drops objects through the inventory: the cached copy goes too.
    @Test func anObjectDroppedByTheInventoryIsDropped() async throws {
        let (s, _) = try await makeStorage()
        try await s.createBucket("bkt", region: "us-east-1")
        let rec = try await s.putObject(bucket: "bkt", key: "k", attributes: .init(), plainBody: TestBody(bytes: [1, 2, 3]))
        #expect(try await inlineBody(s, "k") == [1, 2, 3])
        let store = s.metadata as! SQLiteMetadataStore
        #expect(try await store.dropObject(bucket: "bkt", key: "k", version: rec.version))
        #expect(try await openInline(s, "k") == nil)
    }

    /// S3 keys are bytes: "é" and "e" + U+0301 are two objects, though Swift's String calls them equal.
    @Test func canonicallyEquivalentKeysStayApart() async throws {
        let (s, _) = try await makeStorage()
        try await s.createBucket("bkt", region: "us-east-1")
        let composed = "caf\u{E9}", decomposed = "cafe\u{301}"
        #expect(composed == decomposed)
        _ = try await s.putObject(bucket: "bkt", key: composed, attributes: .init(), plainBody: TestBody(bytes: [1]))
        _ = try await s.putObject(bucket: "bkt", key: decomposed, attributes: .init(), plainBody: TestBody(bytes: [2]))
        for _ in 0..<2 {
            #expect(try await inlineBody(s, composed) == [1])
            #expect(try await inlineBody(s, decomposed) == [2])
        }
        #expect(cache(s).count == 2)
        // The same for user metadata: each object keeps its own bytes.
        _ = try await s.putObject(bucket: "bkt", key: "m1", attributes: ObjectAttributes(userMetadata: ["name": composed]), plainBody: TestBody(bytes: [1]))
        _ = try await s.putObject(bucket: "bkt", key: "m2", attributes: ObjectAttributes(userMetadata: ["name": decomposed]), plainBody: TestBody(bytes: [2]))
        for (key, expected) in [("m1", composed), ("m2", decomposed)] {
            let value = try #require(try await s.openObject(bucket: "bkt", key: key).record.attributes.userMetadata["name"])
            #expect(Array(value.utf8) == Array(expected.utf8))
        }
        try await s.deleteObject(bucket: "bkt", key: decomposed)
        #expect(try await inlineBody(s, composed) == [1])
        #expect(try await inlineBody(s, decomposed) == nil)
    }

    /// A value read before a drop is not stored after it; the bounds hold.
    @Test func staleReadsAreNotStoredAndTheCacheIsBounded() {
        let c = InlineObjectCache(maxBytes: 64 << 10, maxEntries: 4)
        let record = ObjectRecord(bucket: "b", key: "k", version: 1, size: 1, etag: "e", lastModified: Date(), attributes: .init(), partsCount: nil)
        let value: InlineObjectCache.Value = (record, [Segment(blob: "", size: 1, offset: 0, inline: [7])])
        let key = InlineObjectCache.Key(bucket: "b", key: "k")
        let (_, before) = c.lookup(key)
        c.drop([InlineObjectCache.Key(bucket: "b", key: "other")])
        c.store(value, for: key, readAt: before)
        #expect(c.lookup(key).entry == nil)
        c.store(value, for: key, readAt: c.lookup(key).generation)
        #expect(c.lookup(key).entry?.object?.0 == record)
        // Nor a key's absence read before a drop.
        let missing = InlineObjectCache.Key(bucket: "b", key: "missing")
        let (_, early) = c.lookup(missing)
        c.drop([missing])
        c.store(nil, for: missing, readAt: early)
        #expect(c.lookup(missing).entry == nil)
        c.store(nil, for: missing, readAt: c.lookup(missing).generation)
        #expect(c.lookup(missing).entry?.isAbsent == true)
        // Many missing keys clear only each other: the object stays.
        for i in 0..<10 { c.store(nil, for: .init(bucket: "b", key: "gone\(i)"), readAt: c.lookup(key).generation) }
        #expect(c.lookup(key).entry?.object?.0 == record)
        // A body in a file is never cached.
        c.store((record, [Segment(blob: "0123", size: 1, offset: 0)]), for: .init(bucket: "b", key: "file"), readAt: c.lookup(key).generation)
        #expect(c.lookup(.init(bucket: "b", key: "file")).entry == nil)
        for i in 0..<10 { c.store(value, for: .init(bucket: "b", key: "n\(i)"), readAt: c.lookup(key).generation) }
        #expect(c.count <= 4)
        // Too large a share of the budget: not kept.
        let big: InlineObjectCache.Value = (record, [Segment(blob: "", size: 8192, offset: 0, inline: [UInt8](repeating: 0, count: 8192))])
        c.store(big, for: .init(bucket: "b", key: "big"), readAt: c.lookup(key).generation)
        #expect(c.lookup(.init(bucket: "b", key: "big")).entry == nil)
    }

    /// A key found without an object is remembered as such, until a write makes one there: a GET or
    /// HEAD of a missing key reads no database the second time, and never hides a written object.
    @Test func aMissingKeyIsRememberedUntilAWriteMakesIt() async throws {
        let (s, _) = try await makeStorage(limits: MultipartTests.small)
        try await s.createBucket("bkt", region: "us-east-1")
        func absentIsCached(_ key: String) -> Bool { cache(s).lookup(.init(bucket: "bkt", key: key)).entry?.isAbsent == true }
        #expect(try await s.metadata.objectWithSegments(bucket: "bkt", key: "k") == nil)
        #expect(absentIsCached("k"))
        #expect(try await s.metadata.objectWithSegments(bucket: "bkt", key: "k") == nil)

        _ = try await s.putObject(bucket: "bkt", key: "k", attributes: .init(), plainBody: TestBody(bytes: [1, 2]))
        #expect(try await inlineBody(s, "k") == [1, 2])
        try await s.deleteObject(bucket: "bkt", key: "k")
        #expect(try await openInline(s, "k") == nil)
        #expect(absentIsCached("k"))

        // A completion, a copy, and a version becoming current again, each over a key remembered as missing.
        let u = try await s.createMultipartUpload(bucket: "bkt", key: "k", attributes: .init())
        let part = randomBytes(150)
        let etag = try await s.uploadPart(bucket: "bkt", key: "k", uploadID: u.uploadID, partNumber: 1, plainBody: TestBody(bytes: part)).etag
        _ = try await s.completeMultipartUpload(bucket: "bkt", key: "k", uploadID: u.uploadID, parts: [(1, etag)])
        #expect(try await readAll(try await s.openObject(bucket: "bkt", key: "k")) == part)

        #expect(try await openInline(s, "copy") == nil && absentIsCached("copy"))
        _ = try await s.copyObject(from: try await s.openObject(bucket: "bkt", key: "k"), bucket: "bkt", key: "copy", attributes: .init())
        #expect(try await readAll(try await s.openObject(bucket: "bkt", key: "copy")) == part)

        try await s.setVersioning(bucket: "bkt", .enabled)
        let kept = try await s.putObject(bucket: "bkt", key: "v", attributes: .init(), plainBody: TestBody(bytes: [9]))
        let marker = try #require(try await s.deleteObject(bucket: "bkt", key: "v"))
        #expect(try await openInline(s, "v") == nil && absentIsCached("v"))
        _ = try await s.deleteVersion(bucket: "bkt", key: "v", version: try #require(VersionSelector(id: marker.versionID)))
        #expect(try await inlineBody(s, "v") == [9])   // the older version is current again
        #expect(try await s.openObject(bucket: "bkt", key: "v").record.version == kept.version)
    }

    /// Readers on other threads race a writer that overwrites one key: a read that starts after a
    /// write was acknowledged never returns an older body.
    @Test func noReadReturnsAnObjectOlderThanTheLastAcknowledgedWrite() async throws {
        let (s, _) = try await makeStorage()
        try await s.createBucket("bkt", region: "us-east-1")
        let acknowledged = Acknowledged()
        _ = try await s.putObject(bucket: "bkt", key: "k", attributes: .init(), plainBody: TestBody(bytes: Array("0".utf8)))
        let writes = 400
        try await withThrowingTaskGroup(of: Int.self) { group in
            group.addTask {
                for i in 1...writes {
                    _ = try await s.putObject(bucket: "bkt", key: "k", attributes: .init(), plainBody: TestBody(bytes: Array(String(i).utf8)))
                    acknowledged.set(i)
                }
                return 0
            }
            for _ in 0..<3 {
                group.addTask {
                    var stale = 0
                    while acknowledged.get() < writes {
                        await Task.yield()  // the writer's continuations need these threads too
                        let floor = acknowledged.get()
                        guard let body = try await openInline(s, "k")?.inlineBytes(range: nil),
                              let seen = Int(String(decoding: body.readableBytesView, as: UTF8.self)) else { stale += 1; continue }
                        if seen < floor { stale += 1 }
                    }
                    return stale
                }
            }
            var stale = 0
            for try await n in group { stale += n }
            #expect(stale == 0)
        }
        #expect(try await inlineBody(s, "k") == Array(String(writes).utf8))
    }

    final class Acknowledged: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 0
        func set(_ v: Int) { lock.withLock { value = v } }
        func get() -> Int { lock.withLock { value } }
    }
}

extension InlineObjectCache.Entry {
    var object: InlineObjectCache.Value? { if case .object(let value) = self { value } else { nil } }
    var isAbsent: Bool { if case .absent = self { true } else { false } }
}
