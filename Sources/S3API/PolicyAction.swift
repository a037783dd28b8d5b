/// The `s3:` action a bucket policy names each operation by, and the resource it acts on (IAM's names for
/// S3; nil where a bucket policy does not apply).
extension S3Endpoint {
    func policyAction(versioned: Bool) -> String? {
        switch self {
        case .listBuckets, .createBucket, .corsPreflight, .uploadPage, .ticketStatus, .notImplemented: return nil
        case .headBucket, .listObjects, .listObjectsV2: return "s3:ListBucket"
        case .listObjectVersions: return "s3:ListBucketVersions"
        case .listMultipartUploads: return "s3:ListBucketMultipartUploads"
        case .getBucketLocation: return "s3:GetBucketLocation"
        case .deleteBucket: return "s3:DeleteBucket"
        case .getBucketLifecycle: return "s3:GetLifecycleConfiguration"
        case .putBucketLifecycle, .deleteBucketLifecycle: return "s3:PutLifecycleConfiguration"
        case .getBucketVersioning: return "s3:GetBucketVersioning"
        case .putBucketVersioning: return "s3:PutBucketVersioning"
        case .getBucketCors: return "s3:GetBucketCORS"
        case .putBucketCors, .deleteBucketCors: return "s3:PutBucketCORS"
        case .getBucketAcl: return "s3:GetBucketAcl"
        case .putBucketAcl: return "s3:PutBucketAcl"
        case .getBucketPolicy: return "s3:GetBucketPolicy"
        case .putBucketPolicy: return "s3:PutBucketPolicy"
        case .deleteBucketPolicy: return "s3:DeleteBucketPolicy"
        case .getBucketPolicyStatus: return "s3:GetBucketPolicyStatus"
        case .getPublicAccessBlock: return "s3:GetBucketPublicAccessBlock"
        case .putPublicAccessBlock, .deletePublicAccessBlock: return "s3:PutBucketPublicAccessBlock"
        case .getBucketOwnershipControls: return "s3:GetBucketOwnershipControls"
        case .putBucketOwnershipControls, .deleteBucketOwnershipControls: return "s3:PutBucketOwnershipControls"
        case .getBucketDefault(_, let sub): return "s3:GetBucket" + sub.prefix(1).uppercased() + sub.dropFirst()
        case .putObject, .copyObject, .postObject, .createMultipartUpload, .uploadPart, .uploadPartCopy, .completeMultipartUpload:
            return "s3:PutObject"
        case .getObject, .headObject: return versioned ? "s3:GetObjectVersion" : "s3:GetObject"
        case .getObjectAttributes: return versioned ? "s3:GetObjectVersionAttributes" : "s3:GetObjectAttributes"
        case .deleteObject, .deleteObjects: return versioned ? "s3:DeleteObjectVersion" : "s3:DeleteObject"
        case .getObjectAcl: return versioned ? "s3:GetObjectVersionAcl" : "s3:GetObjectAcl"
        case .putObjectAcl: return versioned ? "s3:PutObjectVersionAcl" : "s3:PutObjectAcl"
        case .getObjectTagging: return versioned ? "s3:GetObjectVersionTagging" : "s3:GetObjectTagging"
        case .getBucketEncryption: return "s3:GetEncryptionConfiguration"
        case .putBucketEncryption, .deleteBucketEncryption: return "s3:PutEncryptionConfiguration"
        case .getBucketTagging: return "s3:GetBucketTagging"
        case .putBucketTagging, .deleteBucketTagging: return "s3:PutBucketTagging"
        case .getObjectLockConfiguration: return "s3:GetBucketObjectLockConfiguration"
        case .putObjectLockConfiguration: return "s3:PutBucketObjectLockConfiguration"
        case .putObjectTagging: return versioned ? "s3:PutObjectVersionTagging" : "s3:PutObjectTagging"
        case .deleteObjectTagging: return versioned ? "s3:DeleteObjectVersionTagging" : "s3:DeleteObjectTagging"
        case .getObjectRetention: return "s3:GetObjectRetention"
        case .putObjectRetention: return "s3:PutObjectRetention"
        case .getObjectLegalHold: return "s3:GetObjectLegalHold"
        case .putObjectLegalHold: return "s3:PutObjectLegalHold"
        case .listParts: return "s3:ListMultipartUploadParts"
        case .abortMultipartUpload: return "s3:AbortMultipartUpload"
        }
    }

    /// The ARN a policy's Resource is matched with: the object's for object operations, else the bucket's.
    /// (DeleteObjects is checked key by key by its handler.)
    var policyResource: String? {
        guard let bucket else { return nil }
        return objectKey.map { PolicyRequest.objectARN(bucket, $0) } ?? PolicyRequest.bucketARN(bucket)
    }

    /// The key of an operation on one object; nil for the others.
    var objectKey: String? {
        switch self {
        case .putObject(_, let k), .copyObject(_, let k), .getObject(_, let k), .headObject(_, let k), .deleteObject(_, let k),
             .getObjectAcl(_, let k), .putObjectAcl(_, let k), .getObjectTagging(_, let k), .getObjectAttributes(_, let k),
             .putObjectTagging(_, let k), .deleteObjectTagging(_, let k), .getObjectRetention(_, let k), .putObjectRetention(_, let k),
             .getObjectLegalHold(_, let k), .putObjectLegalHold(_, let k),
             .createMultipartUpload(_, let k), .uploadPart(_, let k, _, _), .uploadPartCopy(_, let k, _, _), .listParts(_, let k, _),
             .completeMultipartUpload(_, let k, _), .abortMultipartUpload(_, let k, _):
            return k
        default:
            return nil
        }
    }
}
