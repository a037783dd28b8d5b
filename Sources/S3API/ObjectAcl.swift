import Foundation
import HTTPTypes
import Hummingbird
import SigV4
import StorageCore

/// GetObjectAcl and PutObjectAcl (with `versionId`). An object's ACL is part of its version's attributes:
/// PutObjectAcl rewrites them in place (`MetadataStore.updateAttributes`), making no new version.
extension S3Service {
    func getObjectAcl(_ bucket: String, _ key: String, s3: S3Request) async throws -> Response {
        let record = try await requestedVersion(bucket, key, s3: s3)
        try s3.objectGate?.pass(record)
        let owner = try await objectOwner(record)
        var headers = HTTPFields()
        if record.versioned { headers[Self.versionIDHeader] = record.versionID }
        return xml(AccessControl.policyDocument(owner: owner, acl: record.attributes.acl ?? .private), headers: headers)
    }

    func putObjectAcl(_ bucket: String, _ key: String, s3: S3Request, body: RequestBody, auth: VerifiedAuth) async throws -> Response {
        let document = try await readSmallBody(body, s3: s3, auth: auth)
        let bucketAccess = try await authorizer.access(bucket)
        let bucketOwner = bucketAccess.owner
        let version = try s3.query["versionId"].map { try VersionID.parse($0) }
        let gate = s3.objectGate
        // The ACL is read against the object's owner, which only the stored record tells: checked in the transaction.
        let changed = try await storage.metadata.updateAttributes(bucket: bucket, key: key, version: version) { record in
            if record.isDeleteMarker { throw CoreError("MethodNotAllowed", "The specified method is not allowed against this resource.") }
            try gate?.pass(record)
            let owner = record.attributes.ownerName.map(User.init(name:)) ?? bucketOwner
            var attributes = record.attributes
            let acl = try AccessControl.requested(s3, body: document, owner: owner, bucketOwner: bucketOwner)
            try bucketAccess.admit(acl, canned: s3.header("x-amz-acl"))
            attributes.acl = acl.grants.isEmpty ? nil : acl
            return attributes
        }
        guard let changed else {
            throw version.map { CoreError.noSuchVersion(key, $0) } ?? CoreError.noSuchKey(key)
        }
        var headers = HTTPFields()
        if changed.versioned { headers[Self.versionIDHeader] = changed.versionID }
        return Response(status: .ok, headers: headers)
    }

    /// The object's owner: its writer when that was not the bucket's owner, else the bucket's owner.
    func objectOwner(_ record: ObjectRecord) async throws -> User {
        if let name = record.attributes.ownerName { return User(name: name) }
        return try await authorizer.access(record.bucket).owner
    }
}
