import StorageCore

/// What decides who may use a bucket: its owner, its ACL and its policy.
struct BucketAccess: Sendable, Equatable {
    var owner: User
    var acl: AccessControlList
    var policy: PolicyDocument?

    /// Whether `caller` owns the bucket (names compare as bytes).
    func isOwned(by caller: Caller) -> Bool {
        guard let user = caller.user else { return false }
        return Array(user.name.utf8) == Array(owner.name.utf8)
    }

    /// The owner may do anything; others what the ACL grants them.
    func allows(_ permission: Permission, to caller: Caller) -> Bool {
        isOwned(by: caller) || acl.allows(permission, to: caller)
    }
}
