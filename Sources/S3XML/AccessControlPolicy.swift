/// A PutBucketAcl / PutObjectAcl document: `<AccessControlPolicy><Owner><ID>…</ID></Owner>
/// <AccessControlList><Grant><Grantee xsi:type="…"><ID|URI|EmailAddress>…</…></Grantee><Permission>…</Permission></Grant>…`.
public struct AccessControlPolicy: Sendable, Equatable {
    public enum Grantee: Sendable, Equatable {
        case canonicalUser(id: String)
        case group(uri: String)
        case email(String)
    }

    public struct Grant: Sendable, Equatable {
        public var grantee: Grantee
        /// READ, WRITE, READ_ACP, WRITE_ACP or FULL_CONTROL (checked).
        public var permission: String
        public init(grantee: Grantee, permission: String) { self.grantee = grantee; self.permission = permission }
    }

    /// The Owner ID the document names, if any.
    public var ownerID: String?
    public var grants: [Grant]
    public init(ownerID: String?, grants: [Grant]) { self.ownerID = ownerID; self.grants = grants }

    public static let permissions: Set<String> = ["READ", "WRITE", "READ_ACP", "WRITE_ACP", "FULL_CONTROL"]
}

extension S3RequestXML {
    /// S3's answer to an ACL document that does not parse or does not follow the schema.
    public static let malformedACL = S3XMLError(
        code: "MalformedACLError", message: "The XML you provided was not well-formed or did not validate against our published schema")

    /// Parses an AccessControlPolicy. A Grantee names exactly one of ID, URI and EmailAddress (the
    /// element tells its type, as xsi:type does); a Permission outside S3's five: MalformedACLError.
    public static func accessControlPolicy(_ body: [UInt8]) throws(S3XMLError) -> AccessControlPolicy {
        let root: ParsedElement
        do { root = try SafeXMLParser.parse(body, root: "AccessControlPolicy") } catch { throw malformedACL }
        do throws(S3XMLError) {
            let ownerID = try root.child("Owner")?.child("ID")?.text()
            var grants: [AccessControlPolicy.Grant] = []
            if let list = try root.child("AccessControlList") {
                for grant in list.children(named: "Grant") {
                    guard let granteeElement = try grant.child("Grantee"), let permission = try grant.child("Permission")?.text(),
                          AccessControlPolicy.permissions.contains(permission) else { throw malformedACL }
                    let id = try granteeElement.child("ID")?.text()
                    let uri = try granteeElement.child("URI")?.text()
                    let email = try granteeElement.child("EmailAddress")?.text()
                    let grantee: AccessControlPolicy.Grantee
                    switch (id, uri, email) {
                    case (let id?, nil, nil): grantee = .canonicalUser(id: id)
                    case (nil, let uri?, nil): grantee = .group(uri: uri)
                    case (nil, nil, let email?): grantee = .email(email)
                    default: throw malformedACL
                    }
                    grants.append(.init(grantee: grantee, permission: permission))
                }
            }
            return AccessControlPolicy(ownerID: ownerID, grants: grants)
        } catch {
            throw error.code == "MalformedXML" ? malformedACL : error
        }
    }
}
