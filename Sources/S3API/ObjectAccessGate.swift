import Foundation
import StorageCore

/// The object half of an authorization: a handler that reads an object for a caller who does not own
/// the bucket passes the object through `pass` before it answers. The pipeline fails closed: a handler
/// that answers without passing the gate gets AccessDenied instead (`S3Service.respond`).
final class ObjectAccessGate: @unchecked Sendable {
    let permission: Permission
    let caller: Caller
    /// Whether the caller may list the bucket: without that, a missing key is AccessDenied, not NoSuchKey
    /// (S3 does not tell others which keys exist).
    let mayList: Bool
    /// The bucket's settings: whether object ACLs count at all, and whether their public grants do.
    let bucket: BucketAccess?
    private let lock = NSLock()
    private var passed = false

    init(permission: Permission, caller: Caller, mayList: Bool, bucket: BucketAccess? = nil) {
        (self.permission, self.caller, self.mayList, self.bucket) = (permission, caller, mayList, bucket)
    }

    /// Whether the object's owner is the caller, or its ACL grants the caller the permission.
    func pass(_ object: ObjectRecord) throws {
        let ownsIt = caller.user.map { u in object.attributes.ownerName.map { Array($0.utf8) == Array(u.name.utf8) } ?? false } ?? false
        let acl = object.attributes.acl ?? .private
        guard ownsIt || (bucket?.effective(acl) ?? acl).allows(permission, to: caller) else { throw RequestAuthorizer.denied() }
        lock.withLock { passed = true }
    }

    var wasPassed: Bool { lock.withLock { passed } }

    /// What a caller who may not list the bucket is told about a key that is not there.
    func hide(_ error: any Error) -> any Error {
        guard !mayList, let e = error as? CoreError, ["NoSuchKey", "NoSuchVersion", "MethodNotAllowed"].contains(e.code) else { return error }
        return RequestAuthorizer.denied()
    }
}
