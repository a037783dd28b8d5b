import Foundation
import Testing
@testable import StorageCore

/// A retried CompleteMultipartUpload: the completion is remembered (both stores), answered again for the
/// same part list, refused for another, and forgotten after `Storage.completedUploadRetention`.
@Suite struct CompletedUploadTests {
    func completed(_ kind: StoreKind, versioning: BucketVersioning = .unversioned) async throws
        -> (Storage, UploadRecord, [(partNumber: Int, etag: String)], ObjectRecord) {
        var limits = LimitProfile.aws
        limits.minPartSize = 100
        let (s, _) = try await makeStorage(kind, limits: limits)
        try await s.createBucket("bkt", region: "us-east-1")
        if versioning != .unversioned { try await s.setVersioning(bucket: "bkt", versioning) }
        let u = try await s.createMultipartUpload(bucket: "bkt", key: "k\u{e9}", attributes: ObjectAttributes())
        let p1 = try await s.uploadPart(bucket: "bkt", key: "k\u{e9}", uploadID: u.uploadID, partNumber: 1, plainBody: TestBody(bytes: randomBytes(150)))
        let p2 = try await s.uploadPart(bucket: "bkt", key: "k\u{e9}", uploadID: u.uploadID, partNumber: 2, plainBody: TestBody(bytes: randomBytes(20)))
        let parts = [(partNumber: 1, etag: "\"\(p1.etag)\""), (partNumber: 2, etag: p2.etag)]
        let record = try await s.completeMultipartUpload(bucket: "bkt", key: "k\u{e9}", uploadID: u.uploadID, parts: parts)
        return (s, u, parts, record)
    }

    @Test(arguments: StoreKind.allCases) func theSamePartListGetsTheFirstAnswerAgain(_ kind: StoreKind) async throws {
        let (s, u, parts, record) = try await completed(kind)
        // Quotes around an ETag do not make another list.
        let again = try await s.completedUpload(bucket: "bkt", key: "k\u{e9}", uploadID: u.uploadID,
                                                parts: parts.map { (partNumber: $0.partNumber, etag: PartValidator.normalizeETag($0.etag)) })
        #expect(again.etag == record.etag && again.etag.hasSuffix("-2"))
        #expect(again.checksums == record.attributes.checksums)
        #expect(again.checksumType == record.attributes.checksumType)
        #expect(again.bucket == "bkt" && Array(again.key.utf8) == Array("k\u{e9}".utf8))
        // The upload itself is gone: completing it through the core is still NoSuchUpload, and changes nothing.
        await #expect(throws: CoreError.noSuchUpload(u.uploadID)) {
            _ = try await s.completeMultipartUpload(bucket: "bkt", key: "k\u{e9}", uploadID: u.uploadID, parts: parts)
        }
        #expect(try await s.headObject(bucket: "bkt", key: "k\u{e9}").version == record.version)
    }

    /// The version a completion made is answered again: its own ID in an Enabled bucket; none otherwise.
    @Test(arguments: StoreKind.allCases) func theVersionMadeIsAnsweredAgain(_ kind: StoreKind) async throws {
        for (state, ownID) in [(BucketVersioning.enabled, true), (.suspended, false), (.unversioned, false)] {
            let (s, u, parts, record) = try await completed(kind, versioning: state)
            #expect(record.versioned == ownID)
            let again = try await s.completedUpload(bucket: "bkt", key: "k\u{e9}", uploadID: u.uploadID, parts: parts)
            #expect(again.versionID == (ownID ? record.versionID : nil), "\(state)")
            if ownID { #expect(VersionSelector(id: again.versionID ?? "") == .version(record.version)) }
        }
    }

    @Test(arguments: StoreKind.allCases) func aDamagedVersionIDIsRefused(_ kind: StoreKind) async throws {
        let (store, execute) = try await makeStoreWithSQL(kind)
        try await execute("INSERT INTO completed_uploads(upload_id, bucket, key, part_list_digest, etag, completed, version_id) VALUES('u1', 'b', \(kind == .sqlite ? "X'6B'" : "'\\x6b'::bytea"), 'd', 'e', 1, 'not-a-version')")
        await #expect(throws: CoreError.self) { _ = try await store.completedUpload(id: "u1") }
        try await execute("UPDATE completed_uploads SET version_id = NULL")
        #expect(try await store.completedUpload(id: "u1")?.versionID == nil)
        try await execute("UPDATE completed_uploads SET version_id = '00000000000000ab'")
        #expect(try await store.completedUpload(id: "u1")?.versionID == "00000000000000ab")
    }

    @Test(arguments: StoreKind.allCases) func anotherPartListOrPlaceIsNoSuchUpload(_ kind: StoreKind) async throws {
        let (s, u, parts, record) = try await completed(kind)
        let others: [[(partNumber: Int, etag: String)]] = [Array(parts.prefix(1)), Array(parts.reversed()), [parts[0], (partNumber: 2, etag: "0123")], parts + [(partNumber: 3, etag: "x")]]
        for other in others {
            await #expect(throws: CoreError.noSuchUpload(u.uploadID)) {
                _ = try await s.completedUpload(bucket: "bkt", key: "k\u{e9}", uploadID: u.uploadID, parts: other)
            }
        }
        // "e" + U+0301 is another key than "é", though Swift's String == calls them equal.
        await #expect(throws: CoreError.noSuchUpload(u.uploadID)) {
            _ = try await s.completedUpload(bucket: "bkt", key: "ke\u{301}", uploadID: u.uploadID, parts: parts)
        }
        await #expect(throws: CoreError.noSuchUpload("other")) {
            _ = try await s.completedUpload(bucket: "bkt", key: "k\u{e9}", uploadID: "other", parts: parts)
        }
        #expect(try await s.headObject(bucket: "bkt", key: "k\u{e9}").version == record.version)
    }

    @Test(arguments: StoreKind.allCases) func completionsAreForgottenAfterTheRetention(_ kind: StoreKind) async throws {
        let (s, u, parts, _) = try await completed(kind)
        // Just inside a day: kept.
        #expect(try await s.forgetCompletedUploads(now: Date().addingTimeInterval(Storage.completedUploadRetention - 60)) == 0)
        _ = try await s.completedUpload(bucket: "bkt", key: "k\u{e9}", uploadID: u.uploadID, parts: parts)
        // Past it: forgotten, and a retry is NoSuchUpload from then on.
        #expect(try await s.forgetCompletedUploads(now: Date().addingTimeInterval(Storage.completedUploadRetention + 60)) == 1)
        #expect(try await s.metadata.completedUpload(id: u.uploadID) == nil)
        await #expect(throws: CoreError.noSuchUpload(u.uploadID)) {
            _ = try await s.completedUpload(bucket: "bkt", key: "k\u{e9}", uploadID: u.uploadID, parts: parts)
        }
    }

    @Test(arguments: StoreKind.allCases) func anAbortedUploadLeavesNoCompletion(_ kind: StoreKind) async throws {
        let (s, _) = try await makeStorage(kind)
        try await s.createBucket("bkt", region: "us-east-1")
        let u = try await s.createMultipartUpload(bucket: "bkt", key: "k", attributes: ObjectAttributes())
        try await s.abortMultipartUpload(bucket: "bkt", key: "k", uploadID: u.uploadID)
        #expect(try await s.metadata.completedUpload(id: u.uploadID) == nil)
    }

    @Test(arguments: StoreKind.allCases) func deletingTheBucketDropsItsCompletions(_ kind: StoreKind) async throws {
        let (s, u, _, _) = try await completed(kind)
        try await s.deleteObject(bucket: "bkt", key: "k\u{e9}")
        try await s.deleteBucket("bkt")
        #expect(try await s.metadata.completedUpload(id: u.uploadID) == nil)
    }
}
