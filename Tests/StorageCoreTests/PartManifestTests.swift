import Checksums
import CSQLite
import Foundation
import Testing
@testable import SQLiteMetadata
@testable import StorageCore

/// SQLite's part manifests: a completion of every part keeps the upload's part rows as the object's
/// segments; the object reads, lists its parts, is versioned, deleted and checked as any other.
@Suite struct PartManifestTests {
    static func part(_ n: Int, size: Int64, checksums: [String: String] = [:]) -> PartRecord {
        PartRecord(partNumber: n, blob: String(repeating: "\(n % 10)", count: 32), size: size, etag: "e\(n)", lastModified: Date(), checksums: checksums)
    }

    static func segments(_ parts: [PartRecord], checksum name: String?) -> [Segment] {
        var offset: Int64 = 0
        return parts.map { p in
            defer { offset += p.size }
            return Segment(blob: p.blob, size: p.size, offset: offset, partNumber: p.partNumber, checksum: name.flatMap { p.checksums[$0] })
        }
    }

    @Test func aManifestIsEveryPartInOrderWithOneAlgorithmsValues() {
        let parts = [Self.part(1, size: 10, checksums: ["CRC32": "AAAAAA==", "SHA256": "x1"]),
                     Self.part(2, size: 7, checksums: ["CRC32": "BBBBBB==", "SHA256": "x2"]),
                     Self.part(3, size: 0, checksums: ["CRC32": "CCCCCC==", "SHA256": "x3"])]
        #expect(PartManifest.matching(parts: parts, segments: Self.segments(parts, checksum: nil)) == PartManifest(checksum: nil))
        #expect(PartManifest.matching(parts: parts, segments: Self.segments(parts, checksum: "CRC32")) == PartManifest(checksum: "CRC32"))
        #expect(PartManifest.matching(parts: parts, segments: Self.segments(parts, checksum: "SHA256")) == PartManifest(checksum: "SHA256"))
        // Two algorithms with the same first value: the one every part matches.
        var same = parts
        same[0].checksums["SHA256"] = "AAAAAA=="
        #expect(PartManifest.matching(parts: same, segments: Self.segments(same, checksum: "SHA256")) == PartManifest(checksum: "SHA256"))

        #expect(PartManifest.matching(parts: [], segments: []) == nil)
        #expect(PartManifest.matching(parts: parts, segments: Self.segments([parts[0], parts[2]], checksum: nil)) == nil)   // a part left out
        var moved = Self.segments(parts, checksum: nil)
        moved[1].offset += 1
        #expect(PartManifest.matching(parts: parts, segments: moved) == nil)
        var resized = Self.segments(parts, checksum: nil)
        resized[2].size = 1
        #expect(PartManifest.matching(parts: parts, segments: resized) == nil)
        var inline = Self.segments(parts, checksum: nil)
        inline[2].inline = []
        #expect(PartManifest.matching(parts: parts, segments: inline) == nil)
        var foreign = Self.segments(parts, checksum: "CRC32")
        foreign[1].checksum = "ZZZZZZ=="
        #expect(PartManifest.matching(parts: parts, segments: foreign) == nil)   // not one algorithm's part values
        var partly = Self.segments(parts, checksum: "CRC32")
        partly[2].checksum = nil
        #expect(PartManifest.matching(parts: parts, segments: partly) == nil)
    }

    /// Rows of the SQLite file, read beside the store.
    static func count(_ dir: String, _ sql: String) throws -> Int {
        var db: OpaquePointer?
        guard sqlite3_open_v2(dir + "/metadata.sqlite", &db, SQLITE_OPEN_READONLY, nil) == SQLITE_OK else { throw CoreError.internalError("open") }
        defer { sqlite3_close(db) }
        var s: OpaquePointer?
        guard sqlite3_prepare_v2(db, sql, -1, &s, nil) == SQLITE_OK, sqlite3_step(s) == SQLITE_ROW else { throw CoreError.internalError(sql) }
        defer { sqlite3_finalize(s) }
        return Int(sqlite3_column_int64(s, 0))
    }

    func upload(_ s: Storage, key: String = "big", sizes: [Int]) async throws -> (UploadRecord, [[UInt8]], [(Int, String)], [String]) {
        let u = try await s.createMultipartUpload(bucket: "bkt", key: key, attributes: ObjectAttributes(), checksumAlgorithm: "CRC32")
        var bodies: [[UInt8]] = []
        var list: [(Int, String)] = []
        var crcs: [String] = []
        for (i, size) in sizes.enumerated() {
            let body = randomBytes(size)
            let crc = Base64.encode(ChecksumAlgorithm.crc32.digest(body))
            // The part's checksum as the front end's body pipeline gives it.
            let p = try await s.uploadPart(bucket: "bkt", key: key, uploadID: u.uploadID, partNumber: i + 1,
                                           body: MD5Body(TestBody(bytes: body), atEnd: { ["CRC32": crc] }))
            bodies.append(body)
            list.append((i + 1, p.etag))
            crcs.append(crc)
        }
        return (u, bodies, list, crcs)
    }

    /// A SQLite store with the bucket "bkt" (parts of any size above 100 bytes).
    func bucket() async throws -> (Storage, String) {
        let (s, dir) = try await makeStorage(.sqlite, limits: MultipartTests.small)
        try await s.createBucket("bkt", region: "us-east-1")
        return (s, dir)
    }

    /// After a manifest object's version went: no part rows, no manifest, and `files` blob files left once collected.
    func expectFreed(_ s: Storage, _ dir: String, leaving files: Int) async throws {
        #expect(try Self.count(dir, "SELECT count(*) FROM parts") == 0)
        #expect(try Self.count(dir, "SELECT count(*) FROM manifests") == 0)
        try await s.collectGarbageNow()
        #expect(blobFileCount(dir) == files)
    }

    /// Completes with `list` (each part's CRC32 sent, as the upload's algorithm requires).
    func complete(_ s: Storage, _ u: UploadRecord, _ list: [(Int, String)], _ crcs: [String]) async throws -> ObjectRecord {
        let sent = Dictionary(uniqueKeysWithValues: list.map { n, _ in (n, ["CRC32": crcs[n - 1]]) })
        return try await s.completeMultipartUpload(bucket: "bkt", key: u.key, uploadID: u.uploadID, parts: list.map { (partNumber: $0.0, etag: $0.1) },
                                                   checksums: CompletionChecksums(parts: sent))
    }

    @Test func aCompletionOfEveryPartKeepsThePartRowsAsItsSegments() async throws {
        let (s, dir) = try await bucket()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (u, bodies, list, crcs) = try await upload(s, sizes: [300, 200, 5])
        let rec = try await complete(s, u, list, crcs)
        #expect(try Self.count(dir, "SELECT count(*) FROM manifests WHERE version=\(rec.version)") == 1)
        #expect(try Self.count(dir, "SELECT count(*) FROM segments WHERE version=\(rec.version)") == 0)
        #expect(try Self.count(dir, "SELECT count(*) FROM parts") == 3)
        #expect(try await (s.metadata as! SQLiteMetadataStore).counts().parts == 0)   // no part of an upload in progress

        // Read as segments written out would be: offsets, part numbers, each part's checksum.
        let segments = try await s.metadata.segments(version: rec.version)
        #expect(segments.map(\.offset) == [0, 300, 500])
        #expect(segments.map(\.size) == [300, 200, 5])
        #expect(segments.map(\.partNumber) == [1, 2, 3])
        #expect(segments.map(\.checksum) == crcs)
        do {   // a reader holds a lease on the version until it goes
            let o = try await s.openObject(bucket: "bkt", key: "big")
            #expect(try await readAll(o) == bodies.flatMap { $0 })
            #expect(try await readAll(o, range: 250...504, chunkSize: 7) == Array(bodies.flatMap { $0 }[250...504]))
            #expect(o.partRange(2) == 300...499)
        }
        #expect(try await s.metadata.objectWithSegments(bucket: "bkt", key: "big")?.1 == segments)

        // The upload is gone for every upload call.
        await #expect(throws: CoreError.self) {
            _ = try await s.listParts(bucket: "bkt", key: "big", uploadID: u.uploadID, after: 0, maxParts: 10)
        }
        await #expect(throws: CoreError.self) {
            _ = try await s.uploadPart(bucket: "bkt", key: "big", uploadID: u.uploadID, partNumber: 4, plainBody: TestBody(bytes: [1]))
        }
        await #expect(throws: CoreError.self) { try await s.abortMultipartUpload(bucket: "bkt", key: "big", uploadID: u.uploadID) }
        #expect(try Self.count(dir, "SELECT count(*) FROM parts") == 3)
        #expect(try await s.listMultipartUploads(bucket: "bkt", prefix: "", delimiter: nil, keyMarker: nil, uploadIDMarker: nil,
                                                 maxUploads: 10).entries.isEmpty)

        // Deleted: the part rows and the manifest go, the blob files after them.
        try await s.collectGarbageNow()
        #expect(blobFileCount(dir) == 3)
        _ = try await s.deleteObject(bucket: "bkt", key: "big")
        try await expectFreed(s, dir, leaving: 0)
    }

    @Test func aCompletionThatLeavesAPartOutWritesItsSegments() async throws {
        let (s, dir) = try await bucket()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (u, bodies, list, crcs) = try await upload(s, sizes: [300, 200, 5])
        let rec = try await complete(s, u, [list[0], list[2]], crcs)
        #expect(try Self.count(dir, "SELECT count(*) FROM manifests") == 0)
        #expect(try Self.count(dir, "SELECT count(*) FROM segments WHERE version=\(rec.version)") == 2)
        #expect(try Self.count(dir, "SELECT count(*) FROM parts") == 0)
        #expect(try await readAll(try await s.openObject(bucket: "bkt", key: "big")) == bodies[0] + bodies[2])
        try await s.collectGarbageNow()
        #expect(blobFileCount(dir) == 2)   // the part left out is freed
    }

    @Test func aNoncurrentManifestVersionReadsAndItsDeletionFreesItsParts() async throws {
        let (s, dir) = try await bucket()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try await s.setVersioning(bucket: "bkt", .enabled)
        let (u, bodies, list, crcs) = try await upload(s, sizes: [300, 40])
        let first = try await complete(s, u, list, crcs)
        let replacement = randomBytes(Storage.inlineLimit + 10)
        _ = try await s.putObject(bucket: "bkt", key: "big", attributes: .init(), plainBody: TestBody(bytes: replacement))
        let selector = try #require(VersionSelector(id: first.versionID))
        #expect(try await readAll(try await s.openObject(bucket: "bkt", key: "big", version: selector)) == bodies.flatMap { $0 })
        #expect(try await readAll(try await s.openObject(bucket: "bkt", key: "big")) == replacement)
        try await s.collectGarbageNow()
        #expect(blobFileCount(dir) == 3)
        _ = try await s.deleteVersion(bucket: "bkt", key: "big", version: selector)
        try await expectFreed(s, dir, leaving: 1)
    }

    @Test func fsckFindsAManifestObjectsMissingPart() async throws {
        let (s, dir) = try await bucket()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (u, _, list, crcs) = try await upload(s, sizes: [300, 200])
        let rec = try await complete(s, u, list, crcs)
        let fsck = try #require(Fsck(storage: s))
        #expect(try await fsck.run(Fsck.Options()).remainingProblems == 0)   // its part blobs are referenced: no orphans
        let lost = try await s.metadata.segments(version: rec.version)[1].blob
        try FileManager.default.removeItem(atPath: "\(dir)/blobs/\(lost.prefix(2))/\(lost.dropFirst(2).prefix(2))/\(lost)")
        #expect(try await fsck.run(Fsck.Options()).missingObjectBlobs.map(\.key) == ["big"])
        var repair = Fsck.Options()
        repair.dropMissing = true
        #expect(try await fsck.run(repair).objectsDropped == 1)
        #expect(try Self.count(dir, "SELECT count(*) FROM parts") == 0)
        await #expect(throws: CoreError.self) { _ = try await s.headObject(bucket: "bkt", key: "big") }
    }
}
