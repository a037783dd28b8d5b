/// One `<CORSRule>` of a PutBucketCors document, as sent (validated; not yet matched against anything:
/// the S3 front end hands these to GatewayHTTP's `CORSRule`).
public struct CORSConfigurationRule: Sendable, Equatable {
    public var id: String?
    /// Each with at most one `*`.
    public var allowedOrigins: [String]
    /// GET, PUT, POST, DELETE or HEAD.
    public var allowedMethods: [String]
    /// Each with at most one `*`.
    public var allowedHeaders: [String]
    public var exposeHeaders: [String]
    public var maxAgeSeconds: Int?

    public init(id: String? = nil, allowedOrigins: [String], allowedMethods: [String], allowedHeaders: [String] = [],
                exposeHeaders: [String] = [], maxAgeSeconds: Int? = nil) {
        self.id = id
        self.allowedOrigins = allowedOrigins
        self.allowedMethods = allowedMethods
        self.allowedHeaders = allowedHeaders
        self.exposeHeaders = exposeHeaders
        self.maxAgeSeconds = maxAgeSeconds
    }
}

extension S3RequestXML {
    /// S3's limit on rules in one configuration.
    public static let maxCORSRules = 100
    static let corsMethods: Set<String> = ["GET", "PUT", "POST", "DELETE", "HEAD"]

    /// `<CORSConfiguration><CORSRule>…</CORSRule>…</CORSConfiguration>`, validated as S3 does: at least
    /// one and at most 100 rules, each with at least one AllowedOrigin and AllowedMethod (MalformedXML),
    /// methods among GET/PUT/POST/DELETE/HEAD and at most one `*` per AllowedOrigin and AllowedHeader
    /// (InvalidRequest), MaxAgeSeconds a non-negative integer, an ID of at most 255 characters.
    public static func corsConfiguration(_ body: [UInt8]) throws(S3XMLError) -> [CORSConfigurationRule] {
        let root = try SafeXMLParser.parse(body, root: "CORSConfiguration")
        let ruleElements = root.children(named: "CORSRule")
        guard !ruleElements.isEmpty else { throw .malformed("no <CORSRule> elements") }
        guard ruleElements.count <= maxCORSRules else {
            throw .invalidRequest("The number of CORS rules should not exceed allowed limit of \(maxCORSRules) rules.")
        }
        var rules: [CORSConfigurationRule] = []
        for element in ruleElements { rules.append(try corsRule(element)) }
        return rules
    }

    private static func corsRule(_ rule: ParsedElement) throws(S3XMLError) -> CORSConfigurationRule {
        var id = try rule.child("ID")?.text()
        if id == "" { id = nil }
        if let id, id.count > maxRuleIDLength {
            throw .invalidArgument("ID length should not exceed allowed limit of \(maxRuleIDLength)")
        }
        let origins = try texts(rule, "AllowedOrigin")
        let methods = try texts(rule, "AllowedMethod")
        guard !origins.isEmpty else { throw .malformed("<CORSRule> without <AllowedOrigin>") }
        guard !methods.isEmpty else { throw .malformed("<CORSRule> without <AllowedMethod>") }
        for method in methods where !corsMethods.contains(method) {
            throw .invalidRequest("Found unsupported HTTP method in CORS config. Unsupported method is \(method)")
        }
        for origin in origins where origin.utf8.count(where: { $0 == UInt8(ascii: "*") }) > 1 {
            throw .invalidRequest("AllowedOrigin \"\(origin)\" can not have more than one wildcard.")
        }
        let headers = try texts(rule, "AllowedHeader")
        for header in headers where header.utf8.count(where: { $0 == UInt8(ascii: "*") }) > 1 {
            throw .invalidRequest("AllowedHeader \"\(header)\" can not have more than one wildcard.")
        }
        var maxAge: Int?
        if let element = try rule.child("MaxAgeSeconds") {
            maxAge = try nonNegativeInteger(element.text(), field: "MaxAgeSeconds")
        }
        return CORSConfigurationRule(id: id, allowedOrigins: origins, allowedMethods: methods, allowedHeaders: headers,
                                     exposeHeaders: try texts(rule, "ExposeHeader"), maxAgeSeconds: maxAge)
    }

    /// The trimmed text of every child called `name`; an empty one is malformed.
    private static func texts(_ rule: ParsedElement, _ name: String) throws(S3XMLError) -> [String] {
        var out: [String] = []
        for element in rule.children(named: name) {
            let text = try element.text()
            guard !text.isEmpty else { throw .malformed("empty <\(name)>") }
            out.append(text)
        }
        return out
    }

    /// The configuration written back (GetBucketCors), in S3's namespace.
    public static func corsConfigurationDocument(_ rules: [CORSConfigurationRule]) -> String {
        var w = XMLWriter(root: "CORSConfiguration")
        for rule in rules {
            w.open("CORSRule")
            w.element("ID", rule.id)
            for h in rule.allowedHeaders { w.element("AllowedHeader", h) }
            for m in rule.allowedMethods { w.element("AllowedMethod", m) }
            for o in rule.allowedOrigins { w.element("AllowedOrigin", o) }
            for h in rule.exposeHeaders { w.element("ExposeHeader", h) }
            if let age = rule.maxAgeSeconds { w.element("MaxAgeSeconds", age) }
            w.close()
        }
        return w.finish()
    }
}
