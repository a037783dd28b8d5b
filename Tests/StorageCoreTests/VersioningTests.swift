import Foundation
import Testing
@testable import StorageCore

/// Object versions, over both stores: what Enabled and Suspended keep, delete markers, deletes by
/// version ID, the listing order, and that noncurrent versions keep their blobs.
@Suite struct VersioningTests {
    /// A body large enough to be a blob file (not inline), so blob counts show what is kept.
    static func fileBody(_ byte: UInt8) -> [UInt8] { [UInt8](repeating: byte, count: Storage.inlineLimit + 100) }

    func versionedBucket(_ kind: StoreKind, _ state: BucketVersioning = .enabled) async throws -> (Storage, String) {
        let (s, dir) = try await makeStorage(kind)
        try await s.createBucket("bkt", region: "us-east-1")
        try await s.setVersioning(bucket: "bkt", state)
        return (s, dir)
    }

    func put(_ s: Storage, _ key: String, _ bytes: [UInt8]) async throws -> ObjectRecord {
        try await s.putObject(bucket: "bkt", key: key, attributes: .init(), plainBody: TestBody(bytes: bytes))
    }

    func versions(_ s: Storage, prefix: String = "", maxKeys: Int = 1000) async throws -> [ObjectVersionSummary] {
        try await s.listVersions(bucket: "bkt", prefix: prefix, delimiter: nil, keyMarker: nil, versionMarker: nil, maxKeys: maxKeys).entries
    }

    /// A key read without a current object: NoSuchBucket, NoSuchKey, or NoSuchKey naming the delete marker
    /// that is its latest version (one read in SQLite, two in PostgreSQL: the same answers).
    @Test(arguments: StoreKind.allCases) func aMissingKeySaysWhy(_ kind: StoreKind) async throws {
        let (s, _) = try await versionedBucket(kind)
        guard case .noBucket = try await s.metadata.missingKey(bucket: "nobkt", key: "k") else { Issue.record("bucket"); return }
        guard case .noObject(nil) = try await s.metadata.missingKey(bucket: "bkt", key: "k") else { Issue.record("key"); return }
        _ = try await put(s, "k", [1])
        let marker = try #require(try await s.deleteObject(bucket: "bkt", key: "k"))
        guard case .noObject(let found?) = try await s.metadata.missingKey(bucket: "bkt", key: "k") else { Issue.record("marker"); return }
        #expect(found.version == marker.version && found.isDeleteMarker)
        let e = await #expect(throws: CoreError.self) { _ = try await s.openObject(bucket: "bkt", key: "k") }
        #expect(e?.code == "NoSuchKey")
        let b = await #expect(throws: CoreError.self) { _ = try await s.openObject(bucket: "nobkt", key: "k") }
        #expect(b?.code == "NoSuchBucket")
    }

    @Test(arguments: StoreKind.allCases) func enabledKeepsEveryVersionAndItsBlob(_ kind: StoreKind) async throws {
        let (s, dir) = try await versionedBucket(kind)
        #expect(try await s.versioning(bucket: "bkt") == .enabled)
        let first = try await put(s, "k", Self.fileBody(1))
        let second = try await put(s, "k", Self.fileBody(2))
        #expect(first.versioned && second.versioned)
        #expect(first.versionID != second.versionID)
        for id in [first.versionID, second.versionID] {
            #expect(id.utf8.count == 16 && id.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) })
            #expect(VersionSelector(id: id) != nil)
        }
        try await s.collectGarbageNow()
        #expect(blobFileCount(dir) == 2)   // the replaced version's blob stays: it is still a version
        #expect(try await readAll(try await s.openObject(bucket: "bkt", key: "k")) == Self.fileBody(2))
        let old = try await s.openObject(bucket: "bkt", key: "k", version: VersionSelector(id: first.versionID)!)
        #expect(try await readAll(old) == Self.fileBody(1))
        #expect(old.record.versionID == first.versionID)
        // A store that has no such version says so: NoSuchVersion.
        await #expect { _ = try await s.openObject(bucket: "bkt", key: "k", version: .version(Int64.max - 1)) } throws: {
            ($0 as? CoreError)?.code == "NoSuchVersion"
        }
        let listed = try await versions(s)
        #expect(listed.map(\.versionID) == [second.versionID, first.versionID])
        #expect(listed.map(\.isLatest) == [true, false])
    }

    @Test(arguments: StoreKind.allCases) func deleteMarkersHideAndRemovingThemRestores(_ kind: StoreKind) async throws {
        let (s, dir) = try await versionedBucket(kind)
        let v1 = try await put(s, "k", Self.fileBody(1))
        let marker = try #require(try await s.deleteObject(bucket: "bkt", key: "k"))
        #expect(marker.isDeleteMarker && marker.versioned && marker.version > v1.version)
        // GET of the key: NoSuchKey, carrying the marker's headers.
        await #expect { _ = try await s.openObject(bucket: "bkt", key: "k") } throws: {
            let e = $0 as? CoreError
            return e?.code == "NoSuchKey" && e?.headers.contains(.init("x-amz-delete-marker", "true")) == true
                && e?.headers.contains(.init("x-amz-version-id", marker.versionID)) == true
        }
        await #expect { _ = try await s.headObject(bucket: "bkt", key: "k") } throws: { ($0 as? CoreError)?.code == "NoSuchKey" }
        // GET of the marker itself: MethodNotAllowed.
        await #expect { _ = try await s.openObject(bucket: "bkt", key: "k", version: .version(marker.version)) } throws: {
            ($0 as? CoreError)?.code == "MethodNotAllowed"
        }
        let listed = try await versions(s)
        #expect(listed.map(\.isDeleteMarker) == [true, false])
        #expect(listed.map(\.isLatest) == [true, false])
        // The listing of current objects no longer shows the key.
        #expect(try await s.listObjects(bucket: "bkt", prefix: "", delimiter: nil, start: nil, maxKeys: 10).entries.isEmpty)
        // Removing the marker brings the version back.
        let removed = try #require(try await s.deleteVersion(bucket: "bkt", key: "k", version: .version(marker.version)))
        #expect(removed.isDeleteMarker)
        #expect(try await readAll(try await s.openObject(bucket: "bkt", key: "k")) == Self.fileBody(1))
        // A bucket with versions left is not empty; removing the last one frees its blob.
        await #expect { try await s.deleteBucket("bkt") } throws: { ($0 as? CoreError)?.code == "BucketNotEmpty" }
        _ = try await s.deleteObject(bucket: "bkt", key: "k")
        await #expect { try await s.deleteBucket("bkt") } throws: { ($0 as? CoreError)?.code == "BucketNotEmpty" }
        for v in try await versions(s) { try await s.deleteVersion(bucket: "bkt", key: "k", version: .version(v.version)) }
        try await s.collectGarbageNow()
        #expect(blobFileCount(dir) == 0)
        #expect(try await versions(s).isEmpty)
        try await s.deleteBucket("bkt")
    }

    @Test(arguments: StoreKind.allCases) func removingTheLatestBringsBackThePreviousOne(_ kind: StoreKind) async throws {
        let (s, dir) = try await versionedBucket(kind)
        let v1 = try await put(s, "k", Self.fileBody(1))
        let v2 = try await put(s, "k", Self.fileBody(2))
        let v3 = try await put(s, "k", Self.fileBody(3))
        // A noncurrent one goes for good, and its blob with it; the current one stays.
        let gone = try #require(try await s.deleteVersion(bucket: "bkt", key: "k", version: .version(v2.version)))
        #expect(gone.version == v2.version && !gone.isDeleteMarker)
        try await s.collectGarbageNow()
        #expect(blobFileCount(dir) == 2)
        #expect(try await s.headObject(bucket: "bkt", key: "k").version == v3.version)
        try await s.deleteVersion(bucket: "bkt", key: "k", version: .version(v3.version))
        let now = try await s.headObject(bucket: "bkt", key: "k")
        #expect(now.version == v1.version && now.versioned)
        #expect(try await readAll(try await s.openObject(bucket: "bkt", key: "k")) == Self.fileBody(1))
        #expect(try await versions(s).map(\.isLatest) == [true])
        // A version that is no more: nothing to do, nothing reported.
        #expect(try await s.deleteVersion(bucket: "bkt", key: "k", version: .version(v3.version)) == nil)
        #expect(try await s.deleteVersion(bucket: "bkt", key: "k", version: .null) == nil)
    }

    @Test(arguments: StoreKind.allCases) func attributesOfOneVersionChangeInPlace(_ kind: StoreKind) async throws {
        let (s, _) = try await versionedBucket(kind)
        let old = try await put(s, "k", Self.fileBody(1))
        let small = try await s.putObject(bucket: "bkt", key: "k", attributes: .init(), plainBody: TestBody(bytes: [1, 2, 3]))
        _ = try await s.openObject(bucket: "bkt", key: "k")   // the inline body is now in the store's cache
        func tagged(_ value: String) -> @Sendable (ObjectRecord) throws -> ObjectAttributes {
            { var a = $0.attributes; a.userMetadata["t"] = value; return a }
        }
        // The current object (version nil), and a noncurrent one by its ID: each changes alone.
        let current = try #require(try await s.metadata.updateAttributes(bucket: "bkt", key: "k", version: nil, change: tagged("now")))
        #expect(current.version == small.version && current.attributes.userMetadata["t"] == "now")
        _ = try await s.metadata.updateAttributes(bucket: "bkt", key: "k", version: .version(old.version), change: tagged("then"))
        #expect(try await s.openObject(bucket: "bkt", key: "k").record.attributes.userMetadata["t"] == "now")
        #expect(try await s.openObject(bucket: "bkt", key: "k", version: .version(old.version)).record.attributes.userMetadata["t"] == "then")
        #expect(try await s.headObject(bucket: "bkt", key: "k").version == small.version)   // no new version was made
        #expect(try await versions(s).count == 2)
        // A change that throws changes nothing; a version or key that is not there: nil.
        await #expect(throws: CoreError.self) {
            _ = try await s.metadata.updateAttributes(bucket: "bkt", key: "k", version: nil) { _ in throw CoreError("InvalidTag", "no") }
        }
        #expect(try await s.openObject(bucket: "bkt", key: "k").record.attributes.userMetadata["t"] == "now")
        #expect(try await s.metadata.updateAttributes(bucket: "bkt", key: "k", version: .null, change: tagged("x")) == nil)
        #expect(try await s.metadata.updateAttributes(bucket: "bkt", key: "nope", version: nil, change: tagged("x")) == nil)
        // A delete marker is the latest: the key has no current object to change, the marker is found by its ID.
        let marker = try #require(try await s.deleteObject(bucket: "bkt", key: "k"))
        #expect(try await s.metadata.updateAttributes(bucket: "bkt", key: "k", version: nil, change: tagged("x")) == nil)
        let seen = try await s.metadata.updateAttributes(bucket: "bkt", key: "k", version: .version(marker.version)) { $0.attributes }
        #expect(seen?.isDeleteMarker == true)
    }

    @Test(arguments: StoreKind.allCases) func objectsFromBeforeVersioningAreTheNullVersion(_ kind: StoreKind) async throws {
        let (s, dir) = try await makeStorage(kind)
        try await s.createBucket("bkt", region: "us-east-1")
        let plain = try await put(s, "k", Self.fileBody(1))
        #expect(!plain.versioned && plain.versionID == "null")
        #expect(try await s.versioning(bucket: "bkt") == .unversioned)
        try await s.setVersioning(bucket: "bkt", .enabled)
        let v2 = try await put(s, "k", Self.fileBody(2))
        #expect(try await versions(s).map(\.versionID) == [v2.versionID, "null"])
        #expect(try await readAll(try await s.openObject(bucket: "bkt", key: "k", version: .null)) == Self.fileBody(1))
        // Suspended: a write replaces the null version (its blob goes) and keeps the others.
        try await s.setVersioning(bucket: "bkt", .suspended)
        let v3 = try await put(s, "k", Self.fileBody(3))
        #expect(!v3.versioned && v3.versionID == "null")
        try await s.collectGarbageNow()
        #expect(blobFileCount(dir) == 2)
        let listed = try await versions(s)
        #expect(listed.map(\.versionID) == ["null", v2.versionID])
        #expect(listed.map(\.isLatest) == [true, false])
        #expect(try await readAll(try await s.openObject(bucket: "bkt", key: "k", version: .null)) == Self.fileBody(3))
        // A delete while Suspended: the null version goes for a null delete marker; the versioned one stays.
        let marker = try #require(try await s.deleteObject(bucket: "bkt", key: "k"))
        #expect(marker.isDeleteMarker && marker.versionID == "null")
        #expect(try await versions(s).map(\.versionID) == ["null", v2.versionID])
        #expect(try await versions(s).map(\.isDeleteMarker) == [true, false])
        try await s.collectGarbageNow()
        #expect(blobFileCount(dir) == 1)
    }

    @Test(arguments: StoreKind.allCases) func unversionedBucketsBehaveAsBefore(_ kind: StoreKind) async throws {
        let (s, dir) = try await makeStorage(kind)
        try await s.createBucket("bkt", region: "us-east-1")
        _ = try await put(s, "k", Self.fileBody(1))
        _ = try await put(s, "k", Self.fileBody(2))
        try await s.collectGarbageNow()
        #expect(blobFileCount(dir) == 1)
        #expect(try await versions(s).map(\.versionID) == ["null"])
        #expect(try await s.deleteObject(bucket: "bkt", key: "k") == nil)   // no marker
        #expect(try await versions(s).isEmpty)
        await #expect { _ = try await s.openObject(bucket: "bkt", key: "k") } throws: {
            let e = $0 as? CoreError
            return e?.code == "NoSuchKey" && e?.headers.isEmpty == true
        }
        await #expect { _ = try await s.deleteObject(bucket: "nope", key: "k") } throws: { ($0 as? CoreError)?.code == "NoSuchBucket" }
    }

    @Test(arguments: StoreKind.allCases) func aCompletionMakesAVersionFromThePartsWithoutCopying(_ kind: StoreKind) async throws {
        var limits = LimitProfile.aws
        limits.minPartSize = 100
        let (s, dir) = try await makeStorage(kind, limits: limits)
        try await s.createBucket("bkt", region: "us-east-1")
        try await s.setVersioning(bucket: "bkt", .enabled)
        let v1 = try await put(s, "big", Self.fileBody(1))
        let u = try await s.createMultipartUpload(bucket: "bkt", key: "big", attributes: .init())
        let p1 = try await s.uploadPart(bucket: "bkt", key: "big", uploadID: u.uploadID, partNumber: 1, plainBody: TestBody(bytes: randomBytes(150)))
        let p2 = try await s.uploadPart(bucket: "bkt", key: "big", uploadID: u.uploadID, partNumber: 2, plainBody: TestBody(bytes: randomBytes(50)))
        let done = try await s.completeMultipartUpload(bucket: "bkt", key: "big", uploadID: u.uploadID, parts: [(1, p1.etag), (2, p2.etag)])
        #expect(done.versioned && done.version != v1.version)
        try await s.collectGarbageNow()
        #expect(blobFileCount(dir) == 3)   // the first version's blob and the two parts: nothing copied, nothing freed
        #expect(try await versions(s).map(\.versionID) == [done.versionID, v1.versionID])
        #expect(try await readAll(try await s.openObject(bucket: "bkt", key: "big", version: .version(v1.version))) == Self.fileBody(1))
    }

    @Test(arguments: StoreKind.allCases) func versionPagesResumeAfterTheirLastEntry(_ kind: StoreKind) async throws {
        let (s, _) = try await versionedBucket(kind)
        for key in ["a", "b/1", "b/2", "c"] {
            for byte in 0..<2 { _ = try await put(s, key, [UInt8(byte)]) }
        }
        _ = try await s.deleteObject(bucket: "bkt", key: "c")
        let all = try await versions(s)
        #expect(all.map(\.key) == ["a", "a", "b/1", "b/1", "b/2", "b/2", "c", "c", "c"])
        for key in Set(all.map(\.key)) {
            let mine = all.filter { $0.key == key }
            #expect(mine.map(\.version) == mine.map(\.version).sorted(by: >))   // newest first
            #expect(mine.map(\.isLatest) == [true] + Array(repeating: false, count: mine.count - 1))
        }
        // One entry a page, each resuming from the previous page's last (key, version ID), walks them all.
        var walked: [ObjectVersionSummary] = []
        var marker: (String, VersionSelector)?
        while true {
            let page = try await s.listVersions(bucket: "bkt", prefix: "", delimiter: nil, keyMarker: marker?.0, versionMarker: marker?.1, maxKeys: 1)
            walked += page.entries
            guard page.isTruncated, let last = page.lastEntry else { break }
            marker = (last.key, VersionSelector(id: last.versionID)!)
        }
        #expect(walked == all)
        // A key marker alone skips all of that key's versions; a delimiter rolls keys up.
        let afterA = try await s.listVersions(bucket: "bkt", prefix: "", delimiter: nil, keyMarker: "a", versionMarker: nil, maxKeys: 100)
        #expect(afterA.entries.first?.key == "b/1")
        let rolled = try await s.listVersions(bucket: "bkt", prefix: "", delimiter: "/", keyMarker: nil, versionMarker: nil, maxKeys: 100)
        #expect(rolled.commonPrefixes == ["b/"])
        #expect(rolled.entries.map(\.key) == ["a", "a", "c", "c", "c"])
    }

    /// A versioning state this gateway never writes is a damaged row: refused, never read as unversioned.
    @Test(arguments: StoreKind.allCases) func aDamagedVersioningStateIsRefused(_ kind: StoreKind) async throws {
        let (s, _) = try await makeStorage(kind)
        try await s.createBucket("bkt", region: "us-east-1")
        _ = try await put(s, "k", [1])
        try await s.metadata.setBucketConfig(bucket: "bkt", name: BucketVersioning.configName, value: "enabled")
        await #expect { _ = try await put(s, "k", [2]) } throws: { ($0 as? CoreError)?.code == "InternalError" }
        await #expect { _ = try await s.deleteObject(bucket: "bkt", key: "k") } throws: { ($0 as? CoreError)?.code == "InternalError" }
        await #expect { _ = try await s.versioning(bucket: "bkt") } throws: { ($0 as? CoreError)?.code == "InternalError" }
        try await s.metadata.setBucketConfig(bucket: "bkt", name: BucketVersioning.configName, value: nil)
        #expect(try await readAll(try await s.openObject(bucket: "bkt", key: "k")) == [1])   // nothing changed
    }
}
