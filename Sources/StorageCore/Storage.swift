import Crypto
import Foundation
import Logging
import NIOCore
import WireFormats

/// The storage core: buckets and objects over a MetadataStore and a BlobStore.
///
/// Invariant: nothing half-written is visible. A body streams into a temporary blob while being
/// hashed; the blob is made durable; then one metadata transaction makes it visible.
///
/// Everything here is async and never blocks: the stores run their blocking work on the
/// `BlockingPool` (or need none), so the core runs on the request's own thread. Nothing here assumes
/// that this is the only process using the stores: versions and read leases come from the metadata store.
public final class Storage: Sendable {
    public let metadata: any MetadataStore
    public let blobs: any BlobStore
    public let validator: PartValidator
    let logger: Logger
    /// Versions being read (the garbage collector skips their blobs), as the metadata store keeps them.
    let leases: any ReadLeases
    let collector = GarbageCollector()

    public init(metadata: any MetadataStore, blobs: any BlobStore, limits: LimitProfile = .aws, logger: Logger) {
        self.metadata = metadata
        self.blobs = blobs
        self.validator = PartValidator(limits: limits)
        self.logger = logger
        self.leases = metadata.readLeases
    }

    // MARK: buckets

    /// A new bucket owned by `owner`. A name taken already: BucketAlreadyOwnedByYou when `owner` has it,
    /// BucketAlreadyExists (409) when another user does.
    public func createBucket(_ name: String, region: String, owner: User = .default) async throws {
        try Names.validateBucket(name)
        let created = try await metadata.createBucket(BucketRecord(name: name, created: Date(), region: region, ownerName: owner.name))
        guard !created else { return }
        // Gone again meanwhile: it was not ours; someone had it.
        if let existing = try await metadata.bucket(named: name), Array(existing.owner.name.utf8) == Array(owner.name.utf8) {
            throw CoreError("BucketAlreadyOwnedByYou", "Your previous request to create the named bucket succeeded and you already own it.",
                            details: [.init("BucketName", name)])
        }
        throw CoreError("BucketAlreadyExists",
                        "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.",
                        details: [.init("BucketName", name)])
    }

    public func bucket(_ name: String) async throws -> BucketRecord {
        guard let b = try await metadata.bucket(named: name) else { throw CoreError.noSuchBucket(name) }
        return b
    }

    /// The bucket and the documents named in `configs` that it has, in one read; NoSuchBucket when absent.
    public func bucketSettings(_ name: String, configs: [String]) async throws -> BucketSettings {
        guard let settings = try await metadata.bucketSettings(named: name, configs: configs) else { throw CoreError.noSuchBucket(name) }
        return settings
    }

    public func listBuckets() async throws -> [BucketRecord] { try await metadata.listBuckets() }

    public func deleteBucket(_ name: String) async throws {
        try await metadata.deleteBucket(named: name)
    }

    // MARK: writing bodies

    /// Bodies up to this size are kept inline in the metadata store (PutObject, CopyObject): a small
    /// object then costs one metadata commit, shared with concurrent writers, instead of a file create,
    /// two fsyncs, a rename and, on overwrite, a delete.
    public static let inlineLimit = 32 << 10

    /// Where a received body went: a new durable blob, or bytes to store inline with the object.
    enum StoredBody {
        case blob(BlobID)
        case inline([UInt8])

        func segment(size: Int64) -> Segment {
            switch self {
            case .blob(let id): return Segment(blob: id, size: size, offset: 0)
            case .inline(let bytes): return Segment(blob: "", size: size, offset: 0, inline: bytes)
            }
        }
    }

    /// Bytes handed to a blob writer at once: each hand-off is one hop to the blocking pool (or one
    /// request of a remote store), so network chunks (often a few KiB) are gathered first.
    static let writeBatch = 1 << 20

    /// Streams `body` into a new durable blob; a body that ends within `inlineLimit` bytes is returned
    /// instead, and no blob is made. The body hashes and verifies itself (`DigestedBody`): its digests
    /// are taken once it has ended, before the blob is committed; a body that fails its own checks
    /// throws from its iterator, and nothing is committed.
    ///
    /// Bytes reach the writer in batches of `writeBatch`, one batch being written while the next is
    /// received: at most about two batches are held in memory, never a whole body.
    /// `cluster`: the blob's ID sorts with others of that cluster (`BlobStore.makeWriter(cluster:)`).
    func receive<Body: DigestedBody>(_ body: Body, limit: Int64, inlineLimit: Int, cluster: String? = nil, tooLarge: (Int64) -> CoreError)
        async throws -> (stored: StoredBody, size: Int64, digests: BodyDigests) {
        var writer: (any BlobWriter)?
        var small: [UInt8] = []
        /// Received for the writer, not handed over yet.
        var batch = ByteBuffer()
        /// The previous batch, being written.
        var writing: Task<Void, any Error>?
        var size: Int64 = 0
        do {
            for try await buffer in body {
                size += Int64(buffer.readableBytes)
                if size > limit { throw tooLarge(size) }
                if writer == nil && small.count + buffer.readableBytes <= inlineLimit {
                    small.append(contentsOf: buffer.readableBytesView)
                    continue
                }
                if writer == nil {
                    writer = try await blobs.makeWriter(cluster: cluster)
                    batch = ByteBufferAllocator().buffer(capacity: Self.writeBatch + buffer.readableBytes)
                    batch.writeBytes(small)
                    small = []
                }
                if batch.readableBytes == 0 && buffer.readableBytes >= Self.writeBatch {
                    batch = buffer  // large enough alone: no copy
                } else {
                    if batch.capacity == 0 { batch = ByteBufferAllocator().buffer(capacity: Self.writeBatch + buffer.readableBytes) }
                    batch.writeImmutableBuffer(buffer)
                }
                if batch.readableBytes >= Self.writeBatch {
                    try await writing?.value   // one write at a time: the writer is one task's
                    let (full, w) = (batch, writer!)
                    batch = ByteBuffer()
                    writing = Task { try await w.write(full) }
                }
            }
            try await writing?.value
            writing = nil
            let digests = try body.digests()
            if writer == nil && inlineLimit < 0 { writer = try await blobs.makeWriter(cluster: cluster) }  // an empty part is a blob too
            guard let writer else { return (.inline(small), size, digests) }
            if batch.readableBytes > 0 { try await writer.write(batch) }
            let blob = try await writer.commit()
            return (.blob(blob), size, digests)
        } catch {
            _ = try? await writing?.value   // the writer is not to be discarded under a write
            await writer?.discard()
            throw error
        }
    }

    /// `receive` into a blob always (multipart parts: their blobs become the object's segments).
    func writeBlob<Body: DigestedBody>(_ body: Body, limit: Int64, cluster: String?, tooLarge: (Int64) -> CoreError)
        async throws -> (blob: BlobID, size: Int64, digests: BodyDigests) {
        let r = try await receive(body, limit: limit, inlineLimit: -1, cluster: cluster, tooLarge: tooLarge)
        guard case .blob(let id) = r.stored else { throw CoreError.internalError("body kept inline") }
        return (id, r.size, r.digests)
    }

    /// `receive`, sealing the body first when `cipher` is given (as stream `part`, see `ObjectCipher`):
    /// a sealed body always goes to a blob (never inline), and the size returned is the plaintext's.
    /// The digests are the plaintext's, taken by the body itself while it was read.
    func receive<Body: DigestedBody>(_ body: Body, cipher: ObjectCipher?, part: Int, limit: Int64, inlineLimit: Int, cluster: String? = nil)
        async throws -> (stored: StoredBody, size: Int64, digests: BodyDigests) {
        guard let cipher else {
            return try await receive(body, limit: limit, inlineLimit: inlineLimit, cluster: cluster, tooLarge: { validator.entityTooLarge($0, limit) })
        }
        let counter = ByteCounter()
        let written = try await receive(cipher.sealing(body, part: part, counter: counter), limit: BlockCipher.sealedSize(limit),
                                        inlineLimit: -1, cluster: cluster, tooLarge: { _ in validator.entityTooLarge(counter.count, limit) })
        return (written.stored, counter.count, written.digests)
    }

    // MARK: objects

    /// PutObject: the body becomes one blob and the object's only segment, with the body's verified
    /// MD5 as its ETag and the body's checksums beside the attributes'.
    /// With `cipher`, the body is sealed under it (`attributes.encryption` records its key). Without a
    /// retention in `attributes`, the version gets the bucket's default retention (`lock`).
    public func putObject<Body: DigestedBody>(bucket: String, key: String, attributes: ObjectAttributes, body: Body,
                                              condition: WriteCondition? = nil, cipher: ObjectCipher? = nil,
                                              lock: BucketLockLookup = .read) async throws -> ObjectRecord {
        try Names.validateKey(key)
        if case .read = lock { _ = try await self.bucket(bucket) }   // .known: the caller read the bucket with it
        try await checkAtStart(condition, bucket: bucket, key: key)
        let bucketLock = try await objectLock(bucket: bucket, lock)
        let written = try await receive(body, cipher: cipher, part: 0, limit: validator.limits.maxPutSize, inlineLimit: Self.inlineLimit)
        var attrs = attributes
        attrs.checksums.merge(written.digests.checksums) { _, new in new }
        if !attrs.checksums.isEmpty && attrs.checksumType == nil { attrs.checksumType = "FULL_OBJECT" }
        return try await commit(segments: [written.stored.segment(size: written.size)], condition: condition) { version in
            let now = Date()
            return ObjectRecord(bucket: bucket, key: key, version: version, size: written.size,
                                etag: cipher?.etag(md5: written.digests.md5) ?? Hex.encode(written.digests.md5),
                                lastModified: now, attributes: bucketLock?.newVersion(attrs, created: now) ?? attrs, partsCount: nil)
        }
    }

    /// A conditional write's check when the request starts, before its body is read: 412 PreconditionFailed,
    /// or 404 NoSuchKey for If-Match on a missing key (the store checks again when it commits).
    func checkAtStart(_ condition: WriteCondition?, bucket: String, key: String) async throws {
        guard let condition else { return }
        try condition.checkAtStart(currentETag: try await metadata.object(bucket: bucket, key: key)?.etag, key: key)
    }

    /// Makes the record of a new version (numbered here) visible over `segments`, or frees their blobs if
    /// the version or the commit fails.
    func commit(segments: [Segment], condition: WriteCondition? = nil, record makeRecord: (Int64) -> ObjectRecord) async throws -> ObjectRecord {
        let stored: StoredObject
        do {
            let record = makeRecord(try await metadata.nextVersion())
            stored = try await metadata.putObject(record, segments: segments, condition: condition)  // waits for the group commit without a thread
        } catch {
            await discardUncommitted(segments.compactMap { $0.inline == nil ? $0.blob : nil }, after: error)
            throw error
        }
        if stored.releasedBlobs { collectGarbage() }  // a new key, or an inline body replaced, leaves no files
        return stored.record
    }

    /// Deletes blobs written for a write whose metadata did not commit: no row names them, so no reader
    /// can have them. Unless the store says the commit may have gone through (its answer was lost): then
    /// they stay, for the unreferenced-blob sweep to remove if no row names them. Best effort: a blob that
    /// cannot be deleted is logged and left to that sweep too.
    func discardUncommitted(_ written: [BlobID], after error: any Error) async {
        guard !written.isEmpty else { return }
        if let e = error as? CoreError, e.outcomeUnknown {
            logger.warning("metadata commit outcome unknown: its blobs are kept (the unreferenced-blob sweep removes them if it did not commit)",
                           metadata: ["blobs": "\(written.joined(separator: ","))"])
            return
        }
        do {
            try await blobs.delete(written)
        } catch {
            logger.error("could not delete the blobs of a failed metadata commit (the unreferenced-blob sweep will)",
                         metadata: ["blobs": "\(written.joined(separator: ","))", "error": "\(error)"])
        }
    }

    public func headObject(bucket: String, key: String) async throws -> ObjectRecord {
        guard let o = try await metadata.object(bucket: bucket, key: key) else { throw try await missing(bucket: bucket, key: key) }
        return o
    }

    /// Why the key has no current object: NoSuchBucket, or NoSuchKey (with the delete marker's headers
    /// when its latest version is one). Only on a miss: the found path reads nothing more.
    func missing(bucket: String, key: String) async throws -> CoreError {
        switch try await metadata.missingKey(bucket: bucket, key: key) {
        case .noBucket: .noSuchBucket(bucket)
        case .noObject(let marker?): .noSuchKey(key, deleteMarker: marker)
        case .noObject(nil): .noSuchKey(key)
        }
    }

    /// One version of a key (GET/HEAD ?versionId): NoSuchVersion when there is none, MethodNotAllowed
    /// when it is a delete marker.
    public func headObject(bucket: String, key: String, version: VersionSelector) async throws -> ObjectRecord {
        try await openObject(bucket: bucket, key: key, version: version, leased: false).record
    }

    /// Opens one version of a key for reading (GET ?versionId); its blobs stay until the handle is released.
    public func openObject(bucket: String, key: String, version: VersionSelector) async throws -> OpenObject {
        try await openObject(bucket: bucket, key: key, version: version, leased: true)
    }

    private func openObject(bucket: String, key: String, version: VersionSelector, leased wantLease: Bool) async throws -> OpenObject {
        for _ in 0..<5 {
            guard let (o, segments) = try await metadata.objectVersion(bucket: bucket, key: key, version: version) else {
                _ = try await self.bucket(bucket)
                throw CoreError.noSuchVersion(key, version)
            }
            if o.isDeleteMarker { throw CoreError.deleteMarkerRead(o) }
            if !wantLease || segments.allSatisfy({ $0.inline != nil }) {
                return OpenObject(record: o, segments: segments, storage: self, leased: false)
            }
            try await leases.acquire(o.version)
            // Re-check: the version may have been removed (and its blobs collected) before the lease.
            let exists: Bool
            do {
                exists = try await metadata.hasVersion(bucket: bucket, key: key, version: o.version)
            } catch {
                releaseLease(o.version)
                throw error
            }
            if exists { return OpenObject(record: o, segments: segments, storage: self, leased: true) }
            releaseLease(o.version)
        }
        throw CoreError("SlowDown", "The object is being rewritten too often to read; retry.")
    }

    /// The object's record and its segments (sizes, part numbers, part checksums), read together,
    /// without holding its blobs (GetObjectAttributes reads no body).
    public func objectLayout(bucket: String, key: String) async throws -> (ObjectRecord, [Segment]) {
        guard let found = try await metadata.objectWithSegments(bucket: bucket, key: key) else {
            _ = try await self.bucket(bucket)
            throw CoreError.noSuchKey(key)
        }
        return found
    }

    /// Opens an object for reading: its blobs stay on disk until the returned handle is released.
    public func openObject(bucket: String, key: String) async throws -> OpenObject {
        for _ in 0..<5 {
            guard let (o, segments) = try await metadata.objectWithSegments(bucket: bucket, key: key) else {
                throw try await missing(bucket: bucket, key: key)
            }
            // A body kept inline came with the record: there is no file to hold on to.
            if segments.allSatisfy({ $0.inline != nil }) { return OpenObject(record: o, segments: segments, storage: self, leased: false) }
            try await leases.acquire(o.version)
            // Re-check: the version may have been replaced (and its blobs collected) before the lease.
            // A version's segments never change, so the ones read above stand if it is still current.
            let current: Bool
            do {
                current = try await metadata.isCurrent(bucket: bucket, key: key, version: o.version)
            } catch {
                releaseLease(o.version)
                throw error
            }
            if current { return OpenObject(record: o, segments: segments, storage: self, leased: true) }
            releaseLease(o.version)
        }
        throw CoreError("SlowDown", "The object is being rewritten too often to read; retry.")
    }

    func releaseLease(_ version: Int64) {
        if leases.release(version) { collectGarbage() }  // only when the collector left garbage for this reader
    }

    /// DeleteObject without a version ID: see `MetadataStore.deleteObject`. Returns the delete marker made, if any.
    @discardableResult
    public func deleteObject(bucket: String, key: String) async throws -> ObjectRecord? {
        let deletion = try await metadata.deleteObject(bucket: bucket, key: key)
        if deletion.releasedBlobs { collectGarbage() }
        return deletion.version
    }

    /// DeleteObject ?versionId: removes that version or delete marker for good (see
    /// `MetadataStore.deleteVersion`). Returns what was removed, if anything. Every deletion of one version
    /// comes here (DeleteObject, DeleteObjects, lifecycle expiration): a version under Object Lock is kept
    /// (AccessDenied), checked in the store's transaction (`ObjectLock.checkDeletion`); `bypassGovernance`
    /// only when `ObjectLock.mayBypassGovernance` allowed it.
    @discardableResult
    public func deleteVersion(bucket: String, key: String, version: VersionSelector, bypassGovernance: Bool = false) async throws -> ObjectRecord? {
        let now = Date()
        let deletion = try await metadata.deleteVersion(bucket: bucket, key: key, version: version) { record in
            try ObjectLock.checkDeletion(record, at: now, bypassGovernance: bypassGovernance)
        }
        if deletion.releasedBlobs { collectGarbage() }
        return deletion.version
    }

    /// Lifecycle expiry (the sweeper): see `MetadataStore.expire`. Freed blobs go to the collector as any
    /// delete's do. Returns the delete marker made or the version removed; nil when the version had changed.
    /// A version under retention or legal hold is kept (AccessDenied; the sweeper counts it as kept).
    @discardableResult
    public func expire(bucket: String, key: String, version: Int64, action: ExpiryAction) async throws -> ObjectRecord? {
        let now = Date()
        let deletion = try await metadata.expire(bucket: bucket, key: key, version: version, action: action) { record in
            try ObjectLock.checkDeletion(record, at: now, bypassGovernance: false)
        }
        if deletion.releasedBlobs { collectGarbage() }
        return deletion.version
    }

    /// Rewrites one version's attributes in place, making no new version (tags; PutObjectTagging and
    /// DeleteObjectTagging): `version` nil names the key's current object. `change` runs inside the store's
    /// transaction (see `MetadataStore.updateAttributes`). NoSuchBucket, NoSuchKey or NoSuchVersion when
    /// there is nothing to change; a delete marker named by its ID is 405 MethodNotAllowed, as S3 answers.
    @discardableResult
    public func updateAttributes(bucket: String, key: String, version: VersionSelector?, method: String,
                                 change: @escaping @Sendable (ObjectRecord) throws -> ObjectAttributes) async throws -> ObjectRecord {
        let updated = try await metadata.updateAttributes(bucket: bucket, key: key, version: version) { record in
            if record.isDeleteMarker { throw CoreError.deleteMarkerRead(record, method: method) }
            return try change(record)
        }
        if let updated { return updated }
        guard let version else { throw try await missing(bucket: bucket, key: key) }
        _ = try await self.bucket(bucket)
        throw CoreError.noSuchVersion(key, version)
    }

    // MARK: versioning

    public func versioning(bucket: String) async throws -> BucketVersioning {
        _ = try await self.bucket(bucket)
        return try BucketVersioning(stored: try await metadata.bucketConfig(bucket: bucket, name: BucketVersioning.configName))
    }

    /// Enabled or Suspended (a bucket never goes back to unversioned). A bucket with Object Lock stays
    /// Enabled: Suspended is InvalidBucketState, as S3 answers.
    public func setVersioning(bucket: String, _ state: BucketVersioning) async throws {
        precondition(state != .unversioned, "a bucket cannot become unversioned")
        _ = try await self.bucket(bucket)
        if state != .enabled, try await objectLock(bucket: bucket) != nil {
            throw CoreError("InvalidBucketState", "An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.")
        }
        try await metadata.setBucketConfig(bucket: bucket, name: BucketVersioning.configName, value: state.rawValue)
    }

    // MARK: object lock

    /// The bucket's Object Lock configuration; nil when it has none (or there is no such bucket).
    public func objectLock(bucket: String) async throws -> BucketObjectLock? {
        try BucketObjectLock(stored: try await metadata.bucketConfig(bucket: bucket, name: BucketObjectLock.configName))
    }

    /// The configuration as `lookup` gives it: read now, or as the caller read it.
    func objectLock(bucket: String, _ lookup: BucketLockLookup) async throws -> BucketObjectLock? {
        switch lookup {
        case .read: return try await objectLock(bucket: bucket)
        case .known(let lock): return lock
        }
    }

    /// Gives the bucket Object Lock with `lock`'s default retention, or replaces the configuration. A
    /// bucket without it yet must have versioning Enabled (InvalidBucketState otherwise, as S3 answers).
    public func setObjectLock(bucket: String, _ lock: BucketObjectLock) async throws {
        if try await objectLock(bucket: bucket) == nil, try await versioning(bucket: bucket) != .enabled {
            throw CoreError("InvalidBucketState", "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration")
        }
        try await metadata.setBucketConfig(bucket: bucket, name: BucketObjectLock.configName, value: lock.stored)
    }

    /// PutObject of a body that declares no digest (`MD5Body`: its MD5 is computed as it is read). Its own label:
    /// a body that declares digests (a `DigestedBody`, e.g. the request's checksums) can never land here.
    public func putObject<Body: AsyncSequence & Sendable>(bucket: String, key: String, attributes: ObjectAttributes, plainBody body: Body,
                                                         condition: WriteCondition? = nil, cipher: ObjectCipher? = nil,
                                                         lock: BucketLockLookup = .read)
        async throws -> ObjectRecord where Body.Element == ByteBuffer {
        try await putObject(bucket: bucket, key: key, attributes: attributes, body: MD5Body(body), condition: condition, cipher: cipher, lock: lock)
    }

    /// CopyObject: streams the source into a new blob (blobs are never shared between objects,
    /// so freeing one object's blobs can never hurt another). A sealed source is opened with
    /// `sourceCipher`; with `cipher` the copy is sealed under it (a new data key: nothing is shared).
    public func copyObject(from source: OpenObject, bucket: String, key: String, attributes: ObjectAttributes,
                           condition: WriteCondition? = nil, sourceCipher: ObjectCipher? = nil, cipher: ObjectCipher? = nil,
                           lock: BucketLockLookup = .read) async throws -> ObjectRecord {
        try Names.validateKey(key)
        if case .read = lock { _ = try await self.bucket(bucket) }   // .known: the caller read the bucket with it
        try await checkAtStart(condition, bucket: bucket, key: key)
        let bucketLock = try await objectLock(bucket: bucket, lock)
        let written = try await receive(MD5Body(source.chunks(range: nil, cipher: sourceCipher)), cipher: cipher, part: 0,
                                        limit: validator.limits.maxObjectSize, inlineLimit: Self.inlineLimit)
        return try await commit(segments: [written.stored.segment(size: written.size)], condition: condition) { version in
            let now = Date()
            return ObjectRecord(bucket: bucket, key: key, version: version, size: written.size,
                                etag: cipher?.etag(md5: written.digests.md5) ?? Hex.encode(written.digests.md5),  // a copy is one blob, so its ETag is its MD5 even when the source was multipart
                                lastModified: now, attributes: bucketLock?.newVersion(attributes, created: now) ?? attributes, partsCount: nil)
        }
    }

    /// ListObjectVersions: every version and delete marker, key ascending then newest first, from after
    /// `keyMarker` (all of its versions) or, with `versionMarker`, after that version of `keyMarker`.
    public func listVersions(bucket: String, prefix: String, delimiter: String?, keyMarker: String?, versionMarker: VersionSelector?,
                             maxKeys: Int) async throws -> ListingPage<ObjectVersionSummary> {
        _ = try await self.bucket(bucket)
        let prefixBytes = Array(prefix.utf8)
        var start: ScanStart?
        if let keyMarker {
            start = .afterKey(Array(keyMarker.utf8))
            switch versionMarker {
            case .none: break
            case .version(let n): start = .afterVersion(key: Array(keyMarker.utf8), version: n)
            case .null:
                // The null version's place among the key's versions is its version number.
                if let (record, _) = try await metadata.objectVersion(bucket: bucket, key: keyMarker, version: .null) {
                    start = .afterVersion(key: Array(keyMarker.utf8), version: record.version)
                }
            }
        }
        return try await Listing.list(prefix: prefix, delimiter: delimiter, start: start, marker: keyMarker, maxKeys: maxKeys,
                                      key: { $0.key }, resumeAfter: { .afterVersion(key: Array($0.key.utf8), version: $0.version) },
                                      fetch: { pos, limit in try await metadata.scanVersions(bucket: bucket, prefix: prefixBytes, start: pos, limit: limit, withTags: false) })
    }

    public func listObjects(bucket: String, prefix: String, delimiter: String?, start: String?, maxKeys: Int) async throws -> ListingPage<ObjectSummary> {
        _ = try await self.bucket(bucket)
        let prefixBytes = Array(prefix.utf8)
        let startPos = start.map { ScanStart.afterKey(Array($0.utf8)) }
        return try await Listing.list(prefix: prefix, delimiter: delimiter, start: startPos, marker: start, maxKeys: maxKeys,
                                      key: { $0.key }, resumeAfter: { .afterKey(Array($0.key.utf8)) },
                                      fetch: { pos, limit in try await metadata.scanObjects(bucket: bucket, prefix: prefixBytes, start: pos, limit: limit) })
    }
}
