import Foundation
import NIOCore
import Testing
@testable import StorageCore

/// If-Match / If-None-Match: * on writes, over both stores: 412 or 404 when the request starts, 409
/// ConditionalRequestConflict when a concurrent write wins between that check and the commit; a failed
/// conditional write changes nothing.
@Suite struct ConditionalWriteTests {
    /// A body that lets another write happen while it is being received (between the two checks).
    struct InterferingBody: AsyncSequence, Sendable {
        typealias Element = ByteBuffer
        let bytes: [UInt8]
        let interfere: @Sendable () async throws -> Void
        struct Iterator: AsyncIteratorProtocol {
            var sent = false
            let bytes: [UInt8]
            let interfere: @Sendable () async throws -> Void
            mutating func next() async throws -> ByteBuffer? {
                if sent { return nil }
                sent = true
                try await interfere()
                return ByteBuffer(bytes: bytes)
            }
        }
        func makeAsyncIterator() -> Iterator { Iterator(bytes: bytes, interfere: interfere) }
    }

    static func code(_ error: any Error) -> String? { (error as? CoreError)?.code }

    func body(_ s: Storage, _ key: String = "k") async throws -> [UInt8] {
        try await readAll(try await s.openObject(bucket: "bkt", key: key))
    }

    @Test(arguments: StoreKind.allCases) func conditionsAreCheckedWhenTheRequestStarts(_ kind: StoreKind) async throws {
        let (s, _) = try await makeStorage(kind)
        try await s.createBucket("bkt", region: "us-east-1")
        let created = try await s.putObject(bucket: "bkt", key: "k", attributes: .init(), plainBody: TestBody(bytes: [1]),
                                            condition: WriteCondition(ifNoneMatch: true))
        await #expect { _ = try await s.putObject(bucket: "bkt", key: "k", attributes: .init(), plainBody: TestBody(bytes: [2]),
                                                  condition: WriteCondition(ifNoneMatch: true)) } throws: { Self.code($0) == "PreconditionFailed" }
        await #expect { _ = try await s.putObject(bucket: "bkt", key: "k", attributes: .init(), plainBody: TestBody(bytes: [3]),
                                                  condition: WriteCondition(ifMatch: "0123")) } throws: { Self.code($0) == "PreconditionFailed" }
        await #expect { _ = try await s.putObject(bucket: "bkt", key: "none", attributes: .init(), plainBody: TestBody(bytes: [4]),
                                                  condition: WriteCondition(ifMatch: created.etag)) } throws: { Self.code($0) == "NoSuchKey" }
        #expect(try await body(s) == [1])
        let swapped = try await s.putObject(bucket: "bkt", key: "k", attributes: .init(), plainBody: TestBody(bytes: [5]),
                                            condition: WriteCondition(ifMatch: created.etag))
        #expect(try await body(s) == [5])
        _ = try await s.putObject(bucket: "bkt", key: "k", attributes: .init(), plainBody: TestBody(bytes: [6]), condition: WriteCondition(ifMatch: "*"))
        // The old ETag no longer matches: compare-and-swap refuses a stale writer.
        await #expect { _ = try await s.putObject(bucket: "bkt", key: "k", attributes: .init(), plainBody: TestBody(bytes: [7]),
                                                  condition: WriteCondition(ifMatch: swapped.etag)) } throws: { Self.code($0) == "PreconditionFailed" }
        #expect(try await body(s) == [6])
    }

    @Test(arguments: StoreKind.allCases) func aConcurrentWriteThatWinsTheRaceIsAConflict(_ kind: StoreKind) async throws {
        let (s, dir) = try await makeStorage(kind)
        try await s.createBucket("bkt", region: "us-east-1")
        let big = [UInt8](repeating: 9, count: Storage.inlineLimit + 10)   // a blob file: its removal shows
        // If-None-Match: * passes at the start; another writer creates the key while the body arrives.
        await #expect {
            _ = try await s.putObject(bucket: "bkt", key: "k", attributes: .init(), plainBody: InterferingBody(bytes: big) {
                _ = try await s.putObject(bucket: "bkt", key: "k", attributes: .init(), plainBody: TestBody(bytes: [1]))
            }, condition: WriteCondition(ifNoneMatch: true))
        } throws: { Self.code($0) == "ConditionalRequestConflict" }
        #expect(try await body(s) == [1])
        #expect(blobFileCount(dir) == 0)   // the loser's blob is gone, nothing names it
        // If-Match passes at the start; another writer replaces the object while the body arrives.
        let current = try await s.headObject(bucket: "bkt", key: "k")
        await #expect {
            _ = try await s.putObject(bucket: "bkt", key: "k", attributes: .init(), plainBody: InterferingBody(bytes: [3]) {
                _ = try await s.putObject(bucket: "bkt", key: "k", attributes: .init(), plainBody: TestBody(bytes: [2]))
            }, condition: WriteCondition(ifMatch: current.etag))
        } throws: { Self.code($0) == "ConditionalRequestConflict" }
        #expect(try await body(s) == [2])
        // ... or deletes it.
        let now = try await s.headObject(bucket: "bkt", key: "k")
        await #expect {
            _ = try await s.putObject(bucket: "bkt", key: "k", attributes: .init(), plainBody: InterferingBody(bytes: [4]) {
                try await s.deleteObject(bucket: "bkt", key: "k")
            }, condition: WriteCondition(ifMatch: now.etag))
        } throws: { Self.code($0) == "ConditionalRequestConflict" }
        await #expect { _ = try await s.headObject(bucket: "bkt", key: "k") } throws: { Self.code($0) == "NoSuchKey" }
    }

    @Test(arguments: StoreKind.allCases) func aConditionalCompletionThatLosesChangesNothing(_ kind: StoreKind) async throws {
        var limits = LimitProfile.aws
        limits.minPartSize = 1
        let (s, _) = try await makeStorage(kind, limits: limits)
        try await s.createBucket("bkt", region: "us-east-1")
        _ = try await s.putObject(bucket: "bkt", key: "k", attributes: .init(), plainBody: TestBody(bytes: [1]))
        let u = try await s.createMultipartUpload(bucket: "bkt", key: "k", attributes: .init())
        let p = try await s.uploadPart(bucket: "bkt", key: "k", uploadID: u.uploadID, partNumber: 1, plainBody: TestBody(bytes: [7, 7]))
        await #expect { _ = try await s.completeMultipartUpload(bucket: "bkt", key: "k", uploadID: u.uploadID, parts: [(1, p.etag)],
                                                               condition: WriteCondition(ifNoneMatch: true)) } throws: { Self.code($0) == "PreconditionFailed" }
        // The store's own check (what a completion that passed the first check meets when a write won meanwhile).
        await #expect {
            _ = try await s.metadata.completeUpload(uploadID: u.uploadID, condition: WriteCondition(ifNoneMatch: true), partListDigest: "digest") { parts in
                (ObjectRecord(bucket: "bkt", key: "k", version: Int64.max - 7, size: 2, etag: "x", lastModified: Date(), attributes: .init(),
                              partsCount: 1), [Segment(blob: parts[0].blob, size: 2, offset: 0, partNumber: 1)])
            }
        } throws: { Self.code($0) == "ConditionalRequestConflict" }
        #expect(try await body(s) == [1])
        #expect(try await s.metadata.upload(id: u.uploadID) != nil)   // the upload is still there to complete
        let current = try await s.headObject(bucket: "bkt", key: "k")
        let done = try await s.completeMultipartUpload(bucket: "bkt", key: "k", uploadID: u.uploadID, parts: [(1, p.etag)],
                                                       condition: WriteCondition(ifMatch: current.etag))
        #expect(done.partsCount == 1)
        #expect(try await body(s) == [7, 7])
    }

    @Test(arguments: StoreKind.allCases) func aDeleteMarkerIsNoObject(_ kind: StoreKind) async throws {
        let (s, _) = try await makeStorage(kind)
        try await s.createBucket("bkt", region: "us-east-1")
        try await s.setVersioning(bucket: "bkt", .enabled)
        let first = try await s.putObject(bucket: "bkt", key: "k", attributes: .init(), plainBody: TestBody(bytes: [1]))
        _ = try await s.deleteObject(bucket: "bkt", key: "k")
        await #expect { _ = try await s.putObject(bucket: "bkt", key: "k", attributes: .init(), plainBody: TestBody(bytes: [2]),
                                                  condition: WriteCondition(ifMatch: first.etag)) } throws: { Self.code($0) == "NoSuchKey" }
        let again = try await s.putObject(bucket: "bkt", key: "k", attributes: .init(), plainBody: TestBody(bytes: [3]),
                                          condition: WriteCondition(ifNoneMatch: true))
        #expect(again.versioned)
        #expect(try await body(s) == [3])
    }
}
