import FileBlobs
import Foundation
import Logging
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
    }

    public static func open(dataDir: String, logger: Logger = Logger(label: "tessera")) throws -> Opened {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dataDir, isDirectory: &isDir), isDir.boolValue else {
            throw ConfigError("no data directory at \(dataDir)")
        }
        let db = dataDir + "/metadata.sqlite"
        guard FileManager.default.fileExists(atPath: db) else {
            throw ConfigError("\(dataDir) holds no Tessera instance (no metadata.sqlite); give --data-dir")
        }
        let metadata = try SQLiteMetadataStore(path: db, durable: true)
        let blobs = try FileBlobStore(root: dataDir, durable: true)
        return Opened(storage: Storage(metadata: metadata, blobs: blobs, logger: logger), metadata: metadata, blobs: blobs)
    }

    /// Deletes blobs of parts that were aborted or replaced (garbage of version 0). Parts are never
    /// read, so this is safe beside a running daemon; object garbage is left to the daemon, which
    /// knows which versions are being read. Returns how many were deleted.
    @discardableResult
    public static func collectPartGarbage(_ opened: Opened) throws -> Int {
        var deleted = 0
        while true {
            let batch = try opened.metadata.partGarbage(limit: 1000)
            if batch.isEmpty { return deleted }
            for blob in batch { try opened.blobs.delete(blob) }
            try opened.metadata.forgetGarbage(batch)
            deleted += batch.count
        }
    }
}
