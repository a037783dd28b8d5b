/// What an ACL grant allows (S3's permissions). FULL_CONTROL includes the other four.
public enum Permission: String, Sendable, Codable, CaseIterable {
    case read = "READ"
    case write = "WRITE"
    case readACP = "READ_ACP"
    case writeACP = "WRITE_ACP"
    case fullControl = "FULL_CONTROL"
}

/// Who a grant names: one user (by canonical ID, as S3 names them), or one of S3's groups.
public enum Grantee: Sendable, Hashable, Codable {
    case user(canonicalID: String)
    case group(Group)

    public enum Group: String, Sendable, Codable, CaseIterable {
        case allUsers = "http://acs.amazonaws.com/groups/global/AllUsers"
        case authenticatedUsers = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
        case logDelivery = "http://acs.amazonaws.com/groups/s3/LogDelivery"
    }

    /// Whether the caller is, or belongs to, this grantee.
    public func includes(_ caller: Caller) -> Bool {
        switch (self, caller) {
        case (_, .ticket): return false   // a ticket's holder is granted only what the ticket says
        case (.group(.allUsers), _): return true
        case (.group(.authenticatedUsers), .user): return true
        case (.user(let id), .user(let u)): return Array(id.utf8) == Array(u.canonicalID.utf8)
        default: return false
        }
    }
}

public struct Grant: Sendable, Hashable, Codable {
    public var grantee: Grantee
    public var permission: Permission
    public init(_ grantee: Grantee, _ permission: Permission) { self.grantee = grantee; self.permission = permission }

    /// To AllUsers or AuthenticatedUsers: what S3 calls a public grant.
    public var isPublic: Bool { grantee == .group(.allUsers) || grantee == .group(.authenticatedUsers) }
}

/// The grants of a bucket's or an object's ACL beside its owner's, who always has FULL_CONTROL (and is
/// listed first when the ACL is shown). An empty list is S3's `private`.
public struct AccessControlList: Sendable, Equatable, Codable {
    public var grants: [Grant]
    public init(grants: [Grant] = []) { self.grants = grants }

    public static let `private` = AccessControlList()

    /// Whether a grant gives `caller` the `permission` (FULL_CONTROL gives every permission).
    public func allows(_ permission: Permission, to caller: Caller) -> Bool {
        grants.contains { ($0.permission == permission || $0.permission == .fullControl) && $0.grantee.includes(caller) }
    }

    /// Whether anyone without a key is granted something (what GetBucketPolicyStatus-style checks and logs call public).
    public var isPublic: Bool { grants.contains { $0.grantee == .group(.allUsers) } }
}

/// S3's canned ACLs (`x-amz-acl`), as grants beside the owner's.
public enum CannedACL: String, Sendable, CaseIterable {
    case `private` = "private"
    case publicRead = "public-read"
    case publicReadWrite = "public-read-write"
    case authenticatedRead = "authenticated-read"
    case bucketOwnerRead = "bucket-owner-read"
    case bucketOwnerFullControl = "bucket-owner-full-control"
    case logDeliveryWrite = "log-delivery-write"

    /// The grants it stands for. `bucketOwner` is the bucket's owner (for the two bucket-owner ACLs of an object).
    public func acl(bucketOwner: User) -> AccessControlList {
        switch self {
        case .private: return .private
        case .publicRead: return AccessControlList(grants: [Grant(.group(.allUsers), .read)])
        case .publicReadWrite: return AccessControlList(grants: [Grant(.group(.allUsers), .read), Grant(.group(.allUsers), .write)])
        case .authenticatedRead: return AccessControlList(grants: [Grant(.group(.authenticatedUsers), .read)])
        case .bucketOwnerRead: return AccessControlList(grants: [Grant(.user(canonicalID: bucketOwner.canonicalID), .read)])
        case .bucketOwnerFullControl: return AccessControlList(grants: [Grant(.user(canonicalID: bucketOwner.canonicalID), .fullControl)])
        case .logDeliveryWrite:
            return AccessControlList(grants: [Grant(.group(.logDelivery), .write), Grant(.group(.logDelivery), .readACP)])
        }
    }
}
