import Foundation
import Testing
@testable import PostgresMetadata
import SQLiteMetadata
@testable import StorageCore

/// The task API's store, the same behaviour pinned for SQLite and PostgreSQL: tasks and files round-trip,
/// replace, delete; files are found by either digest and by expiry, in order; a damaged record is refused.
@Suite struct TaskStoreTests {
    func task(_ id: String, chunks: Int = 3) -> UploadTask {
        UploadTask(id: id, uploadID: "u-" + id, bucket: "tasks", key: "files/" + id, fileID: "f-" + id, hash: "h", fileName: "a b.bin",
                   fileSize: 10, contentType: "x/y", poolID: nil, bundleID: "bundle", expiredAt: nil, chunkSize: 5, chunksCount: chunks,
                   created: Date(timeIntervalSince1970: 1_700_000_000.25), encryption: FileEncryption(salt: "c2FsdA==", verifier: "dg==", rounds: 7),
                   pendingKey: "k")
    }

    func file(_ id: String, md5: String, sha256: String, expires: Date?) -> StoredFile {
        StoredFile(id: id, bucket: "tasks", key: "files/" + id, name: "n-" + id, size: 12, hash: md5, md5: md5, sha256: sha256, mimeType: nil,
                   poolID: "p", bundleID: nil, expiredAt: nil, expiresAt: expires, createdAt: Date(timeIntervalSince1970: 1_700_000_000),
                   chunkSize: 4, encryption: nil)
    }

    @Test(arguments: StoreKind.allCases) func tasksRoundTripReplaceAndDelete(_ kind: StoreKind) async throws {
        let (s, _) = try await makeStoreWithSQL(kind)
        #expect(try await s.task(id: "t1") == nil)
        try await s.putTask(task("t1"))
        try await s.putTask(task("t2"))
        #expect(try await s.task(id: "t1") == task("t1"))
        try await s.putTask(task("t1", chunks: 9))
        #expect(try await s.task(id: "t1")?.chunksCount == 9)
        try await s.deleteTask(id: "t1")
        #expect(try await s.task(id: "t1") == nil)
        #expect(try await s.task(id: "t2") == task("t2"))
        try await s.deleteTask(id: "t1")   // deleting what is gone is no error (two sweepers, one file)
    }

    @Test(arguments: StoreKind.allCases) func filesByDigestAndByExpiry(_ kind: StoreKind) async throws {
        let (s, _) = try await makeStoreWithSQL(kind)
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        try await s.putFile(file("b", md5: "m1", sha256: "s1", expires: now.addingTimeInterval(-10)))
        try await s.putFile(file("a", md5: "m1", sha256: "s2", expires: now.addingTimeInterval(-20)))
        try await s.putFile(file("c", md5: "m3", sha256: "m1x", expires: nil))
        try await s.putFile(file("d", md5: "m4", sha256: "s4", expires: now.addingTimeInterval(60)))
        #expect(try await s.files(hash: "m1").map(\.id) == ["a", "b"])
        #expect(try await s.files(hash: "s2").map(\.id) == ["a"])
        #expect(try await s.files(hash: "m1x").map(\.id) == ["c"])
        #expect(try await s.files(hash: "nothing").isEmpty)
        #expect(try await s.files(expiringBefore: now, limit: 10).map(\.id) == ["a", "b"])
        #expect(try await s.files(expiringBefore: now, limit: 1).map(\.id) == ["a"])
        #expect(try await s.file(id: "d") == file("d", md5: "m4", sha256: "s4", expires: now.addingTimeInterval(60)))
        // A replaced file is found by its new digests and expiry only.
        try await s.putFile(file("b", md5: "m9", sha256: "s9", expires: nil))
        #expect(try await s.files(hash: "m1").map(\.id) == ["a"])
        #expect(try await s.files(hash: "m9").map(\.id) == ["b"])
        #expect(try await s.files(expiringBefore: now, limit: 10).map(\.id) == ["a"])
        try await s.deleteFile(id: "a")
        #expect(try await s.file(id: "a") == nil)
        #expect(try await s.files(expiringBefore: now, limit: 10).isEmpty)
    }

    @Test(arguments: StoreKind.allCases) func damagedRecordsAreRefusedNotReadAsMissing(_ kind: StoreKind) async throws {
        let (s, execute) = try await makeStoreWithSQL(kind)
        try await s.putTask(task("t1"))
        try await s.putFile(file("f1", md5: "m", sha256: "s", expires: Date(timeIntervalSince1970: 1)))
        try await execute("UPDATE upload_tasks SET record = '{\"id\": 5}'")
        try await execute("UPDATE files SET record = 'not json'")
        await #expect(throws: CoreError.self) { _ = try await s.task(id: "t1") }
        await #expect(throws: CoreError.self) { _ = try await s.file(id: "f1") }
        await #expect(throws: CoreError.self) { _ = try await s.files(hash: "m") }
        await #expect(throws: CoreError.self) { _ = try await s.files(expiringBefore: Date(), limit: 5) }
        #expect(try await s.task(id: "other") == nil)   // a row that is not there is still just missing
    }

    /// A database that the previous release migrated (schema 1, before the task tables) gains them at
    /// open and keeps its rows.
    @Test func postgresSchemaOneIsMigratedToTheTaskTables() async throws {
        let location = try await TestPostgres.freshDatabase()
        try await TestPostgres.execute(location, "CREATE TABLE tessera_schema(version integer NOT NULL)")
        for statement in PostgresSchema.migrations[0] { try await TestPostgres.execute(location, statement) }
        try await TestPostgres.execute(location, "INSERT INTO tessera_schema VALUES (1)")
        try await TestPostgres.execute(location, "INSERT INTO buckets VALUES ('kept', 1, 'us-east-1')")
        let store = try await PostgresMetadataStore.open(location: location, poolSize: 2, timeout: TestPostgres.bound, logger: TestPostgres.logger)
        #expect(try await store.schemaVersion() == PostgresSchema.current)   // the task tables (2) and what came after
        #expect(try await store.bucket(named: "kept") != nil)
        try await store.putTask(task("t"))
        #expect(try await store.task(id: "t") == task("t"))
    }
}
