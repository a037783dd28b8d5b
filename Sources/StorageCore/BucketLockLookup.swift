/// How a write finds its bucket's Object Lock configuration, which gives the new version its default
/// retention (`BucketObjectLock.newVersion`): read from the store when the version is made, or passed by a
/// caller that has just read it (the S3 front end reads it to check the request's lock headers), saving a
/// query on the write path.
public enum BucketLockLookup: Sendable {
    case read
    case known(BucketObjectLock?)
}
