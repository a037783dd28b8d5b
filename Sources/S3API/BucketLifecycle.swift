import Hummingbird
import S3XML
import SigV4
import StorageCore

/// Get/Put/DeleteBucketLifecycleConfiguration. The document is validated (S3XML's `lifecycleConfiguration`),
/// stored verbatim, and its rules drive the sweeper: AbortIncompleteMultipartUpload, and the expiry actions
/// (Expiration, ExpiredObjectDeleteMarker, NoncurrentVersionExpiration; see `VersionExpiry`).
extension S3Service {
    package static let lifecycleConfig = "lifecycle"

    func getBucketLifecycle(_ bucket: String) async throws -> Response {
        _ = try await storage.bucket(bucket)
        guard let doc = try await storage.metadata.bucketConfig(bucket: bucket, name: Self.lifecycleConfig) else {
            throw CoreError("NoSuchLifecycleConfiguration", "The lifecycle configuration does not exist", details: [.init("BucketName", bucket)])
        }
        return xml(doc)
    }

    func putBucketLifecycle(_ bucket: String, s3: S3Request, body: RequestBody, auth: VerifiedAuth) async throws -> Response {
        _ = try await storage.bucket(bucket)
        let document = try await readSmallBody(body, s3: s3, auth: auth)
        let rules = try S3RequestXML.lifecycleConfiguration(document)
        guard !rules.isEmpty, rules.count <= 1000 else {
            throw CoreError("MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema")
        }
        try await storage.metadata.setBucketConfig(bucket: bucket, name: Self.lifecycleConfig, value: String(decoding: document, as: UTF8.self))
        return Response(status: .ok)
    }

    func deleteBucketLifecycle(_ bucket: String) async throws -> Response {
        _ = try await storage.bucket(bucket)
        try await storage.metadata.setBucketConfig(bucket: bucket, name: Self.lifecycleConfig, value: nil)
        return Response(status: .noContent)
    }
}
