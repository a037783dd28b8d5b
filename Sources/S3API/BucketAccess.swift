import GatewayHTTP
import S3XML
import StorageCore

/// What decides who may use a bucket: its owner, its ACL, its policy, its public access block and its
/// object ownership setting.
struct BucketAccess: Sendable, Equatable {
    var owner: User
    var acl: AccessControlList
    var policy: PolicyDocument?
    var publicAccessBlock: PublicAccessBlockConfiguration?
    var ownership: ObjectOwnership?
    /// The rules of its CORS configuration; [] without one. Read with the rest, so a request that carries
    /// Origin costs no read of its own.
    var cors: [CORSRule] = []
    /// Why a stored CORS configuration was refused (it no longer parses); its rules are then not applied.
    var corsDamage: String?

    /// Whether `caller` owns the bucket (names compare as bytes).
    func isOwned(by caller: Caller) -> Bool {
        guard let user = caller.user else { return false }
        return Array(user.name.utf8) == Array(owner.name.utf8)
    }

    /// ACLs are off (BucketOwnerEnforced): none grants anything.
    var aclsDisabled: Bool { ownership == .bucketOwnerEnforced }
    /// Grants to AllUsers and AuthenticatedUsers are not honoured (IgnorePublicAcls).
    var ignoresPublicAcls: Bool { publicAccessBlock?.ignorePublicAcls == true }

    /// An ACL as it counts here: nothing when ACLs are off, without its public grants when they are ignored.
    func effective(_ acl: AccessControlList) -> AccessControlList {
        if aclsDisabled { return .private }
        if ignoresPublicAcls { return AccessControlList(grants: acl.grants.filter { !$0.isPublic }) }
        return acl
    }

    /// The owner may do anything; others what the bucket's ACL (as it counts) grants them.
    func allows(_ permission: Permission, to caller: Caller) -> Bool {
        isOwned(by: caller) || effective(acl).allows(permission, to: caller)
    }

    /// The policy's verdict; with RestrictPublicBuckets and a public policy, Allows to `*` are not honoured.
    func verdict(_ request: PolicyRequest?) -> PolicyDocument.Verdict {
        guard let request, let policy else { return .silent }
        let restrict = publicAccessBlock?.restrictPublicBuckets == true && policy.isPublic
        return policy.evaluate(request, ignoringAllowsToAnyone: restrict)
    }

    /// Whether an ACL a request sets may be set here: AccessDenied for a public one under BlockPublicAcls;
    /// AccessControlListNotSupported for any but the owner's full control when ACLs are off.
    func admit(_ acl: AccessControlList?, canned: String?) throws {
        guard let acl else { return }
        if aclsDisabled && !(acl.grants.isEmpty || canned == CannedACL.bucketOwnerFullControl.rawValue
                             || acl.grants.allSatisfy({ $0 == Grant(.user(canonicalID: owner.canonicalID), .fullControl) })) {
            throw CoreError("AccessControlListNotSupported", "The bucket does not allow ACLs")
        }
        if publicAccessBlock?.blockPublicAcls == true && acl.grants.contains(where: \.isPublic) {
            throw CoreError("AccessDenied", "Access Denied: the bucket's public access block does not allow public ACLs")
        }
    }
}
