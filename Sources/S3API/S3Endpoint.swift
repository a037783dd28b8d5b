import AccessKeys
import GatewayHTTP
import StorageCore

/// Every S3 operation the gateway answers, with the parameters it acts on, resolved from the request
/// once (method, bucket, key, query, headers). Reading this enum tells a newcomer what the S3 front end
/// supports; each case's handler lives in a file named for the operation (or its family).
enum S3Endpoint: Equatable {
    // Service
    case listBuckets
    // Buckets
    case createBucket(bucket: String)
    case headBucket(bucket: String)
    case deleteBucket(bucket: String)
    case getBucketLocation(bucket: String)
    case listObjects(bucket: String)
    case listObjectsV2(bucket: String)
    case listObjectVersions(bucket: String)
    case deleteObjects(bucket: String)
    case listMultipartUploads(bucket: String)
    case getBucketLifecycle(bucket: String)
    case putBucketLifecycle(bucket: String)
    case deleteBucketLifecycle(bucket: String)
    case getBucketVersioning(bucket: String)
    case putBucketVersioning(bucket: String)
    case getBucketCors(bucket: String)
    case putBucketCors(bucket: String)
    case deleteBucketCors(bucket: String)
    case getBucketAcl(bucket: String)
    case putBucketAcl(bucket: String)
    case getBucketPolicy(bucket: String)
    case putBucketPolicy(bucket: String)
    case deleteBucketPolicy(bucket: String)
    case getBucketPolicyStatus(bucket: String)
    case getPublicAccessBlock(bucket: String)
    case putPublicAccessBlock(bucket: String)
    case deletePublicAccessBlock(bucket: String)
    case getBucketOwnershipControls(bucket: String)
    case putBucketOwnershipControls(bucket: String)
    case deleteBucketOwnershipControls(bucket: String)
    case getBucketTagging(bucket: String)
    case putBucketTagging(bucket: String)
    case deleteBucketTagging(bucket: String)
    case getObjectLockConfiguration(bucket: String)
    case putObjectLockConfiguration(bucket: String)
    case getBucketEncryption(bucket: String)
    case putBucketEncryption(bucket: String)
    case deleteBucketEncryption(bucket: String)
    /// A browser's CORS preflight (`OPTIONS` on a bucket or an object), answered before authentication.
    case corsPreflight(bucket: String, key: String?)
    /// GET /_tessera/upload (and its script and style sheet): the upload page, served to anyone.
    case uploadPage(asset: String)
    /// GET /_tessera/ticket: what is left of the upload ticket sent as a bearer token (the upload page shows it).
    case ticketStatus
    /// Bucket sub-resources answered as S3 does for a bucket without that configuration.
    case getBucketDefault(bucket: String, subresource: String)
    // Objects
    case putObject(bucket: String, key: String)
    case copyObject(bucket: String, key: String)
    case getObject(bucket: String, key: String)
    case headObject(bucket: String, key: String)
    case deleteObject(bucket: String, key: String)
    case getObjectAcl(bucket: String, key: String)
    case putObjectAcl(bucket: String, key: String)
    case getObjectTagging(bucket: String, key: String)
    case putObjectTagging(bucket: String, key: String)
    case deleteObjectTagging(bucket: String, key: String)
    case getObjectRetention(bucket: String, key: String)
    case putObjectRetention(bucket: String, key: String)
    case getObjectLegalHold(bucket: String, key: String)
    case putObjectLegalHold(bucket: String, key: String)
    case getObjectAttributes(bucket: String, key: String)
    /// Browser form upload: POST on a bucket with a multipart/form-data body (credentials in the form).
    case postObject(bucket: String)
    // Multipart
    case createMultipartUpload(bucket: String, key: String)
    case uploadPart(bucket: String, key: String, partNumber: Int, uploadID: String)
    case uploadPartCopy(bucket: String, key: String, partNumber: Int, uploadID: String)
    case listParts(bucket: String, key: String, uploadID: String)
    case completeMultipartUpload(bucket: String, key: String, uploadID: String)
    case abortMultipartUpload(bucket: String, key: String, uploadID: String)
    case notImplemented(String)

    /// Sub-resources a GET on a bucket may name, answered with S3's "not configured" reply.
    static let bucketDefaults: Set<String> = [
        "website", "logging", "notification",
        "replication", "requestPayment", "accelerate",
        "analytics", "inventory", "metrics", "intelligent-tiering",
    ]

    static let uploadPageBucket = "_tessera"

    /// Whether the request is a browser form upload, whose credentials are form fields (its handler
    /// verifies the policy signature); known before anything else is parsed.
    static func isPostObject(_ s3: S3Request) -> Bool {
        s3.method == "POST" && s3.bucket != nil && s3.key == nil && s3.query["delete"] == nil
            && (s3.header("content-type")?.lowercased().hasPrefix("multipart/form-data") ?? false)
    }

    /// The operation and its parameters. Throws S3's error for a parameter that is malformed
    /// (partNumber not an integer, an empty uploadId); ranges are the validator's.
    static func resolve(_ s3: S3Request, maxParts: Int) throws -> S3Endpoint {
        let query = s3.query
        let has = { (name: String) in query[name] != nil }
        guard let bucket = s3.bucket else {
            return s3.method == "GET" ? .listBuckets : .notImplemented("\(s3.method) /")
        }
        // `_` is in no bucket name: path-style /_tessera/… is the daemon's own pages.
        if bucket.utf8.elementsEqual(uploadPageBucket.utf8) && !s3.virtualHosted && (s3.method == "GET" || s3.method == "HEAD") {
            if s3.method == "GET" && (s3.key ?? "").utf8.elementsEqual("ticket".utf8) { return .ticketStatus }
            return .uploadPage(asset: s3.key ?? "")
        }
        if s3.method == "OPTIONS" { return .corsPreflight(bucket: bucket, key: s3.key) }
        guard let key = s3.key else {
            switch s3.method {
            case "PUT":
                if has("lifecycle") { return .putBucketLifecycle(bucket: bucket) }
                if has("versioning") { return .putBucketVersioning(bucket: bucket) }
                if has("cors") { return .putBucketCors(bucket: bucket) }
                if has("acl") { return .putBucketAcl(bucket: bucket) }
                if has("policy") { return .putBucketPolicy(bucket: bucket) }
                if has("publicAccessBlock") { return .putPublicAccessBlock(bucket: bucket) }
                if has("ownershipControls") { return .putBucketOwnershipControls(bucket: bucket) }
                if has("tagging") { return .putBucketTagging(bucket: bucket) }
                if has("object-lock") { return .putObjectLockConfiguration(bucket: bucket) }
                if has("encryption") { return .putBucketEncryption(bucket: bucket) }
                if let sub = bucketDefaults.first(where: has) { return .notImplemented("PUT ?\(sub)") }
                return .createBucket(bucket: bucket)
            case "HEAD": return .headBucket(bucket: bucket)
            case "DELETE":
                if has("lifecycle") { return .deleteBucketLifecycle(bucket: bucket) }
                if has("cors") { return .deleteBucketCors(bucket: bucket) }
                if has("policy") { return .deleteBucketPolicy(bucket: bucket) }
                if has("publicAccessBlock") { return .deletePublicAccessBlock(bucket: bucket) }
                if has("ownershipControls") { return .deleteBucketOwnershipControls(bucket: bucket) }
                if has("tagging") { return .deleteBucketTagging(bucket: bucket) }
                if has("encryption") { return .deleteBucketEncryption(bucket: bucket) }
                if let sub = bucketDefaults.first(where: has) { return .notImplemented("DELETE ?\(sub)") }
                return .deleteBucket(bucket: bucket)
            case "POST":
                if has("delete") { return .deleteObjects(bucket: bucket) }
                if isPostObject(s3) { return .postObject(bucket: bucket) }
                return .notImplemented("POST bucket")
            case "GET":
                if has("location") { return .getBucketLocation(bucket: bucket) }
                if has("uploads") { return .listMultipartUploads(bucket: bucket) }
                if has("lifecycle") { return .getBucketLifecycle(bucket: bucket) }
                if has("versioning") { return .getBucketVersioning(bucket: bucket) }
                if has("cors") { return .getBucketCors(bucket: bucket) }
                if has("acl") { return .getBucketAcl(bucket: bucket) }
                if has("policyStatus") { return .getBucketPolicyStatus(bucket: bucket) }
                if has("policy") { return .getBucketPolicy(bucket: bucket) }
                if has("publicAccessBlock") { return .getPublicAccessBlock(bucket: bucket) }
                if has("ownershipControls") { return .getBucketOwnershipControls(bucket: bucket) }
                if has("tagging") { return .getBucketTagging(bucket: bucket) }
                if has("object-lock") { return .getObjectLockConfiguration(bucket: bucket) }
                if has("encryption") { return .getBucketEncryption(bucket: bucket) }
                if let sub = bucketDefaults.first(where: has) { return .getBucketDefault(bucket: bucket, subresource: sub) }
                if has("versions") { return .listObjectVersions(bucket: bucket) }
                if query["list-type"] == "2" { return .listObjectsV2(bucket: bucket) }
                return .listObjects(bucket: bucket)
            default: return .notImplemented(s3.method)
            }
        }
        // A version named is "null" or one this gateway made; anything else is refused before anything is done.
        if let version = query["versionId"] { _ = try VersionID.parse(version) }
        switch s3.method {
        case "PUT":
            if has("uploadId") || has("partNumber") {
                let (n, id) = (try partNumber(query, maxParts: maxParts), try uploadID(query))
                return s3.header("x-amz-copy-source") != nil
                    ? .uploadPartCopy(bucket: bucket, key: key, partNumber: n, uploadID: id)
                    : .uploadPart(bucket: bucket, key: key, partNumber: n, uploadID: id)
            }
            if has("acl") { return .putObjectAcl(bucket: bucket, key: key) }
            if has("tagging") { return .putObjectTagging(bucket: bucket, key: key) }
            if has("retention") { return .putObjectRetention(bucket: bucket, key: key) }
            if has("legal-hold") { return .putObjectLegalHold(bucket: bucket, key: key) }
            return s3.header("x-amz-copy-source") != nil ? .copyObject(bucket: bucket, key: key) : .putObject(bucket: bucket, key: key)
        case "GET":
            if has("uploadId") { return .listParts(bucket: bucket, key: key, uploadID: try uploadID(query)) }
            if has("acl") { return .getObjectAcl(bucket: bucket, key: key) }
            if has("tagging") { return .getObjectTagging(bucket: bucket, key: key) }
            if has("attributes") { return .getObjectAttributes(bucket: bucket, key: key) }
            if has("retention") { return .getObjectRetention(bucket: bucket, key: key) }
            if has("legal-hold") { return .getObjectLegalHold(bucket: bucket, key: key) }
            if has("torrent") { return .notImplemented("GET object sub-resource") }
            return .getObject(bucket: bucket, key: key)
        case "HEAD": return .headObject(bucket: bucket, key: key)
        case "DELETE":
            if has("uploadId") { return .abortMultipartUpload(bucket: bucket, key: key, uploadID: try uploadID(query)) }
            if has("tagging") { return .deleteObjectTagging(bucket: bucket, key: key) }
            return .deleteObject(bucket: bucket, key: key)
        case "POST":
            if has("uploads") { return .createMultipartUpload(bucket: bucket, key: key) }
            if has("uploadId") { return .completeMultipartUpload(bucket: bucket, key: key, uploadID: try uploadID(query)) }
            return .notImplemented("POST object")
        default: return .notImplemented(s3.method)
        }
    }

    private static func partNumber(_ query: QueryParameters, maxParts: Int) throws -> Int {
        guard let raw = query["partNumber"], let n = Int(raw) else {
            throw CoreError.invalidArgument("Part number must be an integer between 1 and \(maxParts), inclusive",
                                            name: "partNumber", value: query["partNumber"] ?? "")
        }
        return n
    }

    private static func uploadID(_ query: QueryParameters) throws -> String {
        guard let id = query["uploadId"], !id.isEmpty else { throw CoreError.noSuchUpload("") }
        return id
    }

    /// What the caller's key must be allowed to do.
    var access: AccessKind {
        switch self {
        case .listBuckets, .ticketStatus, .headBucket, .getBucketLocation, .listObjects, .listObjectsV2, .listObjectVersions, .listMultipartUploads,
             .getBucketLifecycle, .getBucketVersioning, .getBucketCors, .getBucketEncryption, .getBucketDefault, .getBucketAcl, .getBucketPolicy, .getBucketPolicyStatus,
             .getPublicAccessBlock, .getBucketOwnershipControls, .getBucketTagging, .getObjectLockConfiguration, .getObject, .headObject,
             .getObjectAcl, .getObjectTagging, .getObjectAttributes, .listParts, .getObjectRetention, .getObjectLegalHold:
            return .read
        case .putObject, .copyObject, .deleteObject, .deleteObjects, .putObjectAcl, .putObjectTagging, .deleteObjectTagging, .putObjectRetention, .putObjectLegalHold, .postObject, .createMultipartUpload,
             .uploadPart, .uploadPartCopy, .completeMultipartUpload, .abortMultipartUpload, .notImplemented:
            return .write
        case .createBucket, .deleteBucket, .putBucketAcl, .putBucketPolicy, .deleteBucketPolicy, .putBucketLifecycle,
             .putPublicAccessBlock, .deletePublicAccessBlock, .putBucketOwnershipControls, .deleteBucketOwnershipControls, .deleteBucketLifecycle,
             .putBucketVersioning, .putBucketCors, .deleteBucketCors, .putBucketTagging, .deleteBucketTagging, .putObjectLockConfiguration,
             .putBucketEncryption, .deleteBucketEncryption:
            return .owner
        case .corsPreflight, .uploadPage:
            return .unauthenticated
        }
    }

    /// What the caller must be granted, beside what its key's scope allows (`access`): checked by
    /// `RequestAuthorizer` before the handler runs, the object's part by the handler once it has read the
    /// object (`ObjectAccessGate`).
    var requirement: AccessRequirement {
        switch self {
        case .corsPreflight, .uploadPage: return .anyone
        case .listBuckets, .createBucket, .notImplemented, .ticketStatus: return .authenticated
        case .headBucket, .getBucketLocation, .listObjects, .listObjectsV2, .listObjectVersions, .listMultipartUploads:
            return .bucket(.read)
        case .putObject, .copyObject, .deleteObject, .deleteObjects, .postObject, .createMultipartUpload, .uploadPart, .uploadPartCopy,
             .listParts, .completeMultipartUpload, .abortMultipartUpload:
            return .bucket(.write)
        case .getBucketAcl: return .bucket(.readACP)
        case .putBucketAcl: return .bucket(.writeACP)
        case .deleteBucket, .getBucketLifecycle, .putBucketLifecycle, .deleteBucketLifecycle, .getBucketVersioning, .putBucketVersioning,
             .getBucketCors, .putBucketCors, .deleteBucketCors, .getBucketDefault, .getBucketPolicy, .getBucketPolicyStatus:
            return .bucketOwner
        case .getPublicAccessBlock, .getBucketOwnershipControls:
            return .bucketOwner
        case .putBucketPolicy, .deleteBucketPolicy, .putPublicAccessBlock, .deletePublicAccessBlock, .putBucketOwnershipControls,
             .deleteBucketOwnershipControls:
            // Never granted by a policy: who could change these could grant themselves anything.
            return .bucketOwnerOnly
        case .getBucketTagging, .putBucketTagging, .deleteBucketTagging, .getObjectLockConfiguration, .putObjectLockConfiguration,
             .getBucketEncryption, .putBucketEncryption, .deleteBucketEncryption:
            return .bucketOwner
        case .getObject, .headObject, .getObjectAttributes, .getObjectTagging, .getObjectRetention, .getObjectLegalHold: return .object(.read)
        case .getObjectAcl: return .object(.readACP)
        case .putObjectAcl: return .object(.writeACP)
        // Tags are the writers' (bucket WRITE); retention and legal hold the owner's or whom the policy allows.
        case .putObjectTagging, .deleteObjectTagging: return .bucket(.write)
        case .putObjectRetention, .putObjectLegalHold: return .bucketOwner
        }
    }

    /// The bucket the operation acts on (nil for ListBuckets and unsupported requests).
    var bucket: String? {
        switch self {
        case .listBuckets, .notImplemented, .uploadPage, .ticketStatus: return nil
        case .createBucket(let b), .headBucket(let b), .deleteBucket(let b), .getBucketLocation(let b), .listObjects(let b),
             .listObjectsV2(let b), .listObjectVersions(let b), .deleteObjects(let b), .listMultipartUploads(let b), .getBucketLifecycle(let b),
             .putBucketLifecycle(let b), .deleteBucketLifecycle(let b), .getBucketVersioning(let b), .putBucketVersioning(let b),
             .getBucketCors(let b), .putBucketCors(let b), .deleteBucketCors(let b), .getBucketAcl(let b), .putBucketAcl(let b),
             .getBucketPolicy(let b), .putBucketPolicy(let b), .deleteBucketPolicy(let b), .getBucketPolicyStatus(let b),
             .getPublicAccessBlock(let b), .putPublicAccessBlock(let b), .deletePublicAccessBlock(let b),
             .getBucketOwnershipControls(let b), .putBucketOwnershipControls(let b), .deleteBucketOwnershipControls(let b),
             .getBucketTagging(let b), .putBucketTagging(let b),
             .deleteBucketTagging(let b), .getObjectLockConfiguration(let b), .putObjectLockConfiguration(let b), .getBucketEncryption(let b), .putBucketEncryption(let b), .deleteBucketEncryption(let b),
             .corsPreflight(let b, _), .getBucketDefault(let b, _), .postObject(let b),
             .putObject(let b, _), .copyObject(let b, _), .getObject(let b, _), .headObject(let b, _), .deleteObject(let b, _),
             .getObjectAcl(let b, _), .putObjectAcl(let b, _), .getObjectTagging(let b, _), .putObjectTagging(let b, _),
             .deleteObjectTagging(let b, _), .getObjectRetention(let b, _), .putObjectRetention(let b, _),
             .getObjectLegalHold(let b, _), .putObjectLegalHold(let b, _), .getObjectAttributes(let b, _), .createMultipartUpload(let b, _),
             .uploadPart(let b, _, _, _), .uploadPartCopy(let b, _, _, _), .listParts(let b, _, _),
             .completeMultipartUpload(let b, _, _), .abortMultipartUpload(let b, _, _):
            return b
        }
    }

    /// The name used in logs, metrics and the compatibility table.
    var name: String {
        switch self {
        case .listBuckets: return "ListBuckets"
        case .createBucket: return "CreateBucket"
        case .headBucket: return "HeadBucket"
        case .deleteBucket: return "DeleteBucket"
        case .getBucketLocation: return "GetBucketLocation"
        case .listObjects: return "ListObjects"
        case .listObjectsV2: return "ListObjectsV2"
        case .listObjectVersions: return "ListObjectVersions"
        case .deleteObjects: return "DeleteObjects"
        case .listMultipartUploads: return "ListMultipartUploads"
        case .getBucketLifecycle: return "GetBucketLifecycle"
        case .putBucketLifecycle: return "PutBucketLifecycle"
        case .deleteBucketLifecycle: return "DeleteBucketLifecycle"
        case .getBucketVersioning: return "GetBucketVersioning"
        case .putBucketVersioning: return "PutBucketVersioning"
        case .getBucketCors: return "GetBucketCors"
        case .putBucketCors: return "PutBucketCors"
        case .deleteBucketCors: return "DeleteBucketCors"
        case .getBucketAcl: return "GetBucketAcl"
        case .putBucketAcl: return "PutBucketAcl"
        case .getBucketPolicy: return "GetBucketPolicy"
        case .putBucketPolicy: return "PutBucketPolicy"
        case .deleteBucketPolicy: return "DeleteBucketPolicy"
        case .getBucketPolicyStatus: return "GetBucketPolicyStatus"
        case .getPublicAccessBlock: return "GetPublicAccessBlock"
        case .putPublicAccessBlock: return "PutPublicAccessBlock"
        case .deletePublicAccessBlock: return "DeletePublicAccessBlock"
        case .getBucketOwnershipControls: return "GetBucketOwnershipControls"
        case .putBucketOwnershipControls: return "PutBucketOwnershipControls"
        case .deleteBucketOwnershipControls: return "DeleteBucketOwnershipControls"
        case .getBucketTagging: return "GetBucketTagging"
        case .putBucketTagging: return "PutBucketTagging"
        case .deleteBucketTagging: return "DeleteBucketTagging"
        case .getObjectLockConfiguration: return "GetObjectLockConfiguration"
        case .putObjectLockConfiguration: return "PutObjectLockConfiguration"
        case .getBucketEncryption: return "GetBucketEncryption"
        case .putBucketEncryption: return "PutBucketEncryption"
        case .deleteBucketEncryption: return "DeleteBucketEncryption"
        case .corsPreflight: return "CORSPreflight"
        case .uploadPage: return "UploadPage"
        case .ticketStatus: return "TicketStatus"
        case .getBucketDefault(_, let s): return "GetBucket(\(s))"
        case .putObject: return "PutObject"
        case .copyObject: return "CopyObject"
        case .getObject: return "GetObject"
        case .headObject: return "HeadObject"
        case .deleteObject: return "DeleteObject"
        case .getObjectAcl: return "GetObjectAcl"
        case .putObjectAcl: return "PutObjectAcl"
        case .getObjectTagging: return "GetObjectTagging"
        case .putObjectTagging: return "PutObjectTagging"
        case .deleteObjectTagging: return "DeleteObjectTagging"
        case .getObjectRetention: return "GetObjectRetention"
        case .putObjectRetention: return "PutObjectRetention"
        case .getObjectLegalHold: return "GetObjectLegalHold"
        case .putObjectLegalHold: return "PutObjectLegalHold"
        case .getObjectAttributes: return "GetObjectAttributes"
        case .postObject: return "PostObject"
        case .createMultipartUpload: return "CreateMultipartUpload"
        case .uploadPart: return "UploadPart"
        case .uploadPartCopy: return "UploadPartCopy"
        case .listParts: return "ListParts"
        case .completeMultipartUpload: return "CompleteMultipartUpload"
        case .abortMultipartUpload: return "AbortMultipartUpload"
        case .notImplemented(let s): return "NotImplemented(\(s))"
        }
    }
}
