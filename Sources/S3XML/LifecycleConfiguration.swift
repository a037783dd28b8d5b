import WireFormats

/// The subset of a lifecycle rule Tessera acts on.
public struct LifecycleRule: Sendable, Equatable {
    public var id: String?
    /// Status Enabled (true) or Disabled (false).
    public var enabled: Bool
    /// From Filter/Prefix, Filter/And/Prefix or the legacy Rule/Prefix; "" if none. Compared as bytes.
    public var prefix: String
    /// AbortIncompleteMultipartUpload/DaysAfterInitiation.
    public var abortIncompleteDays: Int?
    /// Expiration/Days.
    public var expirationDays: Int?
    /// Expiration/Date, in seconds since 1970 (always a midnight UTC).
    public var expirationDate: Int64?
    /// Expiration/ExpiredObjectDeleteMarker true.
    public var expiredObjectDeleteMarker: Bool
    /// NoncurrentVersionExpiration/NoncurrentDays.
    public var noncurrentDays: Int?
    /// NoncurrentVersionExpiration/NewerNoncurrentVersions: how many of the newest noncurrent versions stay.
    public var newerNoncurrentVersions: Int?

    public init(id: String? = nil, enabled: Bool, prefix: String = "", abortIncompleteDays: Int? = nil, expirationDays: Int? = nil,
                expirationDate: Int64? = nil, expiredObjectDeleteMarker: Bool = false, noncurrentDays: Int? = nil,
                newerNoncurrentVersions: Int? = nil) {
        self.id = id
        self.enabled = enabled
        self.prefix = prefix
        self.abortIncompleteDays = abortIncompleteDays
        self.expirationDays = expirationDays
        self.expirationDate = expirationDate
        self.expiredObjectDeleteMarker = expiredObjectDeleteMarker
        self.noncurrentDays = noncurrentDays
        self.newerNoncurrentVersions = newerNoncurrentVersions
    }

    /// Whether `key` is within the rule's prefix, byte for byte (never String comparison: canonically
    /// equivalent text is not the same key).
    public func applies(to key: String) -> Bool {
        prefix.isEmpty || Array(key.utf8).starts(with: Array(prefix.utf8))
    }

    /// Whether the rule expires anything (current versions, delete markers or noncurrent versions).
    public var expiresVersions: Bool {
        expirationDays != nil || expirationDate != nil || expiredObjectDeleteMarker || noncurrentDays != nil
    }
}

extension S3RequestXML {
    static let maxLifecycleRules = 1000
    static let maxRuleIDLength = 255
    static let maxNewerNoncurrentVersions = 100

    /// `<LifecycleConfiguration><Rule>…</Rule>…</LifecycleConfiguration>`
    ///
    /// Transitions (Transition, NoncurrentVersionTransition) are accepted and
    /// ignored (there is one storage class): skipping them only ever does less.
    /// Filters on tags or object size are refused with NotImplemented, because
    /// ignoring them would widen an expiration rule to objects the user meant
    /// to keep.
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

        var (expirationDays, expirationDate, expiredObjectDeleteMarker): (Int?, Int64?, Bool) = (nil, nil, false)
        let expirationElement = try rule.child("Expiration")
        if let expiration = expirationElement {
            (expirationDays, expirationDate, expiredObjectDeleteMarker) = try self.expiration(expiration)
        }
        var (noncurrentDays, newerNoncurrent): (Int?, Int?) = (nil, nil)
        if let noncurrent = try rule.child("NoncurrentVersionExpiration") {
            (noncurrentDays, newerNoncurrent) = try noncurrentExpiration(noncurrent)
        }
        var abortDays: Int?
        if let abort = try rule.child("AbortIncompleteMultipartUpload") {
            guard let days = try abort.child("DaysAfterInitiation") else {
                throw .malformed("<AbortIncompleteMultipartUpload> without <DaysAfterInitiation>")
            }
            abortDays = try positiveDays(days, action: "AbortIncompleteMultipartUpload")
        }
        let transitions = ["Transition", "NoncurrentVersionTransition"].contains { !rule.children(named: $0).isEmpty }
        // (An <Expiration> of ExpiredObjectDeleteMarker false is an action that does nothing, as in S3.)
        guard expirationElement != nil || noncurrentDays != nil || abortDays != nil || transitions else {
            throw .invalidRequest("At least one action needs to be specified in a rule")
        }
        return LifecycleRule(id: id, enabled: enabled, prefix: prefix, abortIncompleteDays: abortDays,
                             expirationDays: expirationDays, expirationDate: expirationDate,
                             expiredObjectDeleteMarker: expiredObjectDeleteMarker,
                             noncurrentDays: noncurrentDays, newerNoncurrentVersions: newerNoncurrent)
    }

    /// `<Expiration>`: one of Days, Date or ExpiredObjectDeleteMarker.
    private static func expiration(_ element: ParsedElement) throws(S3XMLError) -> (Int?, Int64?, Bool) {
        let days = try element.child("Days").map { (d) throws(S3XMLError) in try positiveDays(d, action: "Expiration") }
        let date = try element.child("Date").map { (d) throws(S3XMLError) in try midnight(d) }
        var marker: Bool?
        switch try element.child("ExpiredObjectDeleteMarker")?.text() {
        case nil: marker = nil
        case "true": marker = true
        case "false": marker = false
        default: throw .malformed("<ExpiredObjectDeleteMarker> must be true or false")
        }
        guard days == nil || date == nil else { throw .malformed("<Expiration> has both <Days> and <Date>") }
        guard marker == nil || (days == nil && date == nil) else {
            throw .malformed("<ExpiredObjectDeleteMarker> with <Days> or <Date>")
        }
        guard days != nil || date != nil || marker != nil else { throw .malformed("<Expiration> without Days, Date or ExpiredObjectDeleteMarker") }
        return (days, date, marker ?? false)
    }

    /// `<Date>`: ISO 8601, at midnight UTC (S3's rule).
    private static func midnight(_ element: ParsedElement) throws(S3XMLError) -> Int64 {
        guard let seconds = ISO8601Time.parse(try element.text()) else { throw .malformed("<Date> is not an ISO 8601 time") }
        guard seconds == seconds.rounded(.down), Int64(seconds) % 86_400 == 0 else {
            throw .invalidArgument("'Date' must be at midnight GMT")
        }
        return Int64(seconds)
    }

    /// `<NoncurrentVersionExpiration>`: NoncurrentDays (required), NewerNoncurrentVersions (1–100).
    private static func noncurrentExpiration(_ element: ParsedElement) throws(S3XMLError) -> (Int, Int?) {
        guard let daysElement = try element.child("NoncurrentDays") else {
            throw .malformed("<NoncurrentVersionExpiration> without <NoncurrentDays>")
        }
        let days = try positiveDays(daysElement, action: "NoncurrentVersionExpiration", field: "NoncurrentDays")
        var newer: Int?
        if let n = try element.child("NewerNoncurrentVersions") {
            let count = try nonNegativeInteger(n.text(), field: n.name)
            guard count >= 1, count <= maxNewerNoncurrentVersions else {
                throw .invalidArgument("'NewerNoncurrentVersions' for NoncurrentVersionExpiration action must be a positive integer up to \(maxNewerNoncurrentVersions)")
            }
            newer = count
        }
        return (days, newer)
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

    /// Tag and size filters cannot be enforced yet (objects have no tags; the sweeper matches prefixes
    /// only), so they are refused, naming the filter, rather than accepted and ignored.
    private static func refuseUnsupportedFilters(_ element: ParsedElement) throws(S3XMLError) {
        let unsupported = ["Tag", "ObjectSizeGreaterThan", "ObjectSizeLessThan"]
        if let filter = element.children.first(where: { unsupported.contains($0.name) }) {
            let what = filter.name == "Tag" ? "object tags (<Tag>): objects have no tags yet" : "object size (<\(filter.name)>)"
            throw S3XMLError(code: "NotImplemented",
                             message: "Lifecycle filters on \(what) are not implemented; only prefix filters are",
                             reason: "lifecycle filter <\(filter.name)>")
        }
    }

    private static func positiveDays(_ element: ParsedElement, action: String, field: String = "Days") throws(S3XMLError) -> Int {
        let days = try nonNegativeInteger(element.text(), field: element.name)
        guard days > 0 else { throw .invalidArgument("'\(field)' for \(action) action must be a positive integer") }
        return days
    }
}
