import Foundation

/// Where a key-ordered scan starts. Keys compare as raw UTF-8 bytes.
public enum ScanStart: Sendable, Equatable {
    case afterKey([UInt8])
    case atOrAfterKey([UInt8])
    /// Uploads only: after (key, uploadID) in (key, uploadID) order.
    case afterUpload(key: [UInt8], uploadID: String)
}

public struct ObjectSummary: Sendable, Equatable {
    public var key: String
    public var size: Int64
    public var etag: String
    public var lastModified: Date
    public var storageClass: String?
    public init(key: String, size: Int64, etag: String, lastModified: Date, storageClass: String?) {
        self.key = key; self.size = size; self.etag = etag; self.lastModified = lastModified; self.storageClass = storageClass
    }
}

public struct UploadSummary: Sendable, Equatable {
    public var key: String
    public var uploadID: String
    public var initiated: Date
    public var storageClass: String?
    public init(key: String, uploadID: String, initiated: Date, storageClass: String?) {
        self.key = key; self.uploadID = uploadID; self.initiated = initiated; self.storageClass = storageClass
    }
}

/// A blob that no object or part references any more, waiting to be deleted.
/// `version` is the object version it belonged to (0 for parts), so deletion can wait for readers.
public struct GarbageEntry: Sendable, Equatable {
    public var blob: BlobID
    public var version: Int64
    public init(blob: BlobID, version: Int64) { self.blob = blob; self.version = version }
}

/// Durable metadata: buckets, objects and their segments, uploads and parts, and garbage.
///
/// Every mutating call is one transaction: it happens whole or not at all. Blobs freed by a call
/// (an overwritten object's, a replaced part's) are recorded as garbage in the same transaction,
/// so a crash never leaks them. Calls are synchronous and thread-safe; the core runs them off the
/// request threads. Shaped so that a PostgreSQL implementation can follow (no SQLite-isms leak).
public protocol MetadataStore: Sendable {
    // Buckets
    /// false when the bucket already exists.
    func createBucket(_ bucket: BucketRecord) throws -> Bool
    func bucket(named name: String) throws -> BucketRecord?
    func listBuckets() throws -> [BucketRecord]
    /// Throws BucketNotEmpty when objects or uploads remain, NoSuchBucket when absent.
    func deleteBucket(named name: String) throws
    /// Bucket sub-resource documents (e.g. "lifecycle"), stored verbatim.
    func bucketConfig(bucket: String, name: String) throws -> String?
    func setBucketConfig(bucket: String, name: String, value: String?) throws

    // Objects
    /// The largest object version the store refers to (objects, garbage), 0 when none.
    func largestVersion() throws -> Int64
    func object(bucket: String, key: String) throws -> ObjectRecord?
    func segments(version: Int64) throws -> [Segment]
    /// The key's current record and its segments, read together (one snapshot).
    func objectWithSegments(bucket: String, key: String) throws -> (ObjectRecord, [Segment])?
    /// Whether `version` is still the key's current version.
    func isCurrent(bucket: String, key: String, version: Int64) throws -> Bool
    /// Makes `object` the current version of its key; the replaced version's blobs become garbage.
    /// true when some did (a collection pass is due); inline bodies go with their rows.
    func putObject(_ object: ObjectRecord, segments: [Segment]) async throws -> Bool
    /// Deletes the key's current version, if any; true when blob files became garbage.
    func deleteObject(bucket: String, key: String) throws -> Bool
    func scanObjects(bucket: String, prefix: [UInt8], start: ScanStart?, limit: Int) throws -> [ObjectSummary]

    // Multipart uploads
    func createUpload(_ upload: UploadRecord) throws
    func upload(id: String) throws -> UploadRecord?
    /// Adds or replaces a part (the replaced blob becomes garbage). Throws NoSuchUpload if the upload is gone.
    func putPart(uploadID: String, part: PartRecord) throws
    func parts(uploadID: String, afterPartNumber: Int, limit: Int) throws -> [PartRecord]
    /// One transaction: loads the upload's parts, lets `assemble` validate them and build the object,
    /// stores it, frees unlisted parts and the replaced object, and removes the upload.
    func completeUpload(uploadID: String, assemble: ([PartRecord]) throws -> (ObjectRecord, [Segment])) throws -> ObjectRecord
    /// All of the upload's parts become garbage. Throws NoSuchUpload if the upload is gone.
    func abortUpload(uploadID: String) throws
    func scanUploads(bucket: String, prefix: [UInt8], start: ScanStart?, limit: Int) throws -> [UploadSummary]
    func uploads(initiatedBefore date: Date, limit: Int) throws -> [UploadRecord]

    // Garbage and consistency
    func garbage(limit: Int) throws -> [GarbageEntry]
    func forgetGarbage(_ blobs: [BlobID]) throws
    /// Whether any object segment, part or garbage entry names this blob.
    func references(blob: BlobID) throws -> Bool
    func integrityCheck() throws -> String
}

extension Array where Element == UInt8 {
    /// The smallest byte string greater than every string that starts with self; nil if none.
    public var prefixSuccessor: [UInt8]? {
        var b = self
        while let last = b.last {
            if last < 0xFF { b[b.count - 1] = last + 1; return b }
            b.removeLast()
        }
        return nil
    }
}
