@testable import FileBlobs
import Foundation
import Logging
import NIOCore
@testable import SQLiteMetadata
@testable import StorageCore
import Testing

/// The blocking rule: SQLite calls, file reads and writes and fsync run on the `BlockingPool`, never on
/// the task's own (cooperative) thread; and nothing on the pool waits for other pool work.
@Suite struct BlockingRuleTests {
    @Test func onlyThePoolsThreadsArePooled() async throws {
        #expect(!BlockingPool.isCurrentThreadPooled)
        #expect(try await testPool.run { BlockingPool.isCurrentThreadPooled })
        let pool = BlockingPool(threadCount: 1)
        #expect(try await pool.run { 7 } == 7)
        try await pool.shutdown()
        await #expect(throws: BlockingPoolStopped.self) { _ = try await pool.run { 8 } }
    }

    #if DEBUG
    /// The stores note every SQLite statement and file system call made off the pool (debug builds):
    /// a workload through `Storage`, the task store, the inventory and fsck makes none.
    @Test func noStoreCallRunsOffThePool() async throws {
        let (s, dir) = try await makeStorage(limits: MultipartTests.small, durable: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let metadata = try #require(s.metadata as? SQLiteMetadataStore)
        let blobs = try #require(s.blobs as? FileBlobStore)

        try await s.createBucket("bkt", region: "us-east-1")
        let small = randomBytes(1000), large = randomBytes(3 << 20)
        _ = try await s.putObject(bucket: "bkt", key: "small", attributes: .init(), plainBody: TestBody(bytes: small))
        _ = try await s.putObject(bucket: "bkt", key: "large", attributes: .init(), plainBody: TestBody(bytes: large, chunk: 65_536))
        #expect(try await readAll(try await s.openObject(bucket: "bkt", key: "small")) == small)
        #expect(try await readAll(try await s.openObject(bucket: "bkt", key: "large"), chunkSize: 300_000) == large)
        #expect(try await s.metadata.objectWithSegments(bucket: "bkt", key: "small") != nil)
        _ = try await s.headObject(bucket: "bkt", key: "large")
        _ = try await s.listObjects(bucket: "bkt", prefix: "", delimiter: "/", start: nil, maxKeys: 10)
        _ = try await s.copyObject(from: try await s.openObject(bucket: "bkt", key: "large"), bucket: "bkt", key: "copy", attributes: .init())

        let u = try await s.createMultipartUpload(bucket: "bkt", key: "mp", attributes: .init())
        let parts = [randomBytes(150), randomBytes(40)]
        var etags: [(Int, String)] = []
        for (i, p) in parts.enumerated() {
            etags.append((i + 1, try await s.uploadPart(bucket: "bkt", key: "mp", uploadID: u.uploadID, partNumber: i + 1, plainBody: TestBody(bytes: p)).etag))
        }
        _ = try await s.listParts(bucket: "bkt", key: "mp", uploadID: u.uploadID, after: 0, maxParts: 10)
        _ = try await s.listMultipartUploads(bucket: "bkt", prefix: "", delimiter: nil, keyMarker: nil, uploadIDMarker: nil, maxUploads: 10)
        _ = try await s.completeMultipartUpload(bucket: "bkt", key: "mp", uploadID: u.uploadID, parts: etags)
        #expect(try await readAll(try await s.openObject(bucket: "bkt", key: "mp")) == parts.flatMap { $0 })
        let abandoned = try await s.createMultipartUpload(bucket: "bkt", key: "gone", attributes: .init())
        _ = try await s.uploadPart(bucket: "bkt", key: "gone", uploadID: abandoned.uploadID, partNumber: 1, plainBody: TestBody(bytes: [1]))
        #expect(try await s.abortUploads(initiatedBefore: Date().addingTimeInterval(60)) == 1)

        try await metadata.setBucketConfig(bucket: "bkt", name: "lifecycle", value: "<x/>")
        #expect(try await metadata.bucketConfig(bucket: "bkt", name: "lifecycle") == "<x/>")
        try await s.deleteObject(bucket: "bkt", key: "large")
        try await s.collectGarbageNow()
        _ = try await s.sweep(startedAt: Date().addingTimeInterval(-60))

        let file = StoredFile(id: "f", bucket: "bkt", key: "small", name: "n", size: 1, hash: "h", md5: "h", sha256: "s", mimeType: nil,
                              poolID: nil, bundleID: nil, expiredAt: nil, expiresAt: Date(), createdAt: Date(), chunkSize: 1, encryption: nil)
        let task = UploadTask(id: "t", uploadID: "u", bucket: "bkt", key: "k", fileID: "f", hash: "h", fileName: "n", fileSize: 1,
                              contentType: nil, poolID: nil, bundleID: nil, expiredAt: nil, chunkSize: 1, chunksCount: 1, created: Date(),
                              encryption: nil, pendingKey: nil)
        try await metadata.putTask(task)
        #expect(try await metadata.task(id: "t") == task)
        try await metadata.deleteTask(id: "t")
        try await metadata.putFile(file)
        #expect(try await metadata.file(id: "f") == file)
        #expect(try await metadata.files(hash: "h") == [file])
        #expect(try await metadata.files(expiringBefore: Date().addingTimeInterval(60), limit: 10) == [file])
        try await metadata.deleteFile(id: "f")

        try await metadata.ping()
        _ = try await metadata.counts()
        _ = try await metadata.usage(bucket: "bkt")
        #expect(await blobs.isWritable())
        #expect(await blobs.probeWrite())
        #expect(await blobs.diskSpace() != nil)
        var repair = Fsck.Options()
        repair.repairOrphans = true
        repair.dropMissing = true
        #expect(try await Fsck(metadata: metadata, blobs: blobs).run(repair).remainingProblems == 0)
        await #expect(throws: CoreError.self) { try await s.deleteBucket("bkt") }   // not empty

        #expect(metadata.offPoolCalls.calls.count == 0, "SQLite off the pool: \(metadata.offPoolCalls.calls.first)")
        #expect(blobs.offPoolCalls.calls.count == 0, "file system off the pool: \(blobs.offPoolCalls.calls.first)")
    }

    /// The check above can fail: stores opened on the test's own thread are noted.
    @Test func callsOffThePoolAreNoted() throws {
        let dir = NSTemporaryDirectory() + "tessera-offpool-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let metadata = try SQLiteMetadataStore(path: dir + "/metadata.sqlite", durable: false, pool: testPool)  // blocks right here
        #expect(metadata.offPoolCalls.calls.count > 0)
        let blobs = try FileBlobStore(root: dir, durable: false, pool: testPool)
        #expect(blobs.offPoolCalls.calls.count > 0)
    }
    #endif

    /// An inline object the metadata store holds in memory is answered before any hop to the pool: it
    /// is still read with the pool shut down, while anything else fails.
    @Test func aCachedInlineObjectIsReadWithoutThePool() async throws {
        let pool = BlockingPool(threadCount: 2)
        let (s, dir) = try await makeStorage(pool: pool)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try await s.createBucket("bkt", region: "us-east-1")
        _ = try await s.putObject(bucket: "bkt", key: "k", attributes: .init(), plainBody: TestBody(bytes: [1, 2, 3]))
        _ = try await s.putObject(bucket: "bkt", key: "unread", attributes: .init(), plainBody: TestBody(bytes: [4]))
        #expect(try await readAll(try await s.openObject(bucket: "bkt", key: "k")) == [1, 2, 3])   // read once: in memory
        try await pool.shutdown()
        #expect(try await readAll(try await s.openObject(bucket: "bkt", key: "k")) == [1, 2, 3])
        await #expect(throws: BlockingPoolStopped.self) { _ = try await s.openObject(bucket: "bkt", key: "unread") }
    }

    /// Nothing run on the pool waits for other pool work (a deadlock with one thread): concurrent
    /// writers, readers, completions and durable bodies of several blocks all finish on one thread.
    @Test(.timeLimit(.minutes(5))) func everythingFinishesOnAOneThreadPool() async throws {
        let pool = BlockingPool(threadCount: 1)
        let (s, dir) = try await makeStorage(limits: MultipartTests.small, durable: true, pool: pool)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try await s.createBucket("bkt", region: "us-east-1")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for t in 0..<6 {
                group.addTask {
                    // Two O_DIRECT blocks and a tail (cheap bytes: debug builds make random ones slowly).
                    let large = [UInt8](repeating: UInt8(t), count: (4 << 20) + 100 + t), small = randomBytes(100 + t)
                    _ = try await s.putObject(bucket: "bkt", key: "large\(t)", attributes: .init(), plainBody: TestBody(bytes: large, chunk: 65_536))
                    _ = try await s.putObject(bucket: "bkt", key: "small\(t)", attributes: .init(), plainBody: TestBody(bytes: small))
                    #expect(try await readAll(try await s.openObject(bucket: "bkt", key: "large\(t)")) == large)
                    #expect(try await readAll(try await s.openObject(bucket: "bkt", key: "small\(t)")) == small)
                    let u = try await s.createMultipartUpload(bucket: "bkt", key: "mp\(t)", attributes: .init())
                    let part = try await s.uploadPart(bucket: "bkt", key: "mp\(t)", uploadID: u.uploadID, partNumber: 1, plainBody: TestBody(bytes: small))
                    _ = try await s.completeMultipartUpload(bucket: "bkt", key: "mp\(t)", uploadID: u.uploadID, parts: [(1, part.etag)])
                    try await s.deleteObject(bucket: "bkt", key: "large\(t)")
                }
            }
            try await group.waitForAll()
        }
        try await s.collectGarbageNow()
        #expect(blobFileCount(dir) == 6)   // the parts that became objects
        try await pool.shutdown()
    }

    /// Bodies reach the blob writer in batches of about `Storage.writeBatch`, not network chunk by
    /// network chunk (each write is a hop to the pool), and never a whole body at once.
    @Test func bodiesAreWrittenInBatches() async throws {
        let (plain, dir) = try await makeStorage()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let counting = CountingBlobStore(plain.blobs)
        let s = Storage(metadata: plain.metadata, blobs: counting, logger: Logger(label: "test"))
        try await s.createBucket("bkt", region: "us-east-1")
        let body = randomBytes((5 << 20) + 3)
        _ = try await s.putObject(bucket: "bkt", key: "k", attributes: .init(), plainBody: TestBody(bytes: body, chunk: 8192))
        let writes = counting.writes
        #expect(writes.reduce(0, +) == body.count)
        #expect(writes.count >= 5 && writes.count <= 6, "\(writes.count) writes")
        #expect(writes.allSatisfy { $0 <= Storage.writeBatch + 8192 })
        #expect(try await readAll(try await s.openObject(bucket: "bkt", key: "k")) == body)
    }
}

/// A BlobStore that notes the size of every write its writers are given.
final class CountingBlobStore: BlobStore, @unchecked Sendable {
    let base: any BlobStore
    private let lock = NSLock()
    private var sizes: [Int] = []
    init(_ base: any BlobStore) { self.base = base }

    var writes: [Int] { lock.withLock { sizes } }
    func note(_ n: Int) { lock.withLock { sizes.append(n) } }

    func makeWriter(cluster: String?) async throws -> any BlobWriter { Writer(base: try await base.makeWriter(cluster: cluster), store: self) }
    func openReader(_ blob: BlobID) async throws -> any BlobReader { try await base.openReader(blob) }
    func delete(_ blobs: [BlobID]) async throws { try await base.delete(blobs) }
    func sweepTemporaries(olderThan cutoff: Date?) async throws -> Int { try await base.sweepTemporaries(olderThan: cutoff) }
    func listBlobs(after: BlobID?, limit: Int) async throws -> [StoredBlob] { try await base.listBlobs(after: after, limit: limit) }
    func isWritable() async -> Bool { await base.isWritable() }

    final class Writer: BlobWriter, @unchecked Sendable {
        let base: any BlobWriter
        let store: CountingBlobStore
        init(base: any BlobWriter, store: CountingBlobStore) { self.base = base; self.store = store }
        func write(_ bytes: ByteBuffer) async throws {
            store.note(bytes.readableBytes)
            try await base.write(bytes)
        }
        var bytesWritten: Int64 { base.bytesWritten }
        func commit() async throws -> BlobID { try await base.commit() }
        func discard() async { await base.discard() }
    }
}
