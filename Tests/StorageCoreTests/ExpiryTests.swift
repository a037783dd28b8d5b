import Foundation
import Testing
@testable import StorageCore

/// Lifecycle expiry in the store (`Storage.expire`), over both stores: each action does what S3's lifecycle
/// does, frees blobs through the garbage path, and changes nothing once the version is no longer as the
/// sweeper saw it.
@Suite struct ExpiryTests {
    static func fileBody(_ byte: UInt8) -> [UInt8] { VersioningTests.fileBody(byte) }

    func bucket(_ kind: StoreKind, _ state: BucketVersioning) async throws -> (Storage, String) {
        let (s, dir) = try await makeStorage(kind)
        try await s.createBucket("bkt", region: "us-east-1")
        if state != .unversioned { try await s.setVersioning(bucket: "bkt", state) }
        return (s, dir)
    }

    func put(_ s: Storage, _ key: String, _ bytes: [UInt8]) async throws -> ObjectRecord {
        try await s.putObject(bucket: "bkt", key: key, attributes: .init(), plainBody: TestBody(bytes: bytes))
    }

    func versions(_ s: Storage) async throws -> [ObjectVersionSummary] {
        try await s.listVersions(bucket: "bkt", prefix: "", delimiter: nil, keyMarker: nil, versionMarker: nil, maxKeys: 1000).entries
    }

    @Test(arguments: StoreKind.allCases) func expiringTheCurrentObjectOfAnUnversionedBucketDeletesIt(_ kind: StoreKind) async throws {
        let (s, dir) = try await bucket(kind, .unversioned)
        let old = try await put(s, "k", Self.fileBody(1))
        let removed = try await s.expire(bucket: "bkt", key: "k", version: old.version, action: .expireCurrent)
        #expect(removed?.version == old.version && removed?.isDeleteMarker == false)
        #expect(try await versions(s).isEmpty)
        try await s.collectGarbageNow()
        #expect(blobFileCount(dir) == 0)   // through the garbage path
    }

    @Test(arguments: StoreKind.allCases) func aVersionWrittenMeanwhileIsNeverExpired(_ kind: StoreKind) async throws {
        let (s, _) = try await bucket(kind, .unversioned)
        let seen = try await put(s, "k", Self.fileBody(1))
        let fresh = try await put(s, "k", Self.fileBody(2))   // the sweeper's page showed `seen`
        #expect(try await s.expire(bucket: "bkt", key: "k", version: seen.version, action: .expireCurrent) == nil)
        #expect(try await s.headObject(bucket: "bkt", key: "k").version == fresh.version)
        // Nor is a current version removed as if it were noncurrent, or an object as a marker.
        #expect(try await s.expire(bucket: "bkt", key: "k", version: fresh.version, action: .removeNoncurrent) == nil)
        #expect(try await s.expire(bucket: "bkt", key: "k", version: fresh.version, action: .removeDeleteMarker) == nil)
        #expect(try await s.headObject(bucket: "bkt", key: "k").version == fresh.version)
        await #expect { _ = try await s.expire(bucket: "nope", key: "k", version: 1, action: .expireCurrent) } throws: {
            ($0 as? CoreError)?.code == "NoSuchBucket"
        }
    }

    @Test(arguments: [(StoreKind.sqlite, BucketVersioning.enabled), (.sqlite, .suspended), (.postgres, .enabled), (.postgres, .suspended)])
    func expiringInAVersionedBucketAddsADeleteMarker(_ kind: StoreKind, _ state: BucketVersioning) async throws {
        let (s, dir) = try await bucket(kind, .enabled)
        let v1 = try await put(s, "k", Self.fileBody(1))
        try await s.setVersioning(bucket: "bkt", state)
        let marker = try #require(try await s.expire(bucket: "bkt", key: "k", version: v1.version, action: .expireCurrent))
        #expect(marker.isDeleteMarker && marker.versioned == (state == .enabled))
        let listed = try await versions(s)
        #expect(listed.map(\.version) == [marker.version, v1.version])
        #expect(listed.map(\.isLatest) == [true, false])
        try await s.collectGarbageNow()
        #expect(blobFileCount(dir) == 1)   // the expired version stays, noncurrent, with its blob
        // Its marker is now the latest: expiring "the current object" again does nothing.
        #expect(try await s.expire(bucket: "bkt", key: "k", version: v1.version, action: .expireCurrent) == nil)
    }

    @Test(arguments: StoreKind.allCases) func removingNoncurrentVersionsFreesTheirBlobs(_ kind: StoreKind) async throws {
        let (s, dir) = try await bucket(kind, .enabled)
        let v1 = try await put(s, "k", Self.fileBody(1))
        let v2 = try await put(s, "k", Self.fileBody(2))
        let v3 = try await put(s, "k", Self.fileBody(3))
        // The current version is not noncurrent.
        #expect(try await s.expire(bucket: "bkt", key: "k", version: v3.version, action: .removeNoncurrent) == nil)
        let removed = try #require(try await s.expire(bucket: "bkt", key: "k", version: v1.version, action: .removeNoncurrent))
        #expect(removed.version == v1.version)
        #expect(try await versions(s).map(\.version) == [v3.version, v2.version])
        try await s.collectGarbageNow()
        #expect(blobFileCount(dir) == 2)
        // Gone already: nothing more.
        #expect(try await s.expire(bucket: "bkt", key: "k", version: v1.version, action: .removeNoncurrent) == nil)
        // A noncurrent delete marker goes the same way; a latest one is not noncurrent.
        let marker = try #require(try await s.deleteObject(bucket: "bkt", key: "k"))
        #expect(try await s.expire(bucket: "bkt", key: "k", version: marker.version, action: .removeNoncurrent) == nil)
        let v4 = try await put(s, "k", Self.fileBody(4))
        #expect(try await s.expire(bucket: "bkt", key: "k", version: marker.version, action: .removeNoncurrent)?.isDeleteMarker == true)
        #expect(try await versions(s).map(\.version) == [v4.version, v3.version, v2.version])
    }

    @Test(arguments: StoreKind.allCases) func anExpiredObjectDeleteMarkerGoesOnlyWhenItIsTheOnlyVersion(_ kind: StoreKind) async throws {
        let (s, _) = try await bucket(kind, .enabled)
        let v1 = try await put(s, "k", Self.fileBody(1))
        let marker = try #require(try await s.deleteObject(bucket: "bkt", key: "k"))
        // v1 remains: the marker is not an expired object delete marker yet.
        #expect(try await s.expire(bucket: "bkt", key: "k", version: marker.version, action: .removeDeleteMarker) == nil)
        #expect(try await s.expire(bucket: "bkt", key: "k", version: v1.version, action: .removeNoncurrent) != nil)
        // An object version is never removed as a marker.
        let other = try await put(s, "o", Self.fileBody(2))
        #expect(try await s.expire(bucket: "bkt", key: "o", version: other.version, action: .removeDeleteMarker) == nil)
        let removed = try #require(try await s.expire(bucket: "bkt", key: "k", version: marker.version, action: .removeDeleteMarker))
        #expect(removed.isDeleteMarker && removed.version == marker.version)
        #expect(try await versions(s).map(\.key) == ["o"])
        try await s.deleteObject(bucket: "bkt", key: "o")
        _ = try await s.deleteVersion(bucket: "bkt", key: "o", version: .version(other.version))
        // Every version gone: the bucket is empty and can be deleted.
        let left = try await versions(s)
        #expect(left.count == 1 && left[0].isDeleteMarker)
        #expect(try await s.expire(bucket: "bkt", key: "o", version: left[0].version, action: .removeDeleteMarker) != nil)
        try await s.deleteBucket("bkt")
    }

    /// The sweeper's scan with tags (`scanVersions(withTags: true)`): each version and marker with its own
    /// tags, current and noncurrent, as written and as changed later; without, none are read.
    @Test(arguments: StoreKind.allCases) func versionScanCarriesEachVersionsTags(_ kind: StoreKind) async throws {
        let (s, _) = try await bucket(kind, .enabled)
        let red = [ObjectTag(key: "colour", value: "red")]
        let v1 = try await s.putObject(bucket: "bkt", key: "k", attributes: .init(tags: red), plainBody: TestBody(bytes: Self.fileBody(1)))
        let v2 = try await put(s, "k", [1, 2, 3])
        let retagged = [ObjectTag(key: "a", value: ""), ObjectTag(key: "caf\u{E9}", value: "x")]
        _ = try await s.metadata.updateAttributes(bucket: "bkt", key: "k", version: nil) { record in
            var attributes = record.attributes
            attributes.tags = retagged
            return attributes
        }
        let marker = try #require(try await s.deleteObject(bucket: "bkt", key: "m"))
        let scanned = try await s.metadata.scanVersions(bucket: "bkt", prefix: [], start: nil, limit: 10, withTags: true)
        #expect(scanned.map(\.version) == [v2.version, v1.version, marker.version])
        #expect(scanned.map(\.tags) == [retagged, red, []])
        #expect(scanned.map(\.size) == [3, Int64(Self.fileBody(1).count), 0])
        // Paged from a position, tags still come with each entry.
        let rest = try await s.metadata.scanVersions(bucket: "bkt", prefix: Array("k".utf8), start: .afterVersion(key: Array("k".utf8), version: v2.version),
                                                     limit: 10, withTags: true)
        #expect(rest.map(\.version) == [v1.version] && rest.first?.tags == red)
        let plain = try await s.metadata.scanVersions(bucket: "bkt", prefix: [], start: nil, limit: 10, withTags: false)
        #expect(plain.map(\.version) == scanned.map(\.version) && plain.allSatisfy { $0.tags == nil })
    }
}
