import Foundation
import GatewayHTTP
import HTTPTypes
import Hummingbird
import SigV4
import StorageCore

/// PutObject: streams the body through the digest pipeline into the core.
extension S3Service {
    func putObject(_ bucket: String, _ key: String, s3: S3Request, body: RequestBody, auth: VerifiedAuth) async throws -> Response {
        var attributes = try await newObjectAttributes(s3, bucket: bucket)
        try requireLength(s3)
        let settings = try await writeSettings(bucket)
        if try ObjectLockHeaders.apply({ s3.header($0) }, to: &attributes, bucketLock: settings.lock) { try ObjectLockHeaders.requireDigest(s3) }
        // Without a client checksum the object still gets one: CRC64NVME, as S3 does since 2025.
        let pipeline = try RequestBodyPipeline(s3: s3, auth: auth, extra: .ifNoneDeclared(MultipartChecksums.defaultAlgorithm))
        let condition = try WriteConditionHeaders.parse(s3)
        let sealing = try await newObjectKey(s3, bucketDefault: { try settings.defaultEncryption() })
        attributes.encryption = sealing?.encryption
        let charge = try await TicketCharge.charge(s3, storage: storage, bytes: try ticketLength(s3), files: 1)
        let record = try await TicketCharge.paying(charge) {
            try await storage.putObject(bucket: bucket, key: key, attributes: attributes, body: pipeline.wrap(try ticketChecked(body, s3)),
                                        condition: condition, cipher: sealing?.cipher, lock: .known(settings.lock))
        }
        var headers = HTTPFields()
        headers[.eTag] = "\"\(record.etag)\""
        Self.addEncryption(record.attributes.encryption, customer: try customerKey(s3), to: &headers)
        if record.versioned { headers[Self.versionIDHeader] = record.versionID }
        ObjectHeaders.addChecksums(record.attributes.checksums, to: &headers, type: record.attributes.checksumType)
        return Response(status: .ok, headers: headers)
    }

    /// S3 needs to know how the body's length is given: Content-Length, aws-chunked's decoded length, or
    /// plain chunked transfer encoding (`DeclaredLength`).
    func requireLength(_ s3: S3Request) throws {
        try DeclaredLength.require(contentLength: s3.header("content-length"),
                                   decodedContentLength: s3.header("x-amz-decoded-content-length"),
                                   transferEncoding: s3.header("transfer-encoding"))
    }
}

extension ObjectHeaders {
    /// The attributes a write's headers set, x-amz-tagging's tags included (CopyObject decides its tags
    /// by x-amz-tagging-directive).
    static func attributes(from s3: S3Request) throws -> ObjectAttributes {
        var metadata: [(name: String, value: String)] = []
        for f in s3.headers where f.name.canonicalName.hasPrefix("x-amz-meta-") { metadata.append((f.name.canonicalName, f.value)) }
        // A header sent twice is one comma-joined value, as HTTP folds it.
        var attributes = try attributes(value: { s3.header($0) }, metadata: metadata, repeated: { $0 + "," + $1 })
        attributes.tags = try TaggingHeader.tags(s3)
        return attributes
    }
}
