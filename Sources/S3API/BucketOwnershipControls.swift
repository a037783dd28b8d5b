import Foundation
import Hummingbird
import S3XML
import SigV4
import StorageCore

/// Get, Put and DeleteBucketOwnershipControls. ObjectWriter (what a bucket without the setting does): the
/// writer owns what it writes. BucketOwnerPreferred: the bucket's owner owns an object written with
/// `bucket-owner-full-control`. BucketOwnerEnforced: the bucket's owner owns everything and ACLs are off
/// (requests that set any ACL but the owner's full control: AccessControlListNotSupported). Enforced needs a
/// bucket ACL that grants nothing beyond the owner (InvalidBucketAclWithObjectOwnership otherwise).
extension S3Service {
    func getBucketOwnershipControls(_ bucket: String) async throws -> Response {
        guard let ownership = try await authorizer.access(bucket).ownership else {
            throw CoreError("OwnershipControlsNotFoundError", "The bucket ownership controls were not found", details: [.init("BucketName", bucket)])
        }
        return xml(S3RequestXML.ownershipControlsDocument(ownership))
    }

    func putBucketOwnershipControls(_ bucket: String, s3: S3Request, body: RequestBody, auth: VerifiedAuth) async throws -> Response {
        let ownership = try S3RequestXML.ownershipControls(try await readSmallBody(body, s3: s3, auth: auth))
        try await setOwnership(bucket, ownership)
        return Response(status: .ok)
    }

    func deleteBucketOwnershipControls(_ bucket: String) async throws -> Response {
        _ = try await storage.bucket(bucket)
        try await authorizer.setConfig(bucket: bucket, name: RequestAuthorizer.ownershipConfig, value: nil)
        return Response(status: .noContent)
    }

    func setOwnership(_ bucket: String, _ ownership: ObjectOwnership) async throws {
        let access = try await authorizer.access(bucket)
        if ownership == .bucketOwnerEnforced && !access.acl.grants.isEmpty {
            throw CoreError("InvalidBucketAclWithObjectOwnership", "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting")
        }
        try await authorizer.setConfig(bucket: bucket, name: RequestAuthorizer.ownershipConfig, value: ownership.rawValue)
    }
}
