import Foundation
import StorageCore
import WireFormats

/// The ACL a request asks for in headers: a canned `x-amz-acl`, or `x-amz-grant-read`, `-write`,
/// `-read-acp`, `-write-acp` and `-full-control`, each a comma-separated list of `id="…"` (a canonical
/// user ID), `uri="…"` (a group) or `emailAddress="…"` (which Tessera cannot resolve, as S3 outside a few
/// regions). Both kinds at once: InvalidRequest, as S3.
enum GrantHeaders {
    static let grantHeaders: [(name: String, permission: Permission)] = [
        ("x-amz-grant-read", .read), ("x-amz-grant-write", .write), ("x-amz-grant-read-acp", .readACP),
        ("x-amz-grant-write-acp", .writeACP), ("x-amz-grant-full-control", .fullControl),
    ]

    /// nil when the request names no ACL (the object or bucket is then `private`, or keeps its ACL).
    static func acl(_ s3: S3Request, bucketOwner: User) throws -> AccessControlList? {
        let canned = s3.header("x-amz-acl")
        let granted = grantHeaders.compactMap { h in s3.header(h.name).map { (h.permission, $0) } }
        if canned != nil && !granted.isEmpty {
            throw CoreError("InvalidRequest", "Specifying both Canned ACLs and Header Grants is not allowed")
        }
        if let canned {
            guard let acl = CannedACL(rawValue: canned.trimmingCharacters(in: .whitespaces)) else {
                throw CoreError.invalidArgument("", name: "x-amz-acl", value: canned)
            }
            return acl.acl(bucketOwner: bucketOwner)
        }
        guard !granted.isEmpty else { return nil }
        var grants: [Grant] = []
        for (permission, value) in granted {
            for grantee in try grantees(value) { grants.append(Grant(grantee, permission)) }
        }
        return AccessControlList(grants: grants)
    }

    /// `id="…", uri="…"`: the grantees of one header (quotes optional, names case-insensitive).
    static func grantees(_ value: String) throws -> [Grantee] {
        var out: [Grantee] = []
        for item in value.split(separator: ",", omittingEmptySubsequences: false) {
            let parts = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2 else { throw CoreError.invalidArgument("Invalid grant header", name: "x-amz-grant", value: value) }
            var v = parts[1]
            if v.utf8.count >= 2 && v.hasPrefix("\"") && v.hasSuffix("\"") { v = String(v.dropFirst().dropLast()) }
            out.append(try grantee(type: parts[0].lowercased(), value: v))
        }
        return out
    }

    /// One grantee from its type (`id`, `uri`, `emailaddress`) and value, checked as S3 checks them.
    static func grantee(type: String, value: String) throws -> Grantee {
        switch type {
        case "id":
            guard Hex.isHex(value, count: 64) else { throw CoreError.invalidArgument("Invalid id", name: "id", value: value) }
            return .user(canonicalID: value.lowercased())
        case "uri":
            guard let group = Grantee.Group(rawValue: value) else {
                throw CoreError.invalidArgument("Invalid group uri", name: "uri", value: value)
            }
            return .group(group)
        case "emailaddress":
            throw CoreError("UnresolvableGrantByEmailAddress", "The e-mail address you provided does not match any account on record.",
                            details: [.init("EmailAddressProvided", value)])
        default:
            throw CoreError.invalidArgument("Invalid grant header", name: "x-amz-grant", value: type)
        }
    }
}
