import Foundation
import Hummingbird
import SigV4
import StorageCore

/// GetBucketAcl and PutBucketAcl. A bucket's ACL is kept in the store's bucket configuration (`acl`,
/// as JSON; absent: private); its owner in the bucket's row.
extension S3Service {
    func getBucketAcl(_ bucket: String) async throws -> Response {
        let access = try await authorizer.access(bucket)
        return xml(AccessControl.policyDocument(owner: access.owner, acl: access.acl))
    }

    func putBucketAcl(_ bucket: String, s3: S3Request, body: RequestBody, auth: VerifiedAuth) async throws -> Response {
        let document = try await readSmallBody(body, s3: s3, auth: auth)
        let access = try await authorizer.access(bucket)
        let acl = try AccessControl.requested(s3, body: document, owner: access.owner, bucketOwner: access.owner)
        try access.admit(acl, canned: s3.header("x-amz-acl"))
        try await setBucketAcl(bucket, acl)
        return Response(status: .ok)
    }

    /// Stores the ACL (private: none stored) and forgets the cached one, so this gateway sees it at once.
    func setBucketAcl(_ bucket: String, _ acl: AccessControlList) async throws {
        let text = acl.grants.isEmpty ? nil : String(decoding: try JSONEncoder().encode(acl), as: UTF8.self)
        try await authorizer.setConfig(bucket: bucket, name: RequestAuthorizer.aclConfig, value: text)
    }
}
