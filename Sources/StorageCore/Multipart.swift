import Checksums
import Foundation
import NIOCore
import WireFormats

/// Multipart uploads: create, upload parts, list, complete (a manifest — no data is copied), abort.
extension Storage {
    /// Upload IDs sort by creation time (a big-endian microsecond prefix), so S3's
    /// "upload-id-marker compares lexicographically" and "uploads sort by initiation time" agree.
    /// The 128-bit random tail makes them unguessable. Hex keeps them URL-safe.
    static func newUploadID(now: Date) -> String {
        let micros = UInt64(max(0, now.timeIntervalSince1970 * 1_000_000))
        var g = SystemRandomNumberGenerator()
        return Hex.fixedWidth(micros) + Hex.fixedWidth(g.next()) + Hex.fixedWidth(g.next())
    }

    /// - Parameters:
    ///   - checksumAlgorithm, checksumType: x-amz-checksum-algorithm / x-amz-checksum-type as sent; validated by
    ///     `MultipartChecksums.resolve` (the type defaults from the algorithm).
    public func createMultipartUpload(bucket: String, key: String, attributes: ObjectAttributes,
                                      checksumAlgorithm: String? = nil, checksumType: String? = nil) async throws -> UploadRecord {
        try Names.validateKey(key)
        let (algorithm, type) = try MultipartChecksums.resolve(algorithm: checksumAlgorithm, type: checksumType)
        let now = Date()
        let upload = UploadRecord(uploadID: Self.newUploadID(now: now), bucket: bucket, key: key, initiated: now,
                                  attributes: attributes, checksumAlgorithm: algorithm?.rawValue, checksumType: type?.rawValue)
        try await metadata.createUpload(upload)
        return upload
    }

    /// The upload, checked to belong to this bucket and key (S3 answers NoSuchUpload otherwise).
    /// Keys compare as bytes: String's == would take "é" for "e\u{301}", another key.
    public func upload(bucket: String, key: String, uploadID: String) async throws -> UploadRecord {
        guard let u = try await metadata.upload(id: uploadID), u.bucket == bucket, u.key.utf8.elementsEqual(key.utf8) else {
            _ = try await self.bucket(bucket)
            throw CoreError.noSuchUpload(uploadID)
        }
        return u
    }

    /// UploadPart: streams the body into its own blob, with the body's verified MD5 as the part's ETag
    /// and its checksums. A part number uploaded again replaces the old part atomically (last writer
    /// wins) and the replaced blob is freed.
    /// With `cipher` (the upload's key), the part is sealed as its own stream, its part number bound into every block.
    public func uploadPart<Body: DigestedBody>(bucket: String, key: String, uploadID: String, partNumber: Int, body: Body,
                                               cipher: ObjectCipher? = nil) async throws -> PartRecord {
        try validator.checkPartNumber(partNumber)
        _ = try await upload(bucket: bucket, key: key, uploadID: uploadID)
        let limit = validator.limits.maxPartSize
        let written = try await writePart(body, cipher: cipher, uploadID: uploadID, partNumber: partNumber, limit: limit)
        let part = PartRecord(partNumber: partNumber, blob: written.blob, size: written.size,
                              etag: cipher?.etag(md5: written.digests.md5) ?? Hex.encode(written.digests.md5),
                              lastModified: Date(), checksums: written.digests.checksums)
        try await commitPart(part, uploadID: uploadID)
        return part
    }

    /// UploadPart of a body that declares no digest (`MD5Body`); its own label, as for `putObject(plainBody:)`.
    public func uploadPart<Body: AsyncSequence & Sendable>(bucket: String, key: String, uploadID: String, partNumber: Int, plainBody body: Body,
                                                          cipher: ObjectCipher? = nil)
        async throws -> PartRecord where Body.Element == ByteBuffer {
        try await uploadPart(bucket: bucket, key: key, uploadID: uploadID, partNumber: partNumber, body: MD5Body(body), cipher: cipher)
    }

    /// A part's body into its own blob (an empty part too), sealed under `cipher` when given. The upload's
    /// parts are one cluster of blob IDs: a completion moves all their index entries in one stretch.
    func writePart<Body: DigestedBody>(_ body: Body, cipher: ObjectCipher?, uploadID: String, partNumber: Int, limit: Int64)
        async throws -> (blob: BlobID, size: Int64, digests: BodyDigests) {
        guard cipher != nil else {
            return try await writeBlob(body, limit: limit, cluster: uploadID, tooLarge: { validator.entityTooLarge($0, limit) })
        }
        let r = try await receive(body, cipher: cipher, part: partNumber, limit: limit, inlineLimit: -1, cluster: uploadID)
        guard case .blob(let id) = r.stored else { throw CoreError.internalError("body kept inline") }
        return (id, r.size, r.digests)
    }

    /// UploadPartCopy: a byte range of an existing object becomes a part, with its checksum in the upload's algorithm.
    /// A sealed source is opened with `sourceCipher`; with `cipher` (the upload's key) the part is sealed.
    public func uploadPartCopy(bucket: String, key: String, uploadID: String, partNumber: Int,
                               source: OpenObject, range: ClosedRange<Int64>?,
                               sourceCipher: ObjectCipher? = nil, cipher: ObjectCipher? = nil) async throws -> PartRecord {
        try validator.checkPartNumber(partNumber)
        let u = try await upload(bucket: bucket, key: key, uploadID: uploadID)
        let limit = validator.limits.maxPartSize
        let algorithm = MultipartChecksums.partAlgorithm(u)
        let box = HasherBox(algorithm ?? MultipartChecksums.defaultAlgorithm)
        let source = TappedBody(source.chunks(range: range, cipher: sourceCipher)) { chunk in chunk.withUnsafeReadableBytes { box.hasher.update($0) } }
        let written = try await writePart(MD5Body(source), cipher: cipher, uploadID: uploadID, partNumber: partNumber, limit: limit)
        let checksums = algorithm.map { [$0.rawValue: box.hasher.finalizeBase64()] } ?? [:]
        let part = PartRecord(partNumber: partNumber, blob: written.blob, size: written.size,
                              etag: cipher?.etag(md5: written.digests.md5) ?? Hex.encode(written.digests.md5),
                              lastModified: Date(), checksums: checksums)
        try await commitPart(part, uploadID: uploadID)
        return part
    }

    func commitPart(_ part: PartRecord, uploadID: String) async throws {
        do {
            try await metadata.putPart(uploadID: uploadID, part: part)
        } catch {
            // Aborted or completed while the body streamed, or the store unavailable: the blob must not outlive the failure.
            await discardUncommitted([part.blob], after: error)
            throw error
        }
        collectGarbage()
    }

    public func listParts(bucket: String, key: String, uploadID: String, after marker: Int, maxParts: Int) async throws
        -> (upload: UploadRecord, parts: [PartRecord], isTruncated: Bool) {
        let u = try await upload(bucket: bucket, key: key, uploadID: uploadID)
        let parts = try await metadata.parts(uploadID: uploadID, afterPartNumber: marker, limit: maxParts + 1)
        return (u, Array(parts.prefix(maxParts)), parts.count > maxParts)
    }

    /// CompleteMultipartUpload: validates the client's list, then in one transaction makes the object
    /// a manifest of the part blobs (no data copied), frees unlisted parts and removes the upload.
    /// The object's checksum (COMPOSITE or FULL_OBJECT) is built from the part checksums (`MultipartChecksums`);
    /// `checksums` carries what the request said about them, each part's own checksum lands on its segment.
    /// An upload whose write gave no retention gets the bucket's default retention, counted from now: the
    /// object version comes to be at its completion.
    public func completeMultipartUpload(bucket: String, key: String, uploadID: String,
                                        parts requested: [(partNumber: Int, etag: String)],
                                        checksums request: CompletionChecksums = CompletionChecksums(),
                                        checksumCheck: (@Sendable ([PartRecord]) throws -> [String: String])? = nil,
                                        condition: WriteCondition? = nil) async throws -> ObjectRecord {
        let u = try await upload(bucket: bucket, key: key, uploadID: uploadID)
        try await checkAtStart(condition, bucket: bucket, key: key)
        try MultipartChecksums.checkCompletionType(u, request.type)
        let validator = self.validator
        // Taken before the transaction: `assemble` runs inside it and must not wait.
        let version = try await metadata.nextVersion()
        let bucketLock = try await objectLock(bucket: bucket)
        let digest = CompletedUpload.partListDigest(requested)
        let record = try await metadata.completeUpload(uploadID: uploadID, condition: condition, partListDigest: digest) { stored in
            let chosen = try validator.validateCompletion(requested: requested, stored: stored)
            let objectChecksum = try MultipartChecksums.complete(upload: u, chosen: chosen, requested: request.parts)
            try MultipartChecksums.checkExpected(request.object, computed: objectChecksum, upload: u)
            var segments: [Segment] = []
            segments.reserveCapacity(chosen.count)
            var offset: Int64 = 0
            let partValues = objectChecksum?.partValues
            for i in chosen.indices {   // by index: no PartRecord copies
                segments.append(Segment(blob: chosen[i].blob, size: chosen[i].size, offset: offset, partNumber: chosen[i].partNumber,
                                        checksum: partValues?[i]))
                offset += chosen[i].size
            }
            if let expectedSize = request.objectSize, expectedSize != offset {
                throw CoreError("InvalidRequest", "The provided 'x-amz-mp-object-size' header value \(expectedSize) does not match what was computed: \(offset)")
            }
            var attrs = u.attributes
            attrs.checksums = objectChecksum.map { [$0.algorithm.rawValue: $0.value] } ?? [:]
            attrs.checksumType = objectChecksum?.type.rawValue
            if let checksumCheck {
                attrs.checksums = try checksumCheck(chosen)
            }
            let now = Date()
            let object = ObjectRecord(bucket: bucket, key: key, version: version, size: offset,
                                      etag: PartValidator.multipartETag(chosen), lastModified: now,
                                      attributes: bucketLock?.newVersion(attrs, created: now) ?? attrs, partsCount: chosen.count)
            return (object, segments)
        }
        collectGarbage()
        return record
    }

    /// How long a completion is remembered for `completedUpload` (the upload sweeper forgets older ones):
    /// one day, the least S3 promises a retried CompleteMultipartUpload.
    public static let completedUploadRetention: TimeInterval = 86_400

    /// A CompleteMultipartUpload sent again after it succeeded (its answer lost): the first completion's
    /// result when `uploadID` was completed into this bucket and key with the same part list, and
    /// NoSuchUpload otherwise (no such completion, or another part list: nothing is changed either way).
    public func completedUpload(bucket: String, key: String, uploadID: String,
                                parts requested: [(partNumber: Int, etag: String)]) async throws -> CompletedUpload {
        guard let done = try await metadata.completedUpload(id: uploadID),
              Array(done.bucket.utf8) == Array(bucket.utf8), Array(done.key.utf8) == Array(key.utf8),
              done.partListDigest == CompletedUpload.partListDigest(requested) else {
            throw CoreError.noSuchUpload(uploadID)
        }
        return done
    }

    /// Forgets completions older than `completedUploadRetention` before `now` (the upload sweeper); returns how many.
    public func forgetCompletedUploads(now: Date = Date()) async throws -> Int {
        try await metadata.forgetCompletedUploads(completedBefore: now.addingTimeInterval(-Self.completedUploadRetention))
    }

    public func abortMultipartUpload(bucket: String, key: String, uploadID: String) async throws {
        _ = try await upload(bucket: bucket, key: key, uploadID: uploadID)
        try await metadata.abortUpload(uploadID: uploadID)
        collectGarbage()
    }

    /// ListMultipartUploads: sorted by key then initiation; markers are positions, not existing keys.
    public func listMultipartUploads(bucket: String, prefix: String, delimiter: String?, keyMarker: String?,
                                     uploadIDMarker: String?, maxUploads: Int) async throws -> ListingPage<UploadSummary> {
        _ = try await self.bucket(bucket)
        let prefixBytes = Array(prefix.utf8)
        var start: ScanStart?
        if let keyMarker, !keyMarker.isEmpty {
            if let id = uploadIDMarker, !id.isEmpty {
                start = .afterUpload(key: Array(keyMarker.utf8), uploadID: id)
            } else {
                start = .afterKey(Array(keyMarker.utf8))
            }
        }
        return try await Listing.list(prefix: prefix, delimiter: delimiter, start: start, marker: keyMarker, maxKeys: maxUploads,
                                      key: { $0.key }, resumeAfter: { .afterUpload(key: Array($0.key.utf8), uploadID: $0.uploadID) },
                                      fetch: { pos, limit in try await metadata.scanUploads(bucket: bucket, prefix: prefixBytes, start: pos, limit: limit) })
    }

    /// Aborts uploads initiated before `date` (the incomplete-upload sweeper); returns how many this call
    /// aborted. An upload gone since its batch was read (completed or aborted by a client, or aborted by
    /// another gateway's sweeper on shared metadata) is not counted; any other failure is thrown.
    public func abortUploads(initiatedBefore date: Date, where keep: (UploadRecord) -> Bool = { _ in true }) async throws -> Int {
        var n = 0
        defer { if n > 0 { collectGarbage() } }
        while true {
            let batch = try await metadata.uploads(initiatedBefore: date, limit: 500)
            let chosen = batch.filter(keep)
            for u in chosen {
                do {
                    try await metadata.abortUpload(uploadID: u.uploadID)
                    n += 1
                } catch let e as CoreError where e.code == "NoSuchUpload" {
                    continue
                }
            }
            if batch.count < 500 || chosen.isEmpty { break }
        }
        return n
    }
}
