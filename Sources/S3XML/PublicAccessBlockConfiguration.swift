/// A PutPublicAccessBlock document: `<PublicAccessBlockConfiguration><BlockPublicAcls>true</BlockPublicAcls>…`.
/// Each of the four settings is optional (absent: false); a value other than true or false is MalformedXML.
public struct PublicAccessBlockConfiguration: Sendable, Equatable, Codable {
    public var blockPublicAcls = false
    public var ignorePublicAcls = false
    public var blockPublicPolicy = false
    public var restrictPublicBuckets = false
    public init() {}

    static let names = ["BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"]
}

/// A PutBucketOwnershipControls document: `<OwnershipControls><Rule><ObjectOwnership>…</ObjectOwnership></Rule></OwnershipControls>`.
public enum ObjectOwnership: String, Sendable, Equatable, Codable, CaseIterable {
    case bucketOwnerEnforced = "BucketOwnerEnforced"
    case bucketOwnerPreferred = "BucketOwnerPreferred"
    case objectWriter = "ObjectWriter"
}

extension S3RequestXML {
    public static func publicAccessBlockConfiguration(_ body: [UInt8]) throws(S3XMLError) -> PublicAccessBlockConfiguration {
        let root = try SafeXMLParser.parse(body, root: "PublicAccessBlockConfiguration")
        var c = PublicAccessBlockConfiguration()
        for name in PublicAccessBlockConfiguration.names {
            guard let text = try root.child(name)?.text() else { continue }
            guard text == "true" || text == "false" else { throw .malformed("\(name) must be true or false") }
            let on = text == "true"
            switch name {
            case "BlockPublicAcls": c.blockPublicAcls = on
            case "IgnorePublicAcls": c.ignorePublicAcls = on
            case "BlockPublicPolicy": c.blockPublicPolicy = on
            default: c.restrictPublicBuckets = on
            }
        }
        return c
    }

    public static func publicAccessBlockDocument(_ c: PublicAccessBlockConfiguration) -> String {
        var w = XMLWriter(root: "PublicAccessBlockConfiguration")
        w.element("BlockPublicAcls", c.blockPublicAcls)
        w.element("IgnorePublicAcls", c.ignorePublicAcls)
        w.element("BlockPublicPolicy", c.blockPublicPolicy)
        w.element("RestrictPublicBuckets", c.restrictPublicBuckets)
        return w.finish()
    }

    /// Exactly one Rule with one ObjectOwnership of S3's three; anything else MalformedXML.
    public static func ownershipControls(_ body: [UInt8]) throws(S3XMLError) -> ObjectOwnership {
        let root = try SafeXMLParser.parse(body, root: "OwnershipControls")
        let rules = root.children(named: "Rule")
        guard rules.count == 1, let text = try rules[0].child("ObjectOwnership")?.text(), let ownership = ObjectOwnership(rawValue: text) else {
            throw .malformed("OwnershipControls must hold one Rule with an ObjectOwnership of BucketOwnerEnforced, BucketOwnerPreferred or ObjectWriter")
        }
        return ownership
    }

    public static func ownershipControlsDocument(_ o: ObjectOwnership) -> String {
        var w = XMLWriter(root: "OwnershipControls")
        w.group("Rule") { $0.element("ObjectOwnership", o.rawValue) }
        return w.finish()
    }
}
