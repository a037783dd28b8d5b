import WireFormats

/// The subset of a lifecycle rule Tessera acts on.
public struct LifecycleRule: Sendable, Equatable {
    public var id: String?
    /// Status Enabled (true) or Disabled (false).
    public var enabled: Bool
    /// Which versions the rule applies to: Filter (Prefix, Tag, ObjectSize*, And) or the legacy Rule/Prefix.
    public var filter: LifecycleFilter
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

    public init(id: String? = nil, enabled: Bool, prefix: String = "", tags: [LifecycleTag] = [],
                sizeGreaterThan: Int64? = nil, sizeLessThan: Int64? = nil, abortIncompleteDays: Int? = nil,
                expirationDays: Int? = nil, expirationDate: Int64? = nil, expiredObjectDeleteMarker: Bool = false,
                noncurrentDays: Int? = nil, newerNoncurrentVersions: Int? = nil) {
        self.id = id
        self.enabled = enabled
        self.filter = LifecycleFilter(prefix: prefix, tags: tags, sizeGreaterThan: sizeGreaterThan, sizeLessThan: sizeLessThan)
        self.abortIncompleteDays = abortIncompleteDays
        self.expirationDays = expirationDays
        self.expirationDate = expirationDate
        self.expiredObjectDeleteMarker = expiredObjectDeleteMarker
        self.noncurrentDays = noncurrentDays
        self.newerNoncurrentVersions = newerNoncurrentVersions
    }

    /// The filter's prefix ("" if none), compared as bytes.
    public var prefix: String { filter.prefix }

    /// Whether `key` is within the rule's prefix, byte for byte (never String comparison: canonically
    /// equivalent text is not the same key). Multipart uploads are matched by this alone: S3 refuses tag
    /// and size filters on AbortIncompleteMultipartUpload.
    public func applies(to key: String) -> Bool {
        filter.matches(key: key)
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

        let filter: LifecycleFilter
        switch (try rule.child("Filter"), try rule.child("Prefix")) {
        case (let element?, nil): filter = try lifecycleFilter(element)
        case (nil, let legacy?): filter = LifecycleFilter(prefix: try legacy.exactText())
        case (nil, nil): filter = LifecycleFilter()
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
        // Actions that act on uploads or lone delete markers, which have no tags or size (S3's codes and messages).
        for (action, given) in [("ExpiredObjectDeleteMarker", expiredObjectDeleteMarker), ("AbortIncompleteMultipartUpload", abortDays != nil)] where given {
            if !filter.tags.isEmpty { throw .invalidRequest("\(action) cannot be specified with Tags.") }
            if filter.hasSize { throw .invalidRequest("\(action) cannot be specified with Object Size.") }
        }
        var made = LifecycleRule(id: id, enabled: enabled, abortIncompleteDays: abortDays,
                                 expirationDays: expirationDays, expirationDate: expirationDate,
                                 expiredObjectDeleteMarker: expiredObjectDeleteMarker,
                                 noncurrentDays: noncurrentDays, newerNoncurrentVersions: newerNoncurrent)
        made.filter = filter
        return made
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

    static let filterPredicates: Set<String> = ["Prefix", "Tag", "ObjectSizeGreaterThan", "ObjectSizeLessThan", "And"]

    /// `<Filter>`: empty (every object), or exactly one of Prefix, Tag, ObjectSizeGreaterThan,
    /// ObjectSizeLessThan or And (several predicates outside And: MalformedXML).
    private static func lifecycleFilter(_ element: ParsedElement) throws(S3XMLError) -> LifecycleFilter {
        let predicates = element.children.filter { filterPredicates.contains($0.name) }
        guard predicates.count <= 1 else {
            throw .malformed("<Filter> holds more than one predicate (\(predicates.map(\.name).joined(separator: ", "))): several go in <And>")
        }
        guard let predicate = predicates.first else { return LifecycleFilter() }
        switch predicate.name {
        case "Prefix": return LifecycleFilter(prefix: try predicate.exactText())
        case "Tag": return LifecycleFilter(tags: [try lifecycleTag(predicate)])
        case "ObjectSizeGreaterThan": return try sizes(LifecycleFilter(sizeGreaterThan: try objectSize(predicate)))
        case "ObjectSizeLessThan": return try sizes(LifecycleFilter(sizeLessThan: try objectSize(predicate)))
        default: return try andFilter(predicate)
        }
    }

    /// `<And>`: at most one Prefix, any Tags (keys distinct, as bytes), at most one of each size bound; at
    /// least two predicates in all ("a logical AND to two or more predicates").
    private static func andFilter(_ and: ParsedElement) throws(S3XMLError) -> LifecycleFilter {
        var filter = LifecycleFilter()
        var count = 0
        if let prefix = try and.child("Prefix") { filter.prefix = try prefix.exactText(); count += 1 }
        for element in and.children(named: "Tag") {
            let tag = try lifecycleTag(element)
            guard !filter.tags.contains(where: { $0.key.utf8.elementsEqual(tag.key.utf8) }) else {
                throw .invalidRequest("Duplicate Tag Keys are not allowed.")
            }
            filter.tags.append(tag)
            count += 1
        }
        if let size = try and.child("ObjectSizeGreaterThan") { filter.sizeGreaterThan = try objectSize(size); count += 1 }
        if let size = try and.child("ObjectSizeLessThan") { filter.sizeLessThan = try objectSize(size); count += 1 }
        guard count >= 2 else { throw .malformed("<And> needs two or more predicates") }
        return try sizes(filter)
    }

    /// `<Tag>`: Key required; Value may be left out (then the tag must have the empty value). Taken exactly as sent.
    private static func lifecycleTag(_ element: ParsedElement) throws(S3XMLError) -> LifecycleTag {
        guard let key = try element.child("Key") else { throw .malformed("<Tag> without <Key>") }
        return LifecycleTag(key: try key.exactText(), value: try element.child("Value")?.exactText() ?? "")
    }

    /// ObjectSizeGreaterThan / ObjectSizeLessThan: a non-negative number of bytes.
    private static func objectSize(_ element: ParsedElement) throws(S3XMLError) -> Int64 {
        Int64(try nonNegativeInteger(element.text(), field: element.name))
    }

    /// Both bounds given: the range must hold some size.
    private static func sizes(_ filter: LifecycleFilter) throws(S3XMLError) -> LifecycleFilter {
        if let above = filter.sizeGreaterThan, let below = filter.sizeLessThan, above >= below {
            throw .invalidArgument("ObjectSizeGreaterThan must be less than ObjectSizeLessThan")
        }
        return filter
    }

    private static func positiveDays(_ element: ParsedElement, action: String, field: String = "Days") throws(S3XMLError) -> Int {
        let days = try nonNegativeInteger(element.text(), field: element.name)
        guard days > 0 else { throw .invalidArgument("'\(field)' for \(action) action must be a positive integer") }
        return days
    }
}
