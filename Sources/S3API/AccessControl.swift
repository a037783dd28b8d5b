import S3XML
import StorageCore

/// ACLs as S3's AccessControlPolicy document: written for Get(Bucket|Object)Acl, read for Put…Acl.
enum AccessControl {
    static let xsi = "http://www.w3.org/2001/XMLSchema-instance"

    /// The owner's FULL_CONTROL first, then the ACL's grants.
    static func policyDocument(owner: User, acl: AccessControlList) -> String {
        var w = XMLWriter(root: "AccessControlPolicy")
        w.group("Owner") { $0.element("ID", owner.canonicalID); $0.element("DisplayName", owner.displayName) }
        w.group("AccessControlList") { w in
            for grant in [Grant(.user(canonicalID: owner.canonicalID), .fullControl)] + acl.grants {
                w.group("Grant") { g in
                    switch grant.grantee {
                    case .user(let id):
                        g.open("Grantee", attributes: [("xmlns:xsi", xsi), ("xsi:type", "CanonicalUser")])
                        g.element("ID", id)
                        if id == owner.canonicalID { g.element("DisplayName", owner.displayName) }
                    case .group(let group):
                        g.open("Grantee", attributes: [("xmlns:xsi", xsi), ("xsi:type", "Group")])
                        g.element("URI", group.rawValue)
                    }
                    g.close()
                    g.element("Permission", grant.permission.rawValue)
                }
            }
        }
        return w.finish()
    }

    /// The ACL a PutBucketAcl / PutObjectAcl body or its headers ask for. The body and ACL headers at once:
    /// UnexpectedContent, as S3. The owner's own FULL_CONTROL grant is implied, so it is not kept.
    static func requested(_ s3: S3Request, body: [UInt8], owner: User, bucketOwner: User) throws -> AccessControlList {
        let fromHeaders = try GrantHeaders.acl(s3, bucketOwner: bucketOwner)
        if body.isEmpty {
            guard let fromHeaders else {
                throw CoreError("MissingSecurityHeader", "Your request was missing a required header", details: [.init("MissingHeaderName", "x-amz-acl")])
            }
            return fromHeaders
        }
        guard fromHeaders == nil else { throw CoreError("UnexpectedContent", "This request does not support content") }
        let document = try S3RequestXML.accessControlPolicy(body)
        var grants: [Grant] = []
        for g in document.grants {
            let grantee: Grantee
            switch g.grantee {
            case .canonicalUser(let id): grantee = try GrantHeaders.grantee(type: "id", value: id)
            case .group(let uri): grantee = try GrantHeaders.grantee(type: "uri", value: uri)
            case .email(let address): grantee = try GrantHeaders.grantee(type: "emailaddress", value: address)
            }
            guard let permission = Permission(rawValue: g.permission) else { throw CoreError(S3RequestXML.malformedACL.code, S3RequestXML.malformedACL.message) }
            let grant = Grant(grantee, permission)
            if grant == Grant(.user(canonicalID: owner.canonicalID), .fullControl) || grants.contains(grant) { continue }
            grants.append(grant)
        }
        return AccessControlList(grants: grants)
    }
}
