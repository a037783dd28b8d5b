import Foundation

/// What operators (metrics, health checks, `tessera fsck`, the admin commands) need to see of the
/// metadata beyond what the S3 front end uses. Kept apart from `MetadataStore` so the request path's
/// protocol stays small; the SQLite store conforms. Async like `MetadataStore`: the health checks and
/// metrics call it from request handlers.
public protocol MetadataInventory: Sendable {
    /// A trivial query: throws when the store does not answer.
    func ping() async throws
    func counts() async throws -> MetadataCounts
    /// Objects, uploads and bytes of one bucket.
    func usage(bucket: String) async throws -> BucketUsage
    /// Parts of one upload: how many and their total size.
    func partUsage(uploadID: String) async throws -> (count: Int, bytes: Int64)
    /// The blobs of up to `limit` current objects after `after`, in (bucket, key) order; `next` is where
    /// the following page starts, nil when there are no more objects.
    func objectBlobs(after: ObjectPosition?, limit: Int) async throws -> (blobs: [ObjectBlob], next: ObjectPosition?)
    /// The blobs of stored parts, in (upload ID, part number) order.
    func partBlobs(after: PartPosition?, limit: Int) async throws -> [PartBlob]
    /// Whether `version` is still the current version of bucket/key and still has a segment on `blob`.
    func objectStillUses(_ ref: ObjectBlob) async throws -> Bool
    func partStillUses(_ ref: PartBlob) async throws -> Bool
    /// Removes the object if `version` is still its current version; its blobs become garbage.
    func dropObject(bucket: String, key: String, version: Int64) async throws -> Bool
    /// Removes one part if it still names `blob` (the blob becomes garbage).
    func dropPart(uploadID: String, partNumber: Int, blob: BlobID) async throws -> Bool
    /// Garbage entries of parts (version 0): never read by anyone, so safe to delete from any process.
    func partGarbage(limit: Int) async throws -> [BlobID]
}

/// Blob-side inventory: existence, free space, a write probe. (Listing is `BlobStore.listBlobs`.)
public protocol BlobInventory: Sendable {
    /// The blobs among `blobs` that are not there.
    func missing(_ blobs: [BlobID]) async throws -> Set<BlobID>
    /// Bytes available to the daemon and total bytes of the file system holding the data dir.
    func diskSpace() async -> (available: Int64, total: Int64)?
    /// Writes and removes a small file: true when the data directory takes writes.
    func probeWrite() async -> Bool
}

public struct MetadataCounts: Sendable, Equatable {
    public var buckets = 0
    public var objects = 0
    public var uploads = 0
    public var parts = 0
    public var partBytes: Int64 = 0
    public var garbage = 0
    public init() {}
}

public struct BucketUsage: Sendable, Equatable {
    public var objects = 0
    public var bytes: Int64 = 0
    public var uploads = 0
    public init() {}
}

public struct ObjectPosition: Sendable, Equatable {
    public var bucket: String
    public var key: [UInt8]
    public init(bucket: String, key: [UInt8]) { self.bucket = bucket; self.key = key }
}

public struct PartPosition: Sendable, Equatable {
    public var uploadID: String
    public var partNumber: Int
    public init(uploadID: String, partNumber: Int) { self.uploadID = uploadID; self.partNumber = partNumber }
}

/// One segment of a current object.
public struct ObjectBlob: Sendable, Equatable {
    public var bucket: String
    public var key: String
    public var keyBytes: [UInt8]
    public var version: Int64
    public var blob: BlobID
    public init(bucket: String, key: String, keyBytes: [UInt8], version: Int64, blob: BlobID) {
        self.bucket = bucket; self.key = key; self.keyBytes = keyBytes; self.version = version; self.blob = blob
    }
    public var position: ObjectPosition { ObjectPosition(bucket: bucket, key: keyBytes) }
}

/// One stored part of an incomplete upload.
public struct PartBlob: Sendable, Equatable {
    public var uploadID: String
    public var bucket: String
    public var key: String
    public var partNumber: Int
    public var blob: BlobID
    public init(uploadID: String, bucket: String, key: String, partNumber: Int, blob: BlobID) {
        self.uploadID = uploadID; self.bucket = bucket; self.key = key; self.partNumber = partNumber; self.blob = blob
    }
    public var position: PartPosition { PartPosition(uploadID: uploadID, partNumber: partNumber) }
}
