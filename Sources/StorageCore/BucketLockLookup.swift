/// How a write finds its bucket, and the Object Lock configuration that gives the new version its default
/// retention (`BucketObjectLock.newVersion`): read from the store when the write starts, or passed by a
/// caller that has just read both together (`Storage.bucketSettings`; the S3 front end reads them to check
/// the request's lock headers), saving the write path two queries.
public enum BucketLockLookup: Sendable {
    /// The write checks that the bucket exists (NoSuchBucket) and reads its configuration.
    case read
    /// The caller read the bucket (it exists) and this, its configuration, in one `bucketSettings` read.
    case known(BucketObjectLock?)
}
