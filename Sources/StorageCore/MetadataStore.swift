import Foundation

/// Where a key-ordered scan starts. Keys compare as raw UTF-8 bytes.
public enum ScanStart: Sendable, Equatable {
    case afterKey([UInt8])
    case atOrAfterKey([UInt8])
    /// Uploads only: after (key, uploadID) in (key, uploadID) order.
    case afterUpload(key: [UInt8], uploadID: String)
    /// Versions only: after (key, version) in (key ascending, version descending) order.
    case afterVersion(key: [UInt8], version: Int64)
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
/// so a crash never leaks them. Calls are async and must not block the calling thread: an
/// implementation over a blocking client (SQLite) runs it on the `BlockingPool`; one over a
/// non-blocking client (postgres-nio) awaits it. Shaped so that a PostgreSQL implementation can follow
/// (no SQLite-isms leak), and so that nothing in the core assumes one process per store: version
/// numbers and read leases come from the store.
public protocol MetadataStore: Sendable {
    // Buckets
    /// false when the bucket already exists.
    func createBucket(_ bucket: BucketRecord) async throws -> Bool
    func bucket(named name: String) async throws -> BucketRecord?
    func listBuckets() async throws -> [BucketRecord]
    /// Throws BucketNotEmpty when objects or uploads remain, NoSuchBucket when absent.
    func deleteBucket(named name: String) async throws
    /// Bucket sub-resource documents (e.g. "lifecycle"), stored verbatim.
    func bucketConfig(bucket: String, name: String) async throws -> String?
    func setBucketConfig(bucket: String, name: String, value: String?) async throws
    /// The bucket and those of the documents named in `configs` it has, in one read (one snapshot); nil
    /// when the bucket does not exist. What a request needs of its bucket before it starts, in one hop.
    func bucketSettings(named name: String, configs: [String]) async throws -> BucketSettings?

    // Versions and readers
    /// A new object version: unique among every process using the store, and larger than the versions
    /// it made before (the SQLite store: a clock seeded from its largest version; PostgreSQL: a sequence).
    func nextVersion() async throws -> Int64
    /// Which versions are being read, as every process that collects this store's garbage sees them.
    var readLeases: any ReadLeases { get }

    // Objects
    func object(bucket: String, key: String) async throws -> ObjectRecord?
    func segments(version: Int64) async throws -> [Segment]
    /// The key's current record and its segments, read together (one snapshot).
    func objectWithSegments(bucket: String, key: String) async throws -> (ObjectRecord, [Segment])?
    /// Whether `version` is still the key's current version.
    func isCurrent(bucket: String, key: String, version: Int64) async throws -> Bool
    /// Makes `object` the current version of its key, as the bucket's versioning state (read in the same
    /// transaction) says: unversioned, the replaced version goes (its blobs become garbage; inline bodies go
    /// with their rows); Enabled, the replaced version stays as a noncurrent one and `object` gets its own
    /// version ID; Suspended, the key's "null" version goes, if any, others stay, and `object` becomes the
    /// null version. The returned record has `versioned` set accordingly.
    ///
    /// With a `condition`, it is checked in the same transaction against the key's current object (a
    /// delete marker counts as none) before anything is written; when it fails there, the call throws 409
    /// ConditionalRequestConflict (a concurrent write won) and changes nothing.
    func putObject(_ object: ObjectRecord, segments: [Segment], condition: WriteCondition?) async throws -> StoredObject
    /// DeleteObject without a version ID. Unversioned: deletes the key's current version, if any.
    /// Enabled: the current version stays as a noncurrent one and a new delete marker (its own version ID)
    /// becomes the latest; Suspended: the null version goes and a null delete marker becomes the latest.
    /// The marker made, if any, comes back in `version`.
    func deleteObject(bucket: String, key: String) async throws -> ObjectDeletion
    /// Removes one version or delete marker of the key for good (nothing when there is none: `version`
    /// nil); when it was the latest, the newest remaining one becomes the latest. Throws NoSuchBucket.
    /// `check` sees the version found, inside the transaction and before anything changes, and throws to
    /// keep it (Object Lock: `Storage.deleteVersion`); it must not wait on anything.
    func deleteVersion(bucket: String, key: String, version: VersionSelector,
                       check: @escaping @Sendable (ObjectRecord) throws -> Void) async throws -> ObjectDeletion
    /// Lifecycle expiry of version `version` (the store's number) of the key, as `action` says, in one
    /// transaction that first checks the version is still what the action requires (see `ExpiryAction`);
    /// when it is not, nothing changes and `version` comes back nil. Otherwise `version` is the delete marker
    /// made (`expireCurrent` in a versioned bucket) or the version removed. Throws NoSuchBucket.
    /// `check` sees a version about to be removed (not a marker made), inside the transaction, and throws to keep it
    /// (Object Lock: a locked version is never expired).
    func expire(bucket: String, key: String, version: Int64, action: ExpiryAction,
                check: @escaping @Sendable (ObjectRecord) throws -> Void) async throws -> ObjectDeletion
    /// One version or delete marker of the key (a marker has no segments), read in one snapshot.
    func objectVersion(bucket: String, key: String, version: VersionSelector) async throws -> (ObjectRecord, [Segment])?
    /// The key's latest version or delete marker (a marker when the key reads as deleted).
    func latestVersion(bucket: String, key: String) async throws -> ObjectRecord?
    /// Why a key read without a current object is missing (NoSuchBucket, or NoSuchKey with its delete
    /// marker if that is the latest version). A store may answer in one read; by default, two.
    func missingKey(bucket: String, key: String) async throws -> MissingKey
    /// Rewrites the stored attributes of one version in one transaction (ACLs, tags, retention: what
    /// changes after a write without making a new version). `version` nil names the key's current object
    /// (not a delete marker). `change` sees the record as stored and returns its new attributes, or throws
    /// to change nothing; it runs inside the transaction, so it must not wait on anything. Returns the record
    /// as changed; nil when there is no such version.
    func updateAttributes(bucket: String, key: String, version: VersionSelector?,
                          change: @escaping @Sendable (ObjectRecord) throws -> ObjectAttributes) async throws -> ObjectRecord?
    /// Whether `version` is still one of the key's versions (current or noncurrent).
    func hasVersion(bucket: String, key: String, version: Int64) async throws -> Bool
    func scanObjects(bucket: String, prefix: [UInt8], start: ScanStart?, limit: Int) async throws -> [ObjectSummary]
    /// Every version and delete marker (current and noncurrent) within `prefix` from `start`, in S3's order:
    /// key ascending, then newest (largest version) first; at most `limit`. With `withTags`, each entry carries
    /// its version's tags (`[]` when it has none; a row whose attributes cannot be read is refused); without,
    /// `tags` is nil and the attributes are not read.
    func scanVersions(bucket: String, prefix: [UInt8], start: ScanStart?, limit: Int, withTags: Bool) async throws -> [ObjectVersionSummary]

    // Multipart uploads
    func createUpload(_ upload: UploadRecord) async throws
    func upload(id: String) async throws -> UploadRecord?
    /// Adds or replaces a part (the replaced blob becomes garbage). Throws NoSuchUpload if the upload is gone.
    func putPart(uploadID: String, part: PartRecord) async throws
    func parts(uploadID: String, afterPartNumber: Int, limit: Int) async throws -> [PartRecord]
    /// One transaction: loads the upload's parts, lets `assemble` validate them and build the object,
    /// stores it, frees unlisted parts and the replaced object, removes the upload and records the
    /// completion (`CompletedUpload(uploadID:partListDigest:object:)`, replacing none: an upload completes
    /// once). `assemble` is synchronous and runs inside the transaction (between its queries), so it must
    /// not wait on anything. `condition` as for `putObject`, checked in the transaction before the upload's rows change.
    func completeUpload(uploadID: String, condition: WriteCondition?, partListDigest: String,
                        assemble: @escaping @Sendable ([PartRecord]) throws -> (ObjectRecord, [Segment])) async throws -> ObjectRecord
    /// The record of upload `id`'s completion, while it is kept; nil when there is none.
    func completedUpload(id: String) async throws -> CompletedUpload?
    /// Drops the completion records made before `date`; returns how many.
    func forgetCompletedUploads(completedBefore date: Date) async throws -> Int
    /// All of the upload's parts become garbage. Throws NoSuchUpload if the upload is gone.
    func abortUpload(uploadID: String) async throws
    func scanUploads(bucket: String, prefix: [UInt8], start: ScanStart?, limit: Int) async throws -> [UploadSummary]
    func uploads(initiatedBefore date: Date, limit: Int) async throws -> [UploadRecord]

    // Garbage and consistency
    func garbage(limit: Int) async throws -> [GarbageEntry]
    func forgetGarbage(_ blobs: [BlobID]) async throws
    /// The blobs among `blobs` that no object segment, part or garbage entry names.
    func unreferenced(_ blobs: [BlobID]) async throws -> [BlobID]
    func integrityCheck() async throws -> String
}

extension MetadataStore {
    public func missingKey(bucket: String, key: String) async throws -> MissingKey {
        guard try await self.bucket(named: bucket) != nil else { return .noBucket }
        let latest = try await latestVersion(bucket: bucket, key: key)
        return .noObject(deleteMarker: latest?.isDeleteMarker == true ? latest : nil)
    }

    /// An unconditional write.
    public func putObject(_ object: ObjectRecord, segments: [Segment]) async throws -> StoredObject {
        try await putObject(object, segments: segments, condition: nil)
    }

    /// An unconditional completion.
    public func completeUpload(uploadID: String, partListDigest: String,
                               assemble: @escaping @Sendable ([PartRecord]) throws -> (ObjectRecord, [Segment])) async throws -> ObjectRecord {
        try await completeUpload(uploadID: uploadID, condition: nil, partListDigest: partListDigest, assemble: assemble)
    }

    /// Whether any object segment, part or garbage entry names this blob.
    public func references(blob: BlobID) async throws -> Bool {
        try await unreferenced([blob]).isEmpty
    }
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
