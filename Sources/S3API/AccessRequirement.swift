import StorageCore

/// What an operation needs its caller to be granted (see `S3Endpoint.requirement`).
enum AccessRequirement: Equatable {
    /// Nothing: answered to anyone (CORS preflights, the upload page).
    case anyone
    /// A signed request, from any user (ListBuckets, CreateBucket).
    case authenticated
    /// The bucket's owner, or whom its policy allows (bucket configuration, DeleteBucket).
    case bucketOwner
    /// The bucket's owner alone, whatever its policy says (Put/DeleteBucketPolicy).
    case bucketOwnerOnly
    /// The bucket's owner, or a grant of this permission in the bucket's ACL.
    case bucket(Permission)
    /// The bucket's owner, the object's owner, or a grant of this permission in the object's ACL.
    case object(Permission)
}
