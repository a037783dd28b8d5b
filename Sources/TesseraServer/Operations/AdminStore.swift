import FileBlobs
import Foundation
import Logging
import PostgresMetadata
import SQLiteMetadata
import StorageCore

/// Opens an existing instance's stores for the admin commands (`tessera buckets|uploads|fsck`),
/// whether or not a daemon is running on it: SQLite in WAL mode lets both read, and writes take
/// turns (busy timeout); nothing here deletes a blob a running daemon might still be writing or reading.
public enum AdminStore {
    public struct Opened: Sendable {
        public var storage: Storage
        public var metadata: any MetadataStore & MetadataInventory
        public var blobs: any BlobStore & BlobInventory
        /// Runs the stores' blocking work; `close` stops it.
        public var pool: BlockingPool

        public func close() async {
            await (metadata as? PostgresMetadataStore)?.close()
            try? await pool.shutdown()
        }
    }

    /// Opens the stores with a pool of their own; `Opened.close` when done. With `metadataURL` the metadata
    /// is that PostgreSQL database's and `dataDir` the (shared) blob directory.
    public static func open(dataDir: String, metadataURL: String? = nil, logger: Logger = Logger(label: "tessera")) async throws -> Opened {
        let db = dataDir + "/metadata.sqlite"
        let location = try metadataURL.map { url in
            do { return try PostgresLocation(url: url) } catch { throw ConfigError("--metadata-url: \(error)") }  // without the URL: it may hold a password
        }
        let pool = BlockingPool()
        do {
            try await pool.run {
                var isDir: ObjCBool = false
                guard FileManager.default.fileExists(atPath: dataDir, isDirectory: &isDir), isDir.boolValue else {
                    throw ConfigError("no data directory at \(dataDir)")
                }
                guard location != nil || FileManager.default.fileExists(atPath: db) else {
                    throw ConfigError("\(dataDir) holds no Tessera instance (no metadata.sqlite); give --data-dir (and --metadata-url for PostgreSQL)")
                }
            }
            let metadata: any MetadataStore & MetadataInventory
            if let location {
                metadata = try await Daemon.openPostgres(location, poolSize: 2, logger: logger)
            } else {
                metadata = try await SQLiteMetadataStore.open(path: db, durable: true, pool: pool)
            }
            let blobs = try await FileBlobStore.open(root: dataDir, durable: true, pool: pool)
            return Opened(storage: Storage(metadata: metadata, blobs: blobs, logger: logger), metadata: metadata, blobs: blobs, pool: pool)
        } catch {
            try? await pool.shutdown()
            throw error
        }
    }

    /// Deletes blobs of parts that were aborted or replaced (garbage of version 0). Parts are never
    /// read, so this is safe beside a running daemon; object garbage is left to the daemon, which
    /// knows which versions are being read. Returns how many were deleted.
    @discardableResult
    public static func collectPartGarbage(_ opened: Opened) async throws -> Int {
        var deleted = 0
        while true {
            let batch = try await opened.metadata.partGarbage(limit: 1000)
            if batch.isEmpty { return deleted }
            try await opened.blobs.delete(batch)
            try await opened.metadata.forgetGarbage(batch)
            deleted += batch.count
        }
    }
}
