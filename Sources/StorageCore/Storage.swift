import Crypto
import Foundation
import Logging
import NIOCore

/// The storage core: buckets and objects over a MetadataStore and a BlobStore.
///
/// Invariant: nothing half-written is visible. A body streams into a temporary blob while being
/// hashed; the blob is made durable; then one metadata transaction makes it visible.
public final class Storage: Sendable {
    public let metadata: any MetadataStore
    public let blobs: any BlobStore
    public let validator: PartValidator
    let logger: Logger
    let leases = ReadLeases()
    let collector = GarbageCollector()

    public init(metadata: any MetadataStore, blobs: any BlobStore, limits: LimitProfile = .aws, logger: Logger) {
        self.metadata = metadata
        self.blobs = blobs
        self.validator = PartValidator(limits: limits)
        self.logger = logger
    }

    // MARK: buckets

    public func createBucket(_ name: String, region: String) async throws {
        try Names.validateBucket(name)
        let created = try await blocking { [metadata] in
            try metadata.createBucket(BucketRecord(name: name, created: Date(), region: region))
        }
        if !created {
            throw CoreError("BucketAlreadyOwnedByYou", "Your previous request to create the named bucket succeeded and you already own it.",
                            details: [.init("BucketName", name)])
        }
    }

    public func bucket(_ name: String) async throws -> BucketRecord {
        guard let b = try metadata.bucket(named: name) else { throw CoreError.noSuchBucket(name) }
        return b
    }

    public func listBuckets() async throws -> [BucketRecord] { try metadata.listBuckets() }

    public func deleteBucket(_ name: String) async throws {
        try await blocking { [metadata] in try metadata.deleteBucket(named: name) }
    }

    // MARK: writing bodies

    /// Streams `body` into a new durable blob, hashing MD5 as it goes. `afterBody` runs once the body
    /// has ended and before the blob is committed, with the MD5 digest: it verifies digests and may throw.
    func writeBlob<Body: AsyncSequence>(_ body: Body, limit: Int64, tooLarge: (Int64) -> CoreError,
                                        afterBody: ([UInt8]) throws -> Void) async throws -> (blob: BlobID, size: Int64, md5: String)
    where Body.Element == ByteBuffer {
        let writer = try blobs.makeWriter()
        do {
            var md5 = Insecure.MD5()
            for try await buffer in body {
                try buffer.withUnsafeReadableBytes { bytes in
                    md5.update(bufferPointer: bytes)
                    try writer.write(bytes)
                }
                if writer.bytesWritten > limit { throw tooLarge(writer.bytesWritten) }
            }
            let digest = md5.finalize()
            try afterBody(Array(digest))
            let blob = try await blocking { try writer.commit() }
            return (blob, writer.bytesWritten, hexString(digest))
        } catch {
            writer.discard()
            throw error
        }
    }

    // MARK: objects

    /// PutObject: the body becomes one blob and the object's only segment.
    /// - Parameter afterBody: given the body's MD5, verifies digests and returns checksums to store;
    ///   throwing aborts the write.
    public func putObject<Body: AsyncSequence>(bucket: String, key: String, attributes: ObjectAttributes, body: Body,
                                               afterBody: @escaping ([UInt8]) throws -> [String: String] = { _ in [:] }) async throws -> ObjectRecord
    where Body.Element == ByteBuffer {
        try Names.validateKey(key)
        _ = try await self.bucket(bucket)
        var checksums: [String: String] = [:]
        let written = try await writeBlob(body, limit: validator.limits.maxPutSize,
                                          tooLarge: { validator.entityTooLarge($0, validator.limits.maxPutSize) },
                                          afterBody: { checksums = try afterBody($0) })
        var attrs = attributes
        attrs.checksums.merge(checksums) { _, new in new }
        if !attrs.checksums.isEmpty && attrs.checksumType == nil { attrs.checksumType = "FULL_OBJECT" }
        let record = ObjectRecord(bucket: bucket, key: key, version: Self.newVersion(), size: written.size, etag: written.md5,
                                  lastModified: Date(), attributes: attrs, partsCount: nil)
        try await commit(record, segments: [Segment(blob: written.blob, size: written.size, offset: 0)])
        return record
    }

    /// Makes `record` visible, or frees its blobs if the metadata commit fails.
    func commit(_ record: ObjectRecord, segments: [Segment]) async throws {
        do {
            try await blocking { [metadata] in try metadata.putObject(record, segments: segments) }
        } catch {
            for s in segments { try? blobs.delete(s.blob) }
            throw error
        }
        collectGarbage()
    }

    static func newVersion() -> Int64 { Int64.random(in: 1...Int64.max) }

    public func headObject(bucket: String, key: String) async throws -> ObjectRecord {
        guard let o = try metadata.object(bucket: bucket, key: key) else {
            _ = try await self.bucket(bucket)
            throw CoreError.noSuchKey(key)
        }
        return o
    }

    /// Opens an object for reading: its blobs stay on disk until the returned handle is released.
    public func openObject(bucket: String, key: String) async throws -> OpenObject {
        for _ in 0..<5 {
            let o = try await headObject(bucket: bucket, key: key)
            leases.acquire(o.version)
            // Re-check: the version may have been replaced (and its blobs collected) before the lease.
            if let again = try metadata.object(bucket: bucket, key: key), again.version == o.version {
                let segments = try metadata.segments(version: o.version)
                return OpenObject(record: o, segments: segments, storage: self)
            }
            leases.release(o.version)
        }
        throw CoreError("SlowDown", "The object is being rewritten too often to read; retry.")
    }

    func releaseLease(_ version: Int64) {
        leases.release(version)
        collectGarbage()
    }

    public func deleteObject(bucket: String, key: String) async throws {
        _ = try await self.bucket(bucket)
        let deleted = try await blocking { [metadata] in try metadata.deleteObject(bucket: bucket, key: key) }
        if deleted { collectGarbage() }
    }

    /// CopyObject: streams the source into a new blob (blobs are never shared between objects,
    /// so freeing one object's blobs can never hurt another).
    public func copyObject(from source: OpenObject, bucket: String, key: String, attributes: ObjectAttributes) async throws -> ObjectRecord {
        try Names.validateKey(key)
        _ = try await self.bucket(bucket)
        let written = try await writeBlob(source.chunks(range: nil), limit: validator.limits.maxObjectSize,
                                          tooLarge: { validator.entityTooLarge($0, validator.limits.maxObjectSize) }, afterBody: { _ in })
        let record = ObjectRecord(bucket: bucket, key: key, version: Self.newVersion(), size: written.size,
                                  etag: written.md5,  // a copy is one blob, so its ETag is its MD5 even when the source was multipart
                                  lastModified: Date(), attributes: attributes, partsCount: nil)
        try await commit(record, segments: [Segment(blob: written.blob, size: written.size, offset: 0)])
        return record
    }

    public func listObjects(bucket: String, prefix: String, delimiter: String?, start: String?, maxKeys: Int) async throws -> ListingPage<ObjectSummary> {
        _ = try await self.bucket(bucket)
        let prefixBytes = Array(prefix.utf8)
        let startPos = start.map { ScanStart.afterKey(Array($0.utf8)) }
        return try Listing.list(prefix: prefix, delimiter: delimiter, start: startPos, marker: start, maxKeys: maxKeys,
                                key: { $0.key }, resumeAfter: { .afterKey(Array($0.key.utf8)) },
                                fetch: { pos, limit in try metadata.scanObjects(bucket: bucket, prefix: prefixBytes, start: pos, limit: limit) })
    }
}

func hexString(_ bytes: some Sequence<UInt8>) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
    return String(decoding: out, as: UTF8.self)
}
