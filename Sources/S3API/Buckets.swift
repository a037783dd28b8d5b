import Foundation
import GatewayHTTP
import HTTPTypes
import Hummingbird
import S3XML
import SigV4
import StorageCore

/// Bucket operations: ListBuckets, CreateBucket, HeadBucket, DeleteBucket, GetBucketLocation, and the
/// sub-resources clients probe (answered as S3 does for a bucket without that configuration).
extension S3Service {
    /// The caller's own buckets, as S3 lists them.
    /// - Parameter visibleTo: the buckets a scoped key may see; nil for all.
    func listBuckets(of caller: Caller, visibleTo allowed: [String]?) async throws -> Response {
        guard let user = caller.user else { throw RequestAuthorizer.denied() }
        let buckets = try await storage.listBuckets().filter {
            Array($0.owner.name.utf8) == Array(user.name.utf8) && (allowed?.contains($0.name) ?? true)
        }
        var w = XMLWriter(root: "ListAllMyBucketsResult")
        w.group("Owner") { $0.element("ID", user.canonicalID); $0.element("DisplayName", user.displayName) }
        w.group("Buckets") { w in
            for b in buckets {
                w.group("Bucket") { $0.element("Name", b.name); $0.element("CreationDate", S3Time.iso8601(b.created)); $0.element("BucketRegion", b.region) }
            }
        }
        return xml(w.finish())
    }

    func createBucket(_ bucket: String, s3: S3Request, body: RequestBody, auth: VerifiedAuth) async throws -> Response {
        let document = try await readSmallBody(body, s3: s3, auth: auth)
        if !document.isEmpty, let constraint = try S3RequestXML.createBucketConfiguration(document), !constraint.isEmpty, constraint != region {
            // us-east-1 buckets are created without a constraint; anything else must name our region.
            throw CoreError("IllegalLocationConstraintException",
                            "The \(constraint) location constraint is incompatible for the region specific endpoint this request was sent to.")
        }
        guard let owner = s3.caller.user else { throw RequestAuthorizer.denied() }
        let acl = try GrantHeaders.acl(s3, bucketOwner: owner)
        let ownership = try s3.header("x-amz-object-ownership").map { value in
            guard let o = ObjectOwnership(rawValue: value) else {
                throw CoreError.invalidArgument("Invalid x-amz-object-ownership header", name: "x-amz-object-ownership", value: value)
            }
            return o
        }
        if ownership == .bucketOwnerEnforced, let acl, !acl.grants.isEmpty {
            throw CoreError("InvalidBucketAclWithObjectOwnership", "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting")
        }
        let objectLock = try Self.objectLockRequested(s3)
        do {
            try await storage.createBucket(bucket, region: region, owner: owner)
            // A crash between these leaves the bucket private and with the default ownership: the safe side.
            if let acl, !acl.grants.isEmpty { try await setBucketAcl(bucket, acl) }
            if let ownership { try await setOwnership(bucket, ownership) }
        } catch let e as CoreError where e.code == "BucketAlreadyOwnedByYou" && region == "us-east-1" {
            // S3's legacy rule in us-east-1: the owner re-creating its bucket gets 200 (its ACL unchanged).
            // Elsewhere: 409 BucketAlreadyOwnedByYou. Another user's bucket: 409 BucketAlreadyExists.
        }
        authorizer.cache.forget(bucket)
        if objectLock {
            // Versioning, then the lock: three writes, so a create cut short between them is finished by the
            // client's retry (the re-create above); a lock once set stays.
            try await storage.setVersioning(bucket: bucket, .enabled)
            if try await storage.objectLock(bucket: bucket) == nil { try await storage.setObjectLock(bucket: bucket, BucketObjectLock()) }
        }
        var headers = HTTPFields()
        headers[.location] = "/" + bucket
        return Response(status: .ok, headers: headers)
    }

    /// x-amz-bucket-object-lock-enabled: true or false (any case); anything else is InvalidArgument.
    static func objectLockRequested(_ s3: S3Request) throws -> Bool {
        guard let raw = s3.header("x-amz-bucket-object-lock-enabled") else { return false }
        switch raw.lowercased() {
        case "true": return true
        case "false": return false
        default: throw CoreError.invalidArgument("Invalid x-amz-bucket-object-lock-enabled header value", name: "x-amz-bucket-object-lock-enabled", value: raw)
        }
    }

    func headBucket(_ bucket: String) async throws -> Response {
        let b = try await storage.bucket(bucket)
        var headers = HTTPFields()
        headers[HTTPField.Name("x-amz-bucket-region")!] = b.region
        return Response(status: .ok, headers: headers)
    }

    func deleteBucket(_ bucket: String) async throws -> Response {
        try await storage.deleteBucket(bucket)
        authorizer.cache.forget(bucket)
        return Response(status: .noContent)
    }

    func getBucketLocation(_ bucket: String) async throws -> Response {
        let b = try await storage.bucket(bucket)
        // S3 answers an empty constraint for us-east-1.
        let text = b.region == "us-east-1" ? "" : b.region
        return xml("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<LocationConstraint xmlns=\"\(XMLWriter.s3Namespace)\">\(text)</LocationConstraint>")
    }

    func getBucketDefault(_ bucket: String, subresource: String) async throws -> Response {
        _ = try await storage.bucket(bucket)
        func notFound(_ code: String, _ message: String) -> CoreError { CoreError(code, message, details: [.init("BucketName", bucket)]) }
        switch subresource {
        case "logging": return xml(XMLWriter(root: "BucketLoggingStatus").finish())
        case "notification": return xml(XMLWriter(root: "NotificationConfiguration").finish())
        case "accelerate": return xml(XMLWriter(root: "AccelerateConfiguration").finish())
        case "requestPayment":
            var w = XMLWriter(root: "RequestPaymentConfiguration"); w.element("Payer", "BucketOwner"); return xml(w.finish())
        case "website": throw notFound("NoSuchWebsiteConfiguration", "The specified bucket does not have a website configuration")
        case "replication": throw notFound("ReplicationConfigurationNotFoundError", "The replication configuration was not found")
        default:
            throw CoreError("NotImplemented", "A header or query you provided requested a function that is not implemented. (?\(subresource))")
        }
    }
}
