import Foundation
#if canImport(Glibc)
import Glibc
#endif
import S3Client
import WireFormats

/// One local file to one S3 key, resumable: a multipart upload whose ID is kept in a `ResumeRecord` until it
/// completes. Run again after an interruption, it finds the unfinished upload (the record, confirmed by
/// ListMultipartUploads; without a record, the newest upload of the key whose parts match the file), checks every
/// part the server holds against the local MD5 of that range, and sends only the parts missing or different.
/// The final ETag must equal the multipart ETag computed locally.
public struct FileUpload: Sendable {
    public struct Record: Codable, Sendable {
        var endpoint: String
        var bucket: String
        var key: String
        var source: String
        var size: Int64
        var modified: Double
        var partSize: Int64
        var uploadId: String
    }

    public struct Outcome: Sendable {
        public var etag: String
        public var bytesSent: Int64
        public var bytesResumed: Int64
        public var resumedUploadId: String?
    }

    public let client: S3Client
    public let source: String
    public let bucket: String
    public let key: String
    public var requestedPartSize: Int64 = PartPlan.defaultPartSize
    public var jobs = 4
    public var contentType: String?

    public init(client: S3Client, source: String, bucket: String, key: String) {
        self.client = client
        self.source = source
        self.bucket = bucket
        self.key = key
    }

    public func run(progress: TransferProgress, environment: [String: String] = ProcessInfo.processInfo.environment) async throws -> Outcome {
        let file = try LocalFile(source)
        let fd = file.descriptor
        let size = file.size
        let plan = PartPlan(fileSize: size, requestedPartSize: requestedPartSize)
        progress.add(total: size)
        progress.working(on: file.name)

        if plan.isSinglePut {
            let md5 = try LocalDigests.md5(descriptor: fd, offset: 0, length: size)
            let etag = try await retrying {
                try await client.putObject(bucket: bucket, key: key, body: FileRangeBody(descriptor: fd, offset: 0, length: size),
                                           md5Base64: Data(md5).base64EncodedString(), contentType: contentType)
            }
            guard LocalDigests.bare(etag) == Hex.encode(md5) else {
                throw TransferError("s3://\(bucket)/\(key): the server's ETag \(etag) is not the file's MD5 \(Hex.encode(md5))")
            }
            progress.sent(size)
            return Outcome(etag: etag, bytesSent: size, bytesResumed: 0, resumedUploadId: nil)
        }

        let record = ResumeRecord<Record>.upload(source: file.path, destination: "\(client.endpoint.absoluteString) \(bucket)/\(key)",
                                                  environment: environment)
        let md5s = try file.partMD5s(plan)
        let (uploadId, kept) = try await findOrCreate(record: record, plan: plan, file: file, md5s: md5s)
        var resumed: Int64 = 0
        for n in kept.sorted() { resumed += plan.range(of: n).length }
        progress.skipped(resumed)

        // The missing parts, `jobs` at a time.
        var etags: [Int: String] = [:]
        for n in kept { etags[n] = LocalDigests.singleETag(md5s[n - 1]) }
        var sent: Int64 = 0
        try await forEach((1...plan.partCount).filter { !kept.contains($0) }, atMost: jobs) { [client, bucket, key] n in
            let r = plan.range(of: n)
            let md5 = md5s[n - 1]
            let etag = try await retrying {
                try await client.uploadPart(bucket: bucket, key: key, uploadId: uploadId, partNumber: n,
                                            body: FileRangeBody(descriptor: file.descriptor, offset: r.offset, length: r.length),
                                            md5Base64: Data(md5).base64EncodedString())
            }
            guard LocalDigests.bare(etag) == Hex.encode(md5) else {
                throw TransferError("part \(n): the server's ETag \(etag) is not the part's MD5 \(Hex.encode(md5))")
            }
            progress.sent(r.length)
            return (n, etag)
        } collect: { n, etag in
            etags[n] = etag
            sent += plan.range(of: n).length
        }
        let parts = (1...plan.partCount).map { (number: $0, etag: etags[$0]!) }
        let etag = try await retrying {
            try await client.completeMultipartUpload(bucket: bucket, key: key, uploadId: uploadId, parts: parts)
        }
        let expected = LocalDigests.multipartETag(md5s)
        guard LocalDigests.bare(etag) == LocalDigests.bare(expected) else {
            throw TransferError("s3://\(bucket)/\(key): the completed object's ETag \(etag) is not the file's multipart ETag \(expected)")
        }
        try record.remove()
        return Outcome(etag: etag, bytesSent: sent, bytesResumed: resumed, resumedUploadId: kept.isEmpty ? nil : uploadId)
    }

    /// The upload to continue and the parts it already holds that match the file, or a new upload.
    private func findOrCreate(record: ResumeRecord<Record>, plan: PartPlan, file: LocalFile, md5s: [[UInt8]]) async throws -> (String, Set<Int>) {
        let (size, modified, path) = (file.size, file.modified, file.path)
        let open = try await client.listMultipartUploads(bucket: bucket, key: key)
        var candidates: [String] = []
        if let saved = try record.load(), saved.size == size, saved.modified == modified, saved.partSize == plan.partSize,
           saved.bucket == bucket, Array(saved.key.utf8) == Array(key.utf8), open.contains(where: { $0.uploadId == saved.uploadId }) {
            candidates.append(saved.uploadId)
        } else {
            // No record (or one for another version of the file): the newest unfinished uploads of this key.
            candidates += open.sorted { $0.initiated > $1.initiated }.map(\.uploadId)
        }
        for uploadId in candidates {
            let held = try await client.listParts(bucket: bucket, key: key, uploadId: uploadId)
            // Parts cut another way are another upload's; a part whose bytes differ is simply sent again.
            guard held.allSatisfy({ $0.partNumber >= 1 && $0.partNumber <= plan.partCount && $0.size == plan.range(of: $0.partNumber).length })
            else { continue }
            let kept = Set(held.filter { LocalDigests.bare($0.etag) == Hex.encode(md5s[$0.partNumber - 1]) }.map(\.partNumber))
            if candidates.count > 1 && kept.isEmpty && !held.isEmpty { continue }
            try record.save(Record(endpoint: client.endpoint.absoluteString, bucket: bucket, key: key, source: path, size: size,
                                   modified: modified, partSize: plan.partSize, uploadId: uploadId))
            return (uploadId, kept)
        }
        let uploadId = try await retrying { try await client.createMultipartUpload(bucket: bucket, key: key, contentType: contentType) }
        try record.save(Record(endpoint: client.endpoint.absoluteString, bucket: bucket, key: key, source: path, size: size,
                               modified: modified, partSize: plan.partSize, uploadId: uploadId))
        return (uploadId, [])
    }
}

/// Up to three more tries, with a growing pause, for answers that say the server (not the request) failed.
func retrying<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
    var attempt = 0
    while true {
        do {
            return try await body()
        } catch let error as S3ClientError where error.isRetryable && attempt < 3 {
            attempt += 1
        } catch let error as TransferError {
            throw error
        } catch where !(error is S3ClientError) && !(error is FileReadError) && attempt < 3 {
            attempt += 1  // a dropped connection or timeout
        }
        try await Task.sleep(for: .milliseconds(200 << attempt))
    }
}
