import StorageCore

extension S3Service {
    /// The record of the version a request names with `?versionId`, else the key's current object (HEAD's
    /// errors: NoSuchKey, NoSuchVersion, MethodNotAllowed for a delete marker by its ID).
    func requestedVersion(_ bucket: String, _ key: String, s3: S3Request) async throws -> ObjectRecord {
        if let raw = s3.query["versionId"] {
            return try await storage.headObject(bucket: bucket, key: key, version: try VersionID.parse(raw))
        }
        return try await storage.headObject(bucket: bucket, key: key)
    }
}
