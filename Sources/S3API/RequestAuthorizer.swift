import Foundation
import StorageCore

/// Decides whether a caller may do what an operation needs (`AccessRequirement`), from the bucket's owner
/// and ACL and, for object reads, the object's. S3's rules for ACLs: the bucket owner may do anything in
/// its bucket; others what a grant gives them (to them by canonical ID, to AuthenticatedUsers, to
/// AllUsers); anonymous callers only what AllUsers is granted. Bucket configuration is the owner's alone.
struct RequestAuthorizer: Sendable {
    let storage: Storage
    let cache: BucketAccessCache

    /// The name under which a bucket's ACL is kept in the store's bucket configuration.
    static let aclConfig = "acl"

    static func denied() -> CoreError { CoreError("AccessDenied", "Access Denied") }

    /// The bucket's owner and ACL (cached; see `BucketAccessCache`). NoSuchBucket when it does not exist.
    func access(_ bucket: String) async throws -> BucketAccess {
        if let hit = cache.lookup(bucket) { return hit }
        let started = ContinuousClock.now
        let record = try await storage.bucket(bucket)
        var acl = AccessControlList.private
        if let text = try await storage.metadata.bucketConfig(bucket: bucket, name: Self.aclConfig) {
            do { acl = try JSONDecoder().decode(AccessControlList.self, from: Data(text.utf8)) } catch {
                throw CoreError.internalError("corrupt metadata row: bucket_config \(bucket)/acl is not an ACL")
            }
        }
        let access = BucketAccess(owner: record.owner, acl: acl)
        cache.store(access, for: bucket, read: started)
        return access
    }

    /// Checks what can be checked before the handler runs. For an object requirement that the bucket's
    /// owner does not meet, returns the gate the handler must pass with the object it reads.
    func authorize(_ requirement: AccessRequirement, bucket: String?, caller: Caller) async throws -> ObjectAccessGate? {
        switch requirement {
        case .anyone:
            return nil
        case .authenticated:
            guard caller.user != nil else { throw Self.denied() }
            return nil
        case .bucketOwner:
            guard let bucket, try await access(bucket).isOwned(by: caller) else { throw Self.denied() }
            return nil
        case .bucket(let permission):
            guard let bucket, try await access(bucket).allows(permission, to: caller) else { throw Self.denied() }
            return nil
        case .object(let permission):
            guard let bucket else { throw Self.denied() }
            let access = try await access(bucket)
            if access.isOwned(by: caller) { return nil }
            return ObjectAccessGate(permission: permission, caller: caller, mayList: access.allows(.read, to: caller))
        }
    }

    /// For CopyObject and UploadPartCopy: whether `caller` may read the source object.
    func requireRead(of source: ObjectRecord, caller: Caller) async throws {
        let access = try await access(source.bucket)
        if access.isOwned(by: caller) { return }
        try ObjectAccessGate(permission: .read, caller: caller, mayList: access.allows(.read, to: caller)).pass(source)
    }

    /// The owner and ACL a new object gets from the request's `x-amz-acl` / `x-amz-grant-*` (private
    /// without them): written by someone other than the bucket's owner, the writer owns it.
    func newObjectAccess(_ s3: S3Request, bucket: String, caller: Caller) async throws -> (ownerName: String?, acl: AccessControlList?) {
        let access = try await access(bucket)
        let acl = try GrantHeaders.acl(s3, bucketOwner: access.owner)
        let writer = caller.user
        let ownerName = writer.flatMap { access.isOwned(by: caller) ? nil : $0.name }
        return (ownerName, acl.flatMap { $0.grants.isEmpty ? nil : $0 })
    }
}
