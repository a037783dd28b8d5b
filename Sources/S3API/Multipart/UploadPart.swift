import GatewayHTTP
import HTTPTypes
import Hummingbird
import S3XML
import SigV4
import StorageCore

/// UploadPart (PUT ?partNumber=N&uploadId=U) and UploadPartCopy (the same with x-amz-copy-source).
extension S3Service {
    func uploadPart(_ bucket: String, _ key: String, partNumber n: Int, uploadID id: String, s3: S3Request, body: RequestBody,
                    auth: VerifiedAuth) async throws -> Response {
        try requireLength(s3)
        if let raw = s3.header("content-length"), let length = Int64(raw) { try storage.validator.checkPartSize(length) }
        // Every part gets a checksum in the upload's algorithm (CRC64NVME when it has none), sent or not;
        // a checksum the client sends must use that algorithm.
        try storage.validator.checkPartNumber(n)
        let upload = try await storage.upload(bucket: bucket, key: key, uploadID: id)
        try await ObjectLockHeaders.requirePartDigest(s3, upload: upload) { try await storage.objectLock(bucket: bucket) }
        let algorithm = MultipartChecksums.partAlgorithm(upload)
        let pipeline = try RequestBodyPipeline(s3: s3, auth: auth, extra: algorithm.map { .always($0) } ?? .none)
        try MultipartChecksums.checkPartAlgorithm(upload, declared: pipeline.declaredAlgorithm)
        // SSE-C: each part must name the upload's key (none: 400, another: 403).
        let customer = try customerKey(s3)
        let cipher = try self.cipher(for: upload.attributes.encryption, customer: customer)
        let charge = try await TicketCharge.charge(s3, storage: storage, bytes: try ticketLength(s3), files: 0)
        let part = try await TicketCharge.paying(charge) {
            try await storage.uploadPart(bucket: bucket, key: key, uploadID: id, partNumber: n, body: pipeline.wrap(try ticketChecked(body, s3)),
                                         cipher: cipher)
        }
        var headers = HTTPFields()
        Self.addEncryption(upload.attributes.encryption, customer: customer, to: &headers)
        headers[.eTag] = "\"\(part.etag)\""
        ObjectHeaders.addChecksums(part.checksums, to: &headers)
        return Response(status: .ok, headers: headers)
    }

    func uploadPartCopy(_ bucket: String, _ key: String, partNumber n: Int, uploadID id: String, s3: S3Request) async throws -> Response {
        let source = try await openCopySource(s3)
        let range = try s3.header("x-amz-copy-source-range").map { try CopySourceRange.parse($0, sourceSize: source.record.size) }
        let upload = try await storage.upload(bucket: bucket, key: key, uploadID: id)
        let part = try await storage.uploadPartCopy(bucket: bucket, key: key, uploadID: id, partNumber: n, source: source, range: range,
                                                    sourceCipher: try cipher(for: source.record.attributes.encryption,
                                                                             customer: try customerKey(s3, copySource: true)),
                                                    cipher: try cipher(for: upload.attributes.encryption, customer: try customerKey(s3)))
        var w = XMLWriter(root: "CopyPartResult")
        w.element("LastModified", S3Time.iso8601(part.lastModified))
        w.element("ETag", "\"\(part.etag)\"")
        for (alg, value) in part.checksums.sorted(by: { $0.key < $1.key }) { w.element("Checksum" + alg, value) }
        var headers = HTTPFields()
        Self.addEncryption(upload.attributes.encryption, customer: try customerKey(s3), to: &headers)
        if source.record.versioned { headers[Self.copySourceVersionIDHeader] = source.record.versionID }
        return xml(w.finish(), headers: headers)
    }
}
