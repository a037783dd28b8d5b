/// The subset of a lifecycle rule Tessera acts on.
public struct LifecycleRule: Sendable, Equatable {
    public var id: String?
    /// Status Enabled (true) or Disabled (false).
    public var enabled: Bool
    /// From Filter/Prefix, Filter/And/Prefix or the legacy Rule/Prefix; "" if none.
    public var prefix: String
    /// AbortIncompleteMultipartUpload/DaysAfterInitiation.
    public var abortIncompleteDays: Int?
    /// Expiration/Days (date-based expiration is not supported and left nil).
    public var expirationDays: Int?

    public init(id: String? = nil, enabled: Bool, prefix: String = "", abortIncompleteDays: Int? = nil, expirationDays: Int? = nil) {
        self.id = id
        self.enabled = enabled
        self.prefix = prefix
        self.abortIncompleteDays = abortIncompleteDays
        self.expirationDays = expirationDays
    }
}

extension S3RequestXML {
    static let maxLifecycleRules = 1000
    static let maxRuleIDLength = 255

    /// `<LifecycleConfiguration><Rule>…</Rule>…</LifecycleConfiguration>`
    ///
    /// Unknown actions (Transition, NoncurrentVersion*, Expiration/Date) are
    /// ignored: skipping them only ever does less. Filters on tags or object
    /// size are refused with NotImplemented, because ignoring them would widen
    /// an expiration rule to objects the user meant to keep.
    public static func lifecycleConfiguration(_ body: [UInt8]) throws(S3XMLError) -> [LifecycleRule] {
        let root = try SafeXMLParser.parse(body, root: "LifecycleConfiguration")
        let ruleElements = root.children(named: "Rule")
        guard !ruleElements.isEmpty else { throw .malformed("no <Rule> elements") }
        guard ruleElements.count <= maxLifecycleRules else { throw .malformed("more than \(maxLifecycleRules) rules") }

        var rules: [LifecycleRule] = []
        var seenIDs = Set<String>()
        for element in ruleElements {
            let rule = try lifecycleRule(element)
            if let id = rule.id {
                guard seenIDs.insert(id).inserted else {
                    throw .invalidArgument("Rule ID must be unique. Found same ID for more than one rule")
                }
            }
            rules.append(rule)
        }
        return rules
    }

    private static func lifecycleRule(_ rule: ParsedElement) throws(S3XMLError) -> LifecycleRule {
        var id = try rule.child("ID")?.text()
        if id == "" { id = nil }
        if let id, id.count > maxRuleIDLength {
            throw .invalidArgument("ID length should not exceed allowed limit of \(maxRuleIDLength)")
        }

        let enabled: Bool
        switch try rule.child("Status")?.text() {
        case "Enabled": enabled = true
        case "Disabled": enabled = false
        default: throw .malformed("<Status> must be Enabled or Disabled")
        }

        let prefix: String
        switch (try rule.child("Filter"), try rule.child("Prefix")) {
        case (let filter?, nil): prefix = try filterPrefix(filter)
        case (nil, let legacy?): prefix = try legacy.exactText()
        case (nil, nil): prefix = ""
        case (_?, _?): throw .malformed("<Rule> has both <Filter> and <Prefix>")
        }

        var expirationDays: Int?
        if let days = try rule.child("Expiration")?.child("Days") {
            expirationDays = try positiveDays(days, action: "Expiration")
        }
        var abortDays: Int?
        if let abort = try rule.child("AbortIncompleteMultipartUpload") {
            guard let days = try abort.child("DaysAfterInitiation") else {
                throw .malformed("<AbortIncompleteMultipartUpload> without <DaysAfterInitiation>")
            }
            abortDays = try positiveDays(days, action: "AbortIncompleteMultipartUpload")
        }
        return LifecycleRule(id: id, enabled: enabled, prefix: prefix,
                             abortIncompleteDays: abortDays, expirationDays: expirationDays)
    }

    /// Filter holds at most one of Prefix / And / Tag / ObjectSize*.
    private static func filterPrefix(_ filter: ParsedElement) throws(S3XMLError) -> String {
        try refuseUnsupportedFilters(filter)
        switch (try filter.child("Prefix"), try filter.child("And")) {
        case (let prefix?, nil):
            return try prefix.exactText()
        case (nil, let and?):
            try refuseUnsupportedFilters(and)
            return try and.child("Prefix")?.exactText() ?? ""
        case (nil, nil):
            return ""
        case (_?, _?):
            throw .malformed("<Filter> has both <Prefix> and <And>")
        }
    }

    private static func refuseUnsupportedFilters(_ element: ParsedElement) throws(S3XMLError) {
        let unsupported = ["Tag", "ObjectSizeGreaterThan", "ObjectSizeLessThan"]
        if element.children.contains(where: { unsupported.contains($0.name) }) {
            throw S3XMLError(code: "NotImplemented",
                             message: "Lifecycle filters on tags or object size are not implemented",
                             reason: "lifecycle filter on tags or object size")
        }
    }

    private static func positiveDays(_ element: ParsedElement, action: String) throws(S3XMLError) -> Int {
        let days = try nonNegativeInteger(element.text(), field: element.name)
        guard days > 0 else { throw .invalidArgument("'Days' for \(action) action must be a positive integer") }
        return days
    }
}
