import Hummingbird
import S3XML
import SigV4
import StorageCore

/// Get/Put/DeleteBucketTagging. The tag set (up to 50 tags, S3's rules) is validated, then stored as the
/// document Tessera writes back in the bucket's sub-resources; a bucket without one answers 404 NoSuchTagSet.
extension S3Service {
    static let taggingConfig = "tagging"

    func getBucketTagging(_ bucket: String) async throws -> Response {
        _ = try await storage.bucket(bucket)
        guard let document = try await storage.metadata.bucketConfig(bucket: bucket, name: Self.taggingConfig) else {
            throw CoreError("NoSuchTagSet", "The TagSet does not exist", details: [.init("BucketName", bucket)])
        }
        // A stored document that no longer parses is a damaged row: refused loudly, never read as no tags.
        do {
            _ = try S3RequestXML.tagging(Array(document.utf8))
        } catch {
            throw CoreError.internalError("the stored tag set of bucket \(bucket) is damaged: \(String(describing: error))")
        }
        return xml(document)
    }

    func putBucketTagging(_ bucket: String, s3: S3Request, body: RequestBody, auth: VerifiedAuth) async throws -> Response {
        _ = try await storage.bucket(bucket)
        let document = try await readSmallBody(body, s3: s3, auth: auth)
        let sent = try S3RequestXML.tagging(document).map { ObjectTag(key: $0.key, value: $0.value) }
        let tags = try ObjectTag.validated(sent, for: .bucket)
        try await storage.metadata.setBucketConfig(bucket: bucket, name: Self.taggingConfig,
                                                   value: S3RequestXML.taggingDocument(tags.map { ($0.key, $0.value) }))
        return Response(status: .noContent)
    }

    func deleteBucketTagging(_ bucket: String) async throws -> Response {
        _ = try await storage.bucket(bucket)
        try await storage.metadata.setBucketConfig(bucket: bucket, name: Self.taggingConfig, value: nil)
        return Response(status: .noContent)
    }
}
