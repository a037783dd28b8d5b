import Hummingbird
import S3XML
import SigV4
import StorageCore

/// Get/Put/DeleteBucketEncryption: the bucket's default encryption (SSE-S3 only). The configuration is
/// validated, then stored as the document Tessera writes back, in the bucket's sub-resources, so every
/// gateway over the same metadata applies it; it is read by each write that names no encryption itself.
extension S3Service {
    package static let encryptionConfig = "encryption"

    func getBucketEncryption(_ bucket: String) async throws -> Response {
        _ = try await storage.bucket(bucket)
        guard let document = try await storage.metadata.bucketConfig(bucket: bucket, name: Self.encryptionConfig) else {
            throw CoreError("ServerSideEncryptionConfigurationNotFoundError", "The server side encryption configuration was not found",
                            details: [.init("BucketName", bucket)])
        }
        return xml(document)
    }

    /// SSE-KMS is NotImplemented; SSE-S3 needs the master key (a default this gateway could not apply is refused).
    func putBucketEncryption(_ bucket: String, s3: S3Request, body: RequestBody, auth: VerifiedAuth) async throws -> Response {
        _ = try await storage.bucket(bucket)
        let configuration = try S3RequestXML.serverSideEncryptionConfiguration(try await readSmallBody(body, s3: s3, auth: auth))
        _ = try Self.requestsSSES3(configuration.sseAlgorithm, name: "SSEAlgorithm")
        guard masterKey != nil else { throw Self.noMasterKey }
        try await storage.metadata.setBucketConfig(bucket: bucket, name: Self.encryptionConfig,
                                                   value: S3RequestXML.serverSideEncryptionConfigurationDocument(configuration))
        return Response(status: .ok)
    }

    func deleteBucketEncryption(_ bucket: String) async throws -> Response {
        _ = try await storage.bucket(bucket)
        try await storage.metadata.setBucketConfig(bucket: bucket, name: Self.encryptionConfig, value: nil)
        return Response(status: .noContent)
    }

    /// The bucket's default encryption, nil when it has none (or the bucket does not exist). A stored
    /// document that no longer parses is a damaged row: refused loudly, never read as "no encryption".
    func bucketDefaultEncryption(_ bucket: String) async throws -> ServerSideEncryptionConfiguration? {
        try Self.defaultEncryption(stored: try await storage.metadata.bucketConfig(bucket: bucket, name: Self.encryptionConfig), bucket: bucket)
    }

    /// The default encryption a stored document gives (nil for none); a damaged one is refused as above.
    static func defaultEncryption(stored document: String?, bucket: String) throws -> ServerSideEncryptionConfiguration? {
        guard let document else { return nil }
        do {
            return try S3RequestXML.serverSideEncryptionConfiguration(Array(document.utf8))
        } catch {
            throw CoreError.internalError("the stored encryption configuration of bucket \(bucket) is damaged: \(String(describing: error))")
        }
    }
}
