import NIOConcurrencyHelpers

/// Every S3 operation the gateway answers, resolved from (method, bucket?, key?, query keys, headers)
/// in one place. Reading this enum tells a newcomer what the S3 front end supports.
enum S3Endpoint: Hashable {
    // Service
    case listBuckets
    // Buckets
    case createBucket, headBucket, deleteBucket, getBucketLocation
    case listObjects, listObjectsV2, deleteObjects, listMultipartUploads
    case getBucketLifecycle, putBucketLifecycle, deleteBucketLifecycle
    /// Bucket sub-resources answered as S3 does for a bucket without that configuration.
    case getBucketDefault(subresource: String)
    // Objects
    case putObject, copyObject, getObject, headObject, deleteObject
    case getObjectAcl, putObjectAcl, getObjectTagging
    /// Browser form upload: POST on a bucket with a multipart/form-data body (credentials in the form).
    case postObject
    // Multipart
    case createMultipartUpload, uploadPart, uploadPartCopy, listParts, completeMultipartUpload, abortMultipartUpload
    case notImplemented(String)

    /// Sub-resources a GET on a bucket may name, answered with S3's "not configured" reply.
    static let bucketDefaults: Set<String> = [
        "acl", "versioning", "policy", "policyStatus", "cors", "tagging", "website", "encryption", "logging", "notification",
        "replication", "requestPayment", "accelerate", "object-lock", "ownershipControls", "publicAccessBlock",
        "analytics", "inventory", "metrics", "intelligent-tiering",
    ]

    static func resolve(method: String, bucket: String?, key: String?, query: [String: String], hasCopySource: Bool,
                        contentType: String? = nil) -> S3Endpoint {
        let has = { (name: String) in query[name] != nil }
        guard bucket != nil else {
            return method == "GET" ? .listBuckets : .notImplemented("\(method) /")
        }
        guard key != nil else {
            switch method {
            case "PUT":
                if has("lifecycle") { return .putBucketLifecycle }
                if let sub = bucketDefaults.first(where: has) { return .notImplemented("PUT ?\(sub)") }
                return .createBucket
            case "HEAD": return .headBucket
            case "DELETE":
                if has("lifecycle") { return .deleteBucketLifecycle }
                if let sub = bucketDefaults.first(where: has) { return .notImplemented("DELETE ?\(sub)") }
                return .deleteBucket
            case "POST":
                if has("delete") { return .deleteObjects }
                if let ct = contentType, ct.lowercased().hasPrefix("multipart/form-data") { return .postObject }
                return .notImplemented("POST bucket")
            case "GET":
                if has("location") { return .getBucketLocation }
                if has("uploads") { return .listMultipartUploads }
                if has("lifecycle") { return .getBucketLifecycle }
                if let sub = bucketDefaults.first(where: has) { return .getBucketDefault(subresource: sub) }
                if has("versions") { return .notImplemented("ListObjectVersions") }
                if query["list-type"] == "2" { return .listObjectsV2 }
                return .listObjects
            default: return .notImplemented(method)
            }
        }
        switch method {
        case "PUT":
            if has("uploadId") || has("partNumber") { return hasCopySource ? .uploadPartCopy : .uploadPart }
            if has("acl") { return .putObjectAcl }
            if has("tagging") || has("retention") || has("legal-hold") { return .notImplemented("PUT object sub-resource") }
            return hasCopySource ? .copyObject : .putObject
        case "GET":
            if has("uploadId") { return .listParts }
            if has("acl") { return .getObjectAcl }
            if has("tagging") { return .getObjectTagging }
            if has("attributes") || has("torrent") || has("retention") || has("legal-hold") { return .notImplemented("GET object sub-resource") }
            return .getObject
        case "HEAD": return .headObject
        case "DELETE":
            if has("uploadId") { return .abortMultipartUpload }
            if has("tagging") { return .notImplemented("DeleteObjectTagging") }
            return .deleteObject
        case "POST":
            if has("uploads") { return .createMultipartUpload }
            if has("uploadId") { return .completeMultipartUpload }
            return .notImplemented("POST object")
        default: return .notImplemented(method)
        }
    }

    /// The name used in logs and the compatibility table.
    var name: String {
        switch self {
        case .getBucketDefault(let s): return "GetBucket(\(s))"
        case .notImplemented(let s): return "NotImplemented(\(s))"
        default:
            if let known = Self.names.withLockedValue({ $0[self] }) { return known }
            let name = String(describing: self).prefix(1).uppercased() + String(describing: self).dropFirst()
            Self.names.withLockedValue { $0[self] = name }
            return name
        }
    }

    /// Names made once per case: String(describing:) reflects on the enum (~1.4% of a small GET).
    private static let names = NIOLockedValueBox<[S3Endpoint: String]>([:])
}
