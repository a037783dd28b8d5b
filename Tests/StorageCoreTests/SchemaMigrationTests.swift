import Foundation
@testable import SQLiteMetadata
import StorageCore
import Testing

/// Databases written by earlier versions open unchanged in meaning.
@Suite struct SchemaMigrationTests {
    func indexSQL(_ path: String) throws -> String {
        let c = try SQLiteConnection(path: path, readOnly: true)
        var sql = ""
        try c.query("SELECT sql FROM sqlite_master WHERE type='index' AND name='segments_by_blob'") { sql = $0.text(0) }
        return sql
    }

    @Test func theFullBlobIndexBecomesPartialAndBlobsStillCount() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mig-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/metadata.sqlite"
        do {
            _ = try await SQLiteMetadataStore.open(path: path, durable: false, pool: testPool)
            // As a database from before the change had it.
            let c = try SQLiteConnection(path: path, readOnly: false)
            try c.exec("DROP INDEX segments_by_blob; CREATE INDEX segments_by_blob ON segments(blob); PRAGMA user_version = 0")
            try c.exec("INSERT INTO segments(version, offset, size, blob) VALUES(7, 0, 10, 'blob-a'), (8, 0, 10, '')")
        }
        #expect(try !indexSQL(path).contains("WHERE"))
        let store = try await SQLiteMetadataStore.open(path: path, durable: false, pool: testPool)
        #expect(try indexSQL(path).contains("WHERE blob != ''"))
        #expect(try await store.references(blob: "blob-a"))
        #expect(try await !store.references(blob: "blob-b"))
        // Reopening leaves the new index alone.
        _ = try await SQLiteMetadataStore.open(path: path, durable: false, pool: testPool)
        #expect(try indexSQL(path).contains("WHERE blob != ''"))
    }

    func temporaryDatabase() throws -> (dir: String, path: String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mig-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return (dir, dir + "/metadata.sqlite")
    }

    func userVersion(_ path: String) throws -> Int64 {
        let c = try SQLiteConnection(path: path, readOnly: true)
        var v: Int64 = -1
        try c.query("PRAGMA user_version") { v = $0.int(0) }
        return v
    }

    @Test func aNewDatabaseGetsTheCurrentVersion() async throws {
        let (dir, path) = try temporaryDatabase()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try await SQLiteMetadataStore.open(path: path, durable: false, pool: testPool)
        #expect(SQLiteMetadataStore.schemaVersion >= 1)
        #expect(try userVersion(path) == Int64(SQLiteMetadataStore.schemaVersion))
        // Opening again changes nothing.
        _ = try await SQLiteMetadataStore.open(path: path, durable: false, pool: testPool)
        #expect(try userVersion(path) == Int64(SQLiteMetadataStore.schemaVersion))
    }

    /// A database as the binaries before the numbered schema wrote it at first: user_version 0, no
    /// uploads.checksum_type, no segments.checksum or data, the full blob index.
    @Test func aVersionZeroDatabaseIsUpgradedInPlaceAndKeepsItsRows() async throws {
        let (dir, path) = try temporaryDatabase()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let key: [UInt8] = Array("caf\u{65}\u{301}/\u{00E9}".utf8)   // NFD then NFC: distinct bytes
        do {
            let c = try SQLiteConnection(path: path, readOnly: false)
            try c.exec("""
                CREATE TABLE buckets(name TEXT PRIMARY KEY, created REAL NOT NULL, region TEXT NOT NULL);
                CREATE TABLE bucket_config(bucket TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY(bucket, name));
                CREATE TABLE objects(bucket TEXT NOT NULL, key BLOB NOT NULL, version INTEGER NOT NULL, size INTEGER NOT NULL,
                    etag TEXT NOT NULL, mtime REAL NOT NULL, attrs TEXT NOT NULL, parts_count INTEGER, storage_class TEXT,
                    PRIMARY KEY(bucket, key)) WITHOUT ROWID;
                CREATE TABLE segments(version INTEGER NOT NULL, offset INTEGER NOT NULL, size INTEGER NOT NULL, blob TEXT NOT NULL,
                    part_number INTEGER, PRIMARY KEY(version, offset)) WITHOUT ROWID;
                CREATE INDEX segments_by_blob ON segments(blob);
                CREATE TABLE uploads(upload_id TEXT PRIMARY KEY, bucket TEXT NOT NULL, key BLOB NOT NULL, initiated REAL NOT NULL,
                    attrs TEXT NOT NULL, checksum_algorithm TEXT);
                CREATE TABLE parts(upload_id TEXT NOT NULL, part_number INTEGER NOT NULL, blob TEXT NOT NULL, size INTEGER NOT NULL,
                    etag TEXT NOT NULL, mtime REAL NOT NULL, checksums TEXT, PRIMARY KEY(upload_id, part_number)) WITHOUT ROWID;
                CREATE TABLE garbage(blob TEXT PRIMARY KEY, version INTEGER NOT NULL) WITHOUT ROWID;
                INSERT INTO buckets VALUES('old', 1000.5, 'us-east-1');
                INSERT INTO bucket_config VALUES('old', 'lifecycle', '<LifecycleConfiguration/>');
                INSERT INTO segments VALUES(7, 0, 11, 'blob-7', NULL);
                INSERT INTO uploads VALUES('up-1', 'old', X'6B', 2000.25, '{"userMetadata":{},"checksums":{}}', 'CRC32');
                INSERT INTO parts VALUES('up-1', 1, 'blob-p1', 5, '"etag-p1"', 2001, NULL);
                INSERT INTO garbage VALUES('blob-g', 3);
                """)
            try c.query("INSERT INTO objects VALUES('old', ?, 7, 11, '\"e7\"', 1500.75, '{\"userMetadata\":{\"a\":\"b\"},\"checksums\":{}}', NULL, NULL)",
                        [.blob(key)])
            #expect(try SQLiteSchema.version(c) == 0)
        }
        let store = try await SQLiteMetadataStore.open(path: path, durable: false, pool: testPool)
        #expect(try userVersion(path) == Int64(SQLiteMetadataStore.schemaVersion))
        #expect(try indexSQL(path).contains("WHERE blob != ''"))
        let object = try #require(try await store.object(bucket: "old", key: String(decoding: key, as: UTF8.self)))
        #expect(Array(object.key.utf8) == key)
        #expect(object.version == 7 && object.size == 11 && object.etag == "\"e7\"" && object.attributes.userMetadata == ["a": "b"])
        let segments = try await store.segments(version: 7)
        #expect(segments.count == 1 && segments[0].blob == "blob-7" && segments[0].inline == nil && segments[0].checksum == nil)
        let upload = try #require(try await store.upload(id: "up-1"))
        #expect(upload.checksumAlgorithm == "CRC32" && upload.checksumType == nil && upload.initiated.timeIntervalSince1970 == 2000.25)
        #expect(try await store.parts(uploadID: "up-1", afterPartNumber: 0, limit: 10).map(\.blob) == ["blob-p1"])
        #expect(try await store.bucketConfig(bucket: "old", name: "lifecycle") == "<LifecycleConfiguration/>")
        #expect(try await store.garbage(limit: 10).map(\.blob) == ["blob-g"])
        // The new columns are written and read back.
        _ = try await store.putObject(ObjectRecord(bucket: "old", key: "small", version: 9, size: 3, etag: "\"s\"", lastModified: Date(),
                                                   attributes: ObjectAttributes(), partsCount: nil),
                                      segments: [Segment(blob: "", size: 3, offset: 0, checksum: "c", inline: [1, 2, 3])])
        #expect(try await store.segments(version: 9).first?.inline == [1, 2, 3])
    }

    /// A version-3 database (completed_uploads without version_id): its completions read back with no version ID.
    @Test func aVersionThreeCompletionReadsWithoutAVersionID() async throws {
        let (dir, path) = try temporaryDatabase()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            let c = try SQLiteConnection(path: path, readOnly: false)
            for migration in SQLiteSchema.migrations.prefix(3) { try migration(c) }
            try c.exec("""
                PRAGMA user_version = 3;
                INSERT INTO completed_uploads(upload_id, bucket, key, part_list_digest, etag, checksums, checksum_type, completed)
                VALUES('up-3', 'b', X'6B', 'digest', 'etag-2', NULL, NULL, 1234.5);
                """)
            var columns: [String] = []
            try c.query("SELECT name FROM pragma_table_info('completed_uploads')") { columns.append($0.text(0)) }
            #expect(!columns.contains("version_id"))
        }
        let store = try await SQLiteMetadataStore.open(path: path, durable: false, pool: testPool)
        #expect(try userVersion(path) == Int64(SQLiteMetadataStore.schemaVersion))
        let done = try #require(try await store.completedUpload(id: "up-3"))
        #expect(done.etag == "etag-2" && done.versionID == nil && done.completed.timeIntervalSince1970 == 1234.5)
    }

    @Test func aNewerDatabaseIsRefusedAndLeftAsItIs() async throws {
        let (dir, path) = try temporaryDatabase()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let newer = SQLiteMetadataStore.schemaVersion + 1
        do {   // as a newer binary might leave it: today's tables, a larger version
            let c = try SQLiteConnection(path: path, readOnly: false)
            try c.exec(SQLiteSchema.version1Tables + "INSERT INTO buckets VALUES('b', 1, 'r'); PRAGMA user_version = \(newer)")
        }
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let siblings = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        let error = await #expect(throws: SQLiteMetadataError.self) {
            _ = try await SQLiteMetadataStore.open(path: path, durable: false, pool: testPool)
        }
        #expect(error == .schemaTooNew(path: path, database: newer, binary: SQLiteMetadataStore.schemaVersion))
        #expect("\(error!)".contains("the SQLite metadata schema is version \(newer), newer than this binary's \(SQLiteMetadataStore.schemaVersion): upgrade tessera"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == siblings)
        #expect(try userVersion(path) == Int64(newer))
    }
}
