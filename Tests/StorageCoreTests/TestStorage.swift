import CSQLite
import FileBlobs
import Foundation
import Logging
import NIOCore
import PostgresMetadata
import SQLiteMetadata
import Testing
@testable import StorageCore

/// The tests' blocking pool, as the daemon has one: every store made here runs its blocking work on it.
let testPool = BlockingPool()

/// The metadata stores the behavioural suites run over.
enum StoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgres
    var testDescription: String { rawValue }
}

/// A Storage over a fresh temporary directory (files, fsync off for speed) and fresh metadata: a SQLite
/// database in that directory, or a new database on the tests' PostgreSQL (see `TestPostgres`).
func makeStorage(_ kind: StoreKind = .sqlite, limits: LimitProfile = .aws, durable: Bool = false,
                 pool: BlockingPool = testPool) async throws -> (Storage, String) {
    let dir = NSTemporaryDirectory() + "tessera-test-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let metadata: any MetadataStore
    switch kind {
    case .sqlite: metadata = try await SQLiteMetadataStore.open(path: dir + "/metadata.sqlite", durable: durable, pool: pool)
    case .postgres: metadata = try await TestPostgres.freshStore().0
    }
    let blobs = try await FileBlobStore.open(root: dir, durable: durable, pool: pool)
    return (Storage(metadata: metadata, blobs: blobs, limits: limits, logger: Logger(label: "test")), dir)
}

/// A body of `bytes`, delivered in chunks of `chunk` bytes.
struct TestBody: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let bytes: [UInt8]
    var chunk = 7919
    func makeAsyncIterator() -> AsyncStream<ByteBuffer>.Iterator {
        let (stream, cont) = AsyncStream<ByteBuffer>.makeStream()
        var i = 0
        while i < bytes.count {
            cont.yield(ByteBuffer(bytes: bytes[i..<Swift.min(i + chunk, bytes.count)]))
            i += chunk
        }
        cont.finish()
        return stream.makeAsyncIterator()
    }
}

func randomBytes(_ n: Int) -> [UInt8] {
    var g = SystemRandomNumberGenerator()
    return (0..<n).map { _ in UInt8.random(in: 0...255, using: &g) }
}

func readAll(_ o: OpenObject, range: ClosedRange<Int64>? = nil, chunkSize: Int = 1 << 20) async throws -> [UInt8] {
    var out: [UInt8] = []
    for try await b in o.chunks(range: range, chunkSize: chunkSize) { out += b.readableBytesView }
    return out
}

func blobFileCount(_ dir: String) -> Int {
    let e = FileManager.default.enumerator(atPath: dir + "/blobs")
    var n = 0
    while let p = e?.nextObject() as? String { if (p as NSString).lastPathComponent.count == 32 { n += 1 } }
    return n
}

/// A fresh metadata store of `kind` and a way to run raw SQL against its database (tests that damage rows).
func makeStoreWithSQL(_ kind: StoreKind) async throws -> (any MetadataStore & TaskStore, (String) async throws -> Void) {
    switch kind {
    case .sqlite:
        let dir = NSTemporaryDirectory() + "tessera-sql-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/metadata.sqlite"
        let store = try await SQLiteMetadataStore.open(path: path, durable: false, pool: testPool)
        return (store, { sql in
            var db: OpaquePointer?
            guard sqlite3_open(path, &db) == SQLITE_OK else { throw CoreError.internalError("open \(path)") }
            defer { sqlite3_close(db) }
            guard sqlite3_exec(db, sql, nil, nil, nil) == SQLITE_OK else { throw CoreError.internalError("exec \(sql)") }
        })
    case .postgres:
        let (store, location) = try await TestPostgres.freshStore()
        return (store, { sql in try await TestPostgres.execute(location, sql) })
    }
}
