import S3XML
import StorageCore

/// What a write into a bucket (PutObject, CopyObject, PostObject) needs of it before the body is read, in
/// one read of the store: that it exists, its Object Lock configuration (to check the request's lock headers
/// and give the default retention) and its default encryption document (parsed only when the request names
/// no encryption of its own, as before: a damaged document fails only the writes that would use it).
struct BucketWriteSettings {
    let bucket: String
    let lock: BucketObjectLock?
    let encryptionDocument: String?

    /// The bucket's default encryption; nil without one.
    func defaultEncryption() throws -> ServerSideEncryptionConfiguration? {
        try S3Service.defaultEncryption(stored: encryptionDocument, bucket: bucket)
    }
}

extension S3Service {
    /// The write settings of `bucket`; NoSuchBucket when it does not exist.
    func writeSettings(_ bucket: String) async throws -> BucketWriteSettings {
        let settings = try await storage.bucketSettings(bucket, configs: [BucketObjectLock.configName, Self.encryptionConfig])
        return BucketWriteSettings(bucket: bucket, lock: try settings.objectLock(), encryptionDocument: settings.configs[Self.encryptionConfig])
    }
}
