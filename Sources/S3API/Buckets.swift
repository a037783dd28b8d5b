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
    /// - Parameter visibleTo: the buckets a scoped key may see; nil for all.
    func listBuckets(visibleTo allowed: [String]?) async throws -> Response {
        let buckets = try await storage.listBuckets().filter { allowed?.contains($0.name) ?? true }
        var w = XMLWriter(root: "ListAllMyBucketsResult")
        w.group("Owner") { $0.element("ID", "tessera"); $0.element("DisplayName", "tessera") }
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
        do {
            try await storage.createBucket(bucket, region: region)
        } catch let e as CoreError where e.code == "BucketAlreadyOwnedByYou" && region == "us-east-1" {
            // S3's legacy rule in us-east-1: the owner re-creating its bucket gets 200 (every key here is the
            // owner's). Elsewhere: 409 BucketAlreadyOwnedByYou.
        }
        var headers = HTTPFields()
        headers[.location] = "/" + bucket
        return Response(status: .ok, headers: headers)
    }

    func headBucket(_ bucket: String) async throws -> Response {
        let b = try await storage.bucket(bucket)
        var headers = HTTPFields()
        headers[HTTPField.Name("x-amz-bucket-region")!] = b.region
        return Response(status: .ok, headers: headers)
    }

    func deleteBucket(_ bucket: String) async throws -> Response {
        try await storage.deleteBucket(bucket)
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
        case "acl": return xml(AccessControl.policyDocument(owner: "tessera"))
        case "logging": return xml(XMLWriter(root: "BucketLoggingStatus").finish())
        case "notification": return xml(XMLWriter(root: "NotificationConfiguration").finish())
        case "accelerate": return xml(XMLWriter(root: "AccelerateConfiguration").finish())
        case "requestPayment":
            var w = XMLWriter(root: "RequestPaymentConfiguration"); w.element("Payer", "BucketOwner"); return xml(w.finish())
        case "policy": throw notFound("NoSuchBucketPolicy", "The bucket policy does not exist")
        case "policyStatus": throw notFound("NoSuchBucketPolicy", "The bucket policy does not exist")
        case "tagging": throw notFound("NoSuchTagSet", "The TagSet does not exist")
        case "website": throw notFound("NoSuchWebsiteConfiguration", "The specified bucket does not have a website configuration")
        case "object-lock": throw notFound("ObjectLockConfigurationNotFoundError", "Object Lock configuration does not exist for this bucket")
        case "replication": throw notFound("ReplicationConfigurationNotFoundError", "The replication configuration was not found")
        case "ownershipControls": throw notFound("OwnershipControlsNotFoundError", "The bucket ownership controls were not found")
        case "publicAccessBlock": throw notFound("NoSuchPublicAccessBlockConfiguration", "The public access block configuration was not found")
        default:
            throw CoreError("NotImplemented", "A header or query you provided requested a function that is not implemented. (?\(subresource))")
        }
    }
}
