import Checksums
import CSQLite
import Foundation
import SQLiteMetadata
import Testing
@testable import StorageCore

/// COMPOSITE and FULL_OBJECT multipart checksums, the CRC64NVME default, and the uploads/segments migration.
@Suite struct MultipartChecksumTests {
    // Fixed parts; the expected values below were computed independently in Python
    // (zlib.crc32, hashlib, and table-driven CRC32C / CRC64NVME: Tests/integration/crcutil.py).
    static let parts: [[UInt8]] = [
        Array((0..<1024).map { UInt8($0 % 256) }),
        Array("tesseratesseratessera".utf8),
        Array("x".utf8),
    ]
    static let python: [ChecksumAlgorithm: (parts: [String], composite: String, full: String)] = [
        .crc32: (["twtMJg==", "bBdM2w==", "jNwWgw=="], "xVjcNg==-3", "c64HkQ=="),
        .crc32c: (["LN9ujw==", "fDg4oA==", "qTxfkw=="], "oZkLvA==-3", "fe5acw=="),
        .crc64nvme: (["iI2NLxjQFEc=", "8SETGnmhwKk=", "Lb1nAmRU5LE="], "dR0rUfiqu0Y=-3", "iiU7TdOkMDw="),
        .sha1: (["WwBmnEgNXP+9+ovbqZVhFg8tG3c=", "8igLgT6hJP6f7rUkZX630FJyQgo=", "EfatjsUqKYSrqv18O1FlA3hcIHI="],
                "1vy1gOd53wtV4B8EF6K9eEsLqK4=-3", "USDF21hu86oBoTAalwKYP3j9Jzc="),
        .sha256: (["eFsHUfwsU9wUpM49gA5p75zhAJ6zJ8z0WK/gnCQsJsk=", "VpV+bZXi3/SlFx3FoTqfY2WEXv6H6ljOPYQVOx/d1tE=",
                   "LXEWQrcmsEQBYnyp+6wy9chTD7GQPMTbAiWHF5IaSIE="],
                  "WaVGuhYCcMzUqIeVd5+ERrDC4rSjG+Xe2m9GipH5gqY=-3", "/2OU6wOyJKZDCGxo2hdYvh76J/wfomZ/hcZ7YOTSIh0="),
    ]

    @Test(arguments: ChecksumAlgorithm.allCases)
    func compositeMatchesPythonVector(_ alg: ChecksumAlgorithm) {
        let expected = Self.python[alg]!
        let raw = Self.parts.map { alg.digest($0) }
        #expect(raw.map { Base64.encode($0) } == expected.parts)
        #expect(MultipartChecksums.composite(alg, partChecksums: raw) == expected.composite)
    }

    @Test(arguments: [ChecksumAlgorithm.crc32, .crc32c, .crc64nvme])
    func fullObjectIsTheChecksumOfTheConcatenation(_ alg: ChecksumAlgorithm) {
        // Known vector, and the checksum of the concatenation computed directly (not by combining).
        let parts = Self.parts.map { (checksum: alg.digest($0), size: Int64($0.count)) }
        #expect(MultipartChecksums.fullObject(alg, parts: parts) == Self.python[alg]!.full)
        #expect(Base64.encode(alg.digest(Self.parts.flatMap { $0 })) == Self.python[alg]!.full)
        // Random sizes, including empty parts and parts longer than the CRC tables' stride.
        for _ in 0..<20 {
            let random = (0..<Int.random(in: 1...6)).map { _ in randomBytes(Int.random(in: 0...3000)) }
            let combined = MultipartChecksums.fullObject(alg, parts: random.map { (alg.digest($0), Int64($0.count)) })
            #expect(combined == Base64.encode(alg.digest(random.flatMap { $0 })))
        }
    }

    @Test func shaHasNoFullObjectChecksum() {
        #expect(MultipartChecksums.fullObject(.sha256, parts: [(ChecksumAlgorithm.sha256.digest([1]), 1)]) == nil)
    }

    @Test func createValidatesAlgorithmAndType() throws {
        func resolve(_ a: String?, _ t: String?) -> String {
            do {
                let r = try MultipartChecksums.resolve(algorithm: a, type: t)
                return "\(r.algorithm?.rawValue ?? "-")/\(r.type?.rawValue ?? "-")"
            } catch let e as CoreError { return e.code } catch { return "\(error)" }
        }
        #expect(resolve(nil, nil) == "-/-")
        #expect(resolve("crc32", nil) == "CRC32/COMPOSITE")
        #expect(resolve("SHA256", nil) == "SHA256/COMPOSITE")
        #expect(resolve("CRC64NVME", nil) == "CRC64NVME/FULL_OBJECT")
        #expect(resolve("CRC32C", "FULL_OBJECT") == "CRC32C/FULL_OBJECT")
        #expect(resolve("CRC32", "composite") == "CRC32/COMPOSITE")
        #expect(resolve("SHA1", "FULL_OBJECT") == "InvalidRequest")
        #expect(resolve("SHA256", "FULL_OBJECT") == "InvalidRequest")
        #expect(resolve("CRC64NVME", "COMPOSITE") == "InvalidRequest")
        #expect(resolve(nil, "FULL_OBJECT") == "InvalidRequest")
        #expect(resolve("CRC32", "BOTH") == "InvalidRequest")
        #expect(resolve("MD4", nil) == "InvalidArgument")
    }

    // MARK: through Storage (SQLite + files)

    /// Uploads `parts` as 1...N, storing each part's checksum as the front end's pipeline does.
    func upload(_ s: Storage, _ u: UploadRecord, _ parts: [[UInt8]]) async throws -> [(partNumber: Int, etag: String)] {
        let alg = MultipartChecksums.partAlgorithm(u)!
        var out: [(partNumber: Int, etag: String)] = []
        for (i, p) in parts.enumerated() {
            let rec = try await s.uploadPart(bucket: "bkt", key: u.key, uploadID: u.uploadID, partNumber: i + 1,
                                             body: MD5Body(TestBody(bytes: p), atEnd: { [alg.rawValue: Base64.encode(alg.digest(p))] }))
            out.append((i + 1, rec.etag))
        }
        return out
    }

    func setup(_ kind: StoreKind) async throws -> Storage {
        var limits = LimitProfile.aws
        limits.minPartSize = 1
        let (s, _) = try await makeStorage(kind, limits: limits)
        try await s.createBucket("bkt", region: "us-east-1")
        return s
    }

    @Test(arguments: StoreKind.allCases) func compositeAndFullObjectThroughStorage(_ kind: StoreKind) async throws {
        let s = try await setup(kind)
        for (alg, type) in [(ChecksumAlgorithm.crc32, ChecksumType.fullObject), (.crc32c, .fullObject), (.crc64nvme, .fullObject),
                            (.crc32, .composite), (.crc32c, .composite), (.sha1, .composite), (.sha256, .composite)] {
            let key = "k-\(alg.rawValue)-\(type.rawValue)"
            let u = try await s.createMultipartUpload(bucket: "bkt", key: key, attributes: ObjectAttributes(),
                                                      checksumAlgorithm: alg.rawValue, checksumType: type.rawValue)
            let fetched = try await s.upload(bucket: "bkt", key: key, uploadID: u.uploadID)
            #expect(fetched.checksumAlgorithm == alg.rawValue && fetched.checksumType == type.rawValue)
            let listed = try await upload(s, u, Self.parts)
            let perPart = Dictionary(uniqueKeysWithValues: listed.map { ($0.partNumber, [alg.rawValue: Self.python[alg]!.parts[$0.partNumber - 1]]) })
            let rec = try await s.completeMultipartUpload(bucket: "bkt", key: key, uploadID: u.uploadID, parts: listed,
                                                          checksums: CompletionChecksums(parts: perPart, type: type.rawValue))
            let expected = type == .composite ? Self.python[alg]!.composite : Self.python[alg]!.full
            #expect(rec.attributes.checksums == [alg.rawValue: expected])
            #expect(rec.attributes.checksumType == type.rawValue)
            let o = try await s.openObject(bucket: "bkt", key: key)
            #expect(o.record.attributes == rec.attributes)
            #expect(o.segments.map(\.checksum) == Self.python[alg]!.parts)
        }
    }

    @Test(arguments: StoreKind.allCases) func noAlgorithmMeansFullObjectCRC64NVME(_ kind: StoreKind) async throws {
        let s = try await setup(kind)
        let u = try await s.createMultipartUpload(bucket: "bkt", key: "d", attributes: ObjectAttributes())
        #expect(u.checksumAlgorithm == nil && MultipartChecksums.partAlgorithm(u) == .crc64nvme)
        let listed = try await upload(s, u, Self.parts)
        let rec = try await s.completeMultipartUpload(bucket: "bkt", key: "d", uploadID: u.uploadID, parts: listed)
        #expect(rec.attributes.checksums == ["CRC64NVME": Self.python[.crc64nvme]!.full])
        #expect(rec.attributes.checksumType == "FULL_OBJECT")
    }

    @Test(arguments: StoreKind.allCases) func completionChecks(_ kind: StoreKind) async throws {
        let s = try await setup(kind)
        func code(_ alg: ChecksumAlgorithm, _ type: ChecksumType, _ checksums: (inout CompletionChecksums) -> Void) async throws -> String {
            let key = "c-" + UUID().uuidString
            let u = try await s.createMultipartUpload(bucket: "bkt", key: key, attributes: ObjectAttributes(),
                                                      checksumAlgorithm: alg.rawValue, checksumType: type.rawValue)
            let listed = try await upload(s, u, Self.parts)
            var c = CompletionChecksums(parts: Dictionary(uniqueKeysWithValues: listed.map {
                ($0.partNumber, [alg.rawValue: Self.python[alg]!.parts[$0.partNumber - 1]])
            }))
            checksums(&c)
            do {
                _ = try await s.completeMultipartUpload(bucket: "bkt", key: key, uploadID: u.uploadID, parts: listed, checksums: c)
                return "ok"
            } catch let e as CoreError { return e.code }
        }
        #expect(try await code(.sha256, .composite) { _ in } == "ok")
        #expect(try await code(.sha256, .composite) { $0.parts[2] = ["SHA256": Self.python[.sha256]!.parts[0]] } == "InvalidPart")
        #expect(try await code(.crc32, .fullObject) { $0.parts[1] = ["CRC32C": Self.python[.crc32c]!.parts[0]] } == "InvalidPart")
        // COMPOSITE needs every part's checksum in the request; FULL_OBJECT does not.
        #expect(try await code(.sha256, .composite) { $0.parts[3] = nil } == "InvalidRequest")
        #expect(try await code(.crc32, .fullObject) { $0.parts = [:] } == "ok")
        #expect(try await code(.crc32, .fullObject) { $0.type = "COMPOSITE" } == "InvalidRequest")
        // The whole object's checksum, when sent, is verified.
        #expect(try await code(.crc32c, .fullObject) { $0.object = (.crc32c, Self.python[.crc32c]!.full) } == "ok")
        #expect(try await code(.crc32c, .fullObject) { $0.object = (.crc32c, Self.python[.crc32]!.full) } == "BadDigest")
        #expect(try await code(.crc32c, .fullObject) { $0.object = (.crc32, Self.python[.crc32]!.full) } == "InvalidRequest")
        #expect(try await code(.crc32, .composite) { $0.object = (.crc32, Self.python[.crc32]!.composite) } == "ok")
        #expect(try await code(.crc32, .fullObject) { $0.objectSize = 1046 } == "ok")
        #expect(try await code(.crc32, .fullObject) { $0.objectSize = 1045 } == "InvalidRequest")
    }

    @Test func partAlgorithmMustMatchTheUpload() throws {
        let u = UploadRecord(uploadID: "u", bucket: "b", key: "k", initiated: Date(), attributes: ObjectAttributes(),
                             checksumAlgorithm: "SHA256", checksumType: "COMPOSITE")
        #expect(throws: CoreError.self) { try MultipartChecksums.checkPartAlgorithm(u, declared: .crc32) }
        try MultipartChecksums.checkPartAlgorithm(u, declared: .sha256)
        try MultipartChecksums.checkPartAlgorithm(u, declared: nil)
        var none = u
        none.checksumAlgorithm = nil
        none.checksumType = nil
        try MultipartChecksums.checkPartAlgorithm(none, declared: .crc32)
    }

    @Test(arguments: StoreKind.allCases) func uploadPartCopyGetsTheUploadsChecksum(_ kind: StoreKind) async throws {
        let s = try await setup(kind)
        let data = randomBytes(5000)
        _ = try await s.putObject(bucket: "bkt", key: "src", attributes: ObjectAttributes(), plainBody: TestBody(bytes: data))
        let u = try await s.createMultipartUpload(bucket: "bkt", key: "dst", attributes: ObjectAttributes(), checksumAlgorithm: "CRC32C")
        let src = try await s.openObject(bucket: "bkt", key: "src")
        let p = try await s.uploadPartCopy(bucket: "bkt", key: "dst", uploadID: u.uploadID, partNumber: 1, source: src, range: 100...2099)
        #expect(p.checksums == ["CRC32C": Base64.encode(ChecksumAlgorithm.crc32c.digest(data[100...2099]))])
    }

    /// A database made before checksum_type / segments.checksum existed opens, and gains the columns.
    @Test func oldDatabaseIsMigrated() async throws {
        let dir = NSTemporaryDirectory() + "tessera-mig-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/metadata.sqlite"
        var db: OpaquePointer?
        #expect(sqlite3_open(path, &db) == SQLITE_OK)
        let old = """
        CREATE TABLE buckets(name TEXT PRIMARY KEY, created REAL NOT NULL, region TEXT NOT NULL);
        CREATE TABLE segments(version INTEGER NOT NULL, offset INTEGER NOT NULL, size INTEGER NOT NULL, blob TEXT NOT NULL,
            part_number INTEGER, PRIMARY KEY(version, offset)) WITHOUT ROWID;
        CREATE TABLE uploads(upload_id TEXT PRIMARY KEY, bucket TEXT NOT NULL, key BLOB NOT NULL, initiated REAL NOT NULL,
            attrs TEXT NOT NULL, checksum_algorithm TEXT);
        INSERT INTO buckets VALUES('bkt', 0, 'us-east-1');
        INSERT INTO uploads VALUES('0000000000000001aa', 'bkt', CAST('k' AS BLOB), 1, '{"userMetadata":{},"checksums":{}}', 'SHA256');
        """
        #expect(sqlite3_exec(db, old, nil, nil, nil) == SQLITE_OK)
        sqlite3_close(db)
        let store = try await SQLiteMetadataStore.open(path: path, durable: false, pool: testPool)
        let u = try #require(try await store.upload(id: "0000000000000001aa"))
        #expect(u.checksumAlgorithm == "SHA256" && u.checksumType == nil)
        #expect(MultipartChecksums.objectType(u) == .composite)
        _ = try await SQLiteMetadataStore.open(path: path, durable: false, pool: testPool)   // a second open finds the columns present
    }
}
