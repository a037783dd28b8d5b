import FileBlobs
import Foundation
import Logging
import PostgresNIO
import Testing
@testable import PostgresMetadata
@testable import StorageCore

/// The PostgreSQL store when the database does not answer: every call ends within its bound with
/// 503 ServiceUnavailable (never a hang, never a 500), and a write that did not commit leaves no
/// object and no blob. (Tests/integration/test_cluster_outage.py stops a real server under load.)
@Suite(.timeLimit(.minutes(1))) struct PostgresOutageTests {
    static let bound: Duration = .seconds(1)

    /// A pool pointed at `port`, each call bounded by `bound`.
    func boundedClient(port: Int) async -> BoundedPostgresClient {
        var config = PostgresClient.Configuration(host: "127.0.0.1", port: port, username: "postgres", password: "pw-never-shown",
                                                  database: "postgres", tls: .disable)
        config.options.maximumConnections = 2
        return await BoundedPostgresClient.start(configuration: config, timeout: Self.bound, probe: {
            throw CoreError.metadataUnavailable()   // the probe never gets through here
        }, logger: TestPostgres.logger)
    }

    /// Runs `call`, which must fail with ServiceUnavailable within the bound of each of its `calls` to the
    /// database (plus slack: the suites load the machine); returns its error.
    func expectUnavailable(_ what: String, calls: Int = 1, _ call: () async throws -> Void) async -> CoreError? {
        let started = ContinuousClock.now
        var caught: (any Error)?
        do { try await call() } catch { caught = error }
        let elapsed = started.duration(to: .now)
        // The slack is for a machine busy with the rest of the suite (a run in parallel with it took 8 s);
        // unbounded, these calls would wait for postgres-nio's circuit breaker: 60 s.
        #expect(elapsed < Self.bound * calls + .seconds(10), "\(what) took \(elapsed)")
        let core = caught as? CoreError
        #expect(core?.code == "ServiceUnavailable", "\(what) threw \(String(describing: caught))")
        #expect(core.map { !"\($0)".contains("pw-never-shown") } ?? true)
        return core
    }

    @Test func aHostThatAcceptsAndNeverAnswersGetsServiceUnavailableInTime() async throws {
        let silent = SilentListener()
        let client = await boundedClient(port: silent.port)
        defer { client.close() }
        _ = await expectUnavailable("a read") { _ = try await client.rows("SELECT 1") }
        let e = await expectUnavailable("a transaction") { try await client.transaction { c in _ = try await c.query("SELECT 1") } }
        #expect(e?.outcomeUnknown == false)   // its COMMIT was never sent
        // Calls queue for the pool's two connections: each is still bounded.
        await withTaskGroup(of: Void.self) { group in
            for i in 0..<6 {
                group.addTask { _ = await expectUnavailable("concurrent read \(i)") { _ = try await client.rows("SELECT 1") } }
            }
        }
    }

    @Test func aPortWhereNothingListensGetsServiceUnavailableInTime() async throws {
        let port: Int = {
            let l = SilentListener()
            return l.port   // closed when `l` goes: connections are refused
        }()
        let client = await boundedClient(port: port)
        defer { client.close() }
        _ = await expectUnavailable("a read") { _ = try await client.rows("SELECT 1") }
        _ = await expectUnavailable("a transaction") { try await client.transaction { _ in } }
    }

    /// A store whose calls wait on a lock held elsewhere stands for a database that stopped answering
    /// mid-transaction: the PUT and the UploadPart get 503 within the bound, their transactions never
    /// commit (not even once the lock is released), and the blobs their bodies went to are deleted.
    @Test func aWriteThatTimesOutBeforeItsCommitLeavesNoObjectAndNoBlob() async throws {
        // Set up and checked through a store with the default bound (the suites load the server), timed through one of 1 s.
        let (setupStore, location) = try await TestPostgres.freshStore()
        let store = try await PostgresMetadataStore.open(location: location, poolSize: 2, timeout: Self.bound, logger: TestPostgres.logger)
        defer { Task { await store.close(); await setupStore.close() } }
        let dir = NSTemporaryDirectory() + "tessera-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let blobs = try await FileBlobStore.open(root: dir, durable: false, pool: testPool)
        let setup = Storage(metadata: setupStore, blobs: blobs, logger: Logger(label: "test"))
        let storage = Storage(metadata: store, blobs: blobs, logger: Logger(label: "test"))
        try await setup.createBucket("outage", region: "us-east-1")
        let upload = try await setup.createMultipartUpload(bucket: "outage", key: "mp", attributes: ObjectAttributes())

        let holder = try await PostgresConnection.connect(
            configuration: .init(host: location.host, port: location.port, username: location.username, password: location.password,
                                 database: location.database, tls: .disable), id: 9, logger: TestPostgres.logger)
        try await holder.query("BEGIN", logger: TestPostgres.logger)
        // Writes into the bucket take its row FOR KEY SHARE, parts take their upload's FOR SHARE: both wait.
        try await holder.query("SELECT 1 FROM buckets WHERE name = 'outage' FOR UPDATE", logger: TestPostgres.logger)
        try await holder.query("SELECT 1 FROM uploads WHERE upload_id = \(upload.uploadID) FOR UPDATE", logger: TestPostgres.logger)

        let body = randomBytes(300_000)   // a blob, not inline
        let put = await expectUnavailable("PutObject", calls: 3) {   // the bucket, the version, the commit
            _ = try await storage.putObject(bucket: "outage", key: "k", attributes: ObjectAttributes(), plainBody: TestBody(bytes: body))
        }
        #expect(put?.outcomeUnknown == false)
        _ = await expectUnavailable("UploadPart", calls: 2) {   // the upload, the commit
            _ = try await storage.uploadPart(bucket: "outage", key: "mp", uploadID: upload.uploadID, partNumber: 1, plainBody: TestBody(bytes: body))
        }
        #expect(blobFileCount(dir) == 0)

        try await holder.query("ROLLBACK", logger: TestPostgres.logger)
        try await holder.close()
        // The abandoned transactions now get their locks: they must still not commit.
        try await Task.sleep(for: .milliseconds(500))
        await #expect(throws: CoreError.noSuchKey("k")) { _ = try await setup.headObject(bucket: "outage", key: "k") }
        #expect(try await setup.listParts(bucket: "outage", key: "mp", uploadID: upload.uploadID, after: 0, maxParts: 10).parts.isEmpty)
        #expect(blobFileCount(dir) == 0)
        // And the bounded store serves again (its closed connections replaced).
        var served = false
        for _ in 0..<10 where !served {
            served = (try? await store.schemaVersion()) != nil
            if !served { try await Task.sleep(for: .milliseconds(500)) }
        }
        #expect(served)
    }

    /// A commit whose answer was lost may have gone through: its blob stays (for the unreferenced-blob
    /// sweep); one that certainly failed loses its blob at once.
    @Test func aFailedCommitDeletesItsBlobUnlessItsOutcomeIsUnknown() async throws {
        let (storage, dir) = try await makeStorage()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var blobs: [BlobID] = []
        for _ in 0..<2 {
            let w = try await storage.blobs.makeWriter()
            try await w.write(ByteBuffer(bytes: randomBytes(1000)))
            blobs.append(try await w.commit())
        }
        #expect(blobFileCount(dir) == 2)
        await storage.discardUncommitted([blobs[0]], after: CoreError.metadataUnavailable(outcomeUnknown: true))
        #expect(blobFileCount(dir) == 2)
        await storage.discardUncommitted([blobs[0]], after: CoreError.metadataUnavailable())
        #expect(blobFileCount(dir) == 1)
        await storage.discardUncommitted([blobs[1]], after: CoreError.noSuchBucket("b"))
        #expect(blobFileCount(dir) == 0)
    }
}
