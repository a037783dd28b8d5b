import Foundation
import GatewayHTTP
import S3XML
import StorageCore

/// Decides whether a caller may do what an operation needs (`AccessRequirement`), from the bucket's owner
/// and ACL and, for object reads, the object's. S3's rules for ACLs: the bucket owner may do anything in
/// its bucket; others what a grant gives them (to them by canonical ID, to AuthenticatedUsers, to
/// AllUsers); anonymous callers only what AllUsers is granted. Bucket configuration is the owner's alone.
struct RequestAuthorizer: Sendable {
    let storage: Storage
    let cache: BucketAccessCache

    /// The names under which a bucket's ACL and policy are kept in the store's bucket configuration.
    static let aclConfig = "acl"
    static let policyConfig = "policy"
    static let publicAccessBlockConfig = "publicAccessBlock"
    static let ownershipConfig = "ownershipControls"
    /// Everything `access` reads with the bucket.
    static let accessConfigs = [aclConfig, policyConfig, publicAccessBlockConfig, ownershipConfig, S3Service.corsConfig]

    static func denied() -> CoreError { CoreError("AccessDenied", "Access Denied") }

    /// Stores one of the bucket's access documents (ACL, policy, public access block, ownership, CORS; nil removes
    /// it) and forgets the cached access, so this gateway applies it at once (others within `cache.freshness`).
    func setConfig(bucket: String, name: String, value: String?) async throws {
        try await storage.metadata.setBucketConfig(bucket: bucket, name: name, value: value)
        cache.forget(bucket)
    }

    /// The bucket's owner, ACL, policy, public access block, ownership and CORS rules (cached; see
    /// `BucketAccessCache`). NoSuchBucket when it does not exist.
    func access(_ bucket: String) async throws -> BucketAccess {
        if let hit = cache.lookup(bucket) { return hit }
        let started = ContinuousClock.now
        // One read: the bucket and every document deciding access to it.
        let settings = try await storage.bucketSettings(bucket, configs: Self.accessConfigs)
        let record = settings.record
        var acl = AccessControlList.private
        if let text = settings.configs[Self.aclConfig] {
            do { acl = try JSONDecoder().decode(AccessControlList.self, from: Data(text.utf8)) } catch {
                throw CoreError.internalError("corrupt metadata row: bucket_config \(bucket)/acl is not an ACL")
            }
        }
        var policy: PolicyDocument?
        if let text = settings.configs[Self.policyConfig] {
            do { policy = try PolicyDocument.parse(Array(text.utf8), bucket: bucket) } catch {
                throw CoreError.internalError("corrupt metadata row: bucket_config \(bucket)/policy is not a policy this gateway accepts")
            }
        }
        var block: PublicAccessBlockConfiguration?
        if let text = settings.configs[Self.publicAccessBlockConfig] {
            do { block = try JSONDecoder().decode(PublicAccessBlockConfiguration.self, from: Data(text.utf8)) } catch {
                throw CoreError.internalError("corrupt metadata row: bucket_config \(bucket)/publicAccessBlock is not a public access block")
            }
        }
        var ownership: ObjectOwnership?
        if let text = settings.configs[Self.ownershipConfig] {
            guard let o = ObjectOwnership(rawValue: text) else {
                throw CoreError.internalError("corrupt metadata row: bucket_config \(bucket)/ownershipControls is \(text)")
            }
            ownership = o
        }
        var access = BucketAccess(owner: record.owner, acl: acl, policy: policy, publicAccessBlock: block, ownership: ownership)
        if let text = settings.configs[S3Service.corsConfig] {
            // A damaged CORS document must not lock the bucket: only its rules are refused (see `S3Service.corsRules`).
            do { access.cors = try S3RequestXML.corsConfiguration(Array(text.utf8)).map(CORSRule.init) } catch {
                access.corsDamage = String(describing: error)
            }
        }
        cache.store(access, for: bucket, read: started)
        return access
    }

    /// Checks what can be checked before the handler runs, as AWS documents the evaluation: an explicit Deny
    /// in the bucket's policy wins (over the owner too); then the owner, an Allow of the policy, or an ACL grant
    /// allows; otherwise AccessDenied. For an object requirement that neither the owner nor the policy meets,
    /// returns the gate the handler must pass with the object it reads (its ACL).
    /// - Parameter request: what the bucket's policy is evaluated against, made only when the bucket has a
    ///   policy (nil: none applies); most buckets have none, and most requests need not pay for it.
    func authorize(_ requirement: AccessRequirement, bucket: String?, caller: Caller,
                   policy request: (BucketAccess) async throws -> PolicyRequest?) async throws -> ObjectAccessGate? {
        switch requirement {
        case .anyone:
            return nil
        case .authenticated:
            guard caller.user != nil else { throw Self.denied() }
            return nil
        case .bucketOwnerOnly:
            guard let bucket, try await access(bucket).isOwned(by: caller) else { throw Self.denied() }
            return nil
        case .bucketOwner, .bucket, .object:
            guard let bucket else { throw Self.denied() }
            let access = try await access(bucket)
            let verdict = access.policy == nil ? .silent : access.verdict(try await request(access))
            if verdict == .deny { throw Self.denied() }
            if access.isOwned(by: caller) || verdict == .allow { return nil }
            switch requirement {
            case .bucket(let permission):
                guard access.allows(permission, to: caller) else { throw Self.denied() }
                return nil
            case .object(let permission):
                return ObjectAccessGate(permission: permission, caller: caller, mayList: access.allows(.read, to: caller), bucket: access)
            default:
                throw Self.denied()
            }
        }
    }

    /// For DeleteObjects, key by key: whether the bucket's policy denies deleting this key (its ACL and the
    /// owner were checked for the request as a whole).
    func requireNotDenied(_ request: PolicyRequest, bucket: String) async throws {
        if try await access(bucket).verdict(request) == .deny { throw Self.denied() }
    }

    /// For CopyObject and UploadPartCopy: whether `caller` may read the source object (its bucket's policy,
    /// evaluated for s3:GetObject on it, then its owner and ACLs).
    func requireRead(of source: ObjectRecord, caller: Caller, policy request: PolicyRequest) async throws {
        let access = try await access(source.bucket)
        let verdict = access.verdict(request)
        if verdict == .deny { throw Self.denied() }
        if access.isOwned(by: caller) || verdict == .allow { return }
        try ObjectAccessGate(permission: .read, caller: caller, mayList: access.allows(.read, to: caller), bucket: access).pass(source)
    }

    /// The owner and ACL a new object gets from the request's `x-amz-acl` / `x-amz-grant-*` (private
    /// without them), as the bucket's object ownership says: the writer owns it when that is not the bucket's
    /// owner (ObjectWriter, the default), unless it hands the bucket's owner full control (BucketOwnerPreferred);
    /// with BucketOwnerEnforced the bucket's owner owns everything and ACLs are off.
    func newObjectAccess(_ s3: S3Request, bucket: String, caller: Caller) async throws -> (ownerName: String?, acl: AccessControlList?) {
        let access = try await access(bucket)
        let acl = try GrantHeaders.acl(s3, bucketOwner: access.owner)
        let canned = s3.header("x-amz-acl")
        try access.admit(acl, canned: canned)
        if access.aclsDisabled { return (nil, nil) }
        let writer = access.isOwned(by: caller) ? nil : caller.user?.name
        let handedOver = access.ownership == .bucketOwnerPreferred && canned == CannedACL.bucketOwnerFullControl.rawValue
        return (handedOver ? nil : writer, acl.flatMap { $0.grants.isEmpty ? nil : $0 })
    }
}
