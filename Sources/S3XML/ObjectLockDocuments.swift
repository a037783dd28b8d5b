/// The Object Lock request documents: PutObjectLockConfiguration's `ObjectLockConfiguration`,
/// PutObjectRetention's `Retention` and PutObjectLegalHold's `LegalHold`.
public struct ObjectLockConfigurationDocument: Sendable, Equatable {
    /// GOVERNANCE or COMPLIANCE, with exactly one of days and years; nil mode: no default retention.
    public var mode: String?
    public var days: Int?
    public var years: Int?
    public init(mode: String? = nil, days: Int? = nil, years: Int? = nil) { self.mode = mode; self.days = days; self.years = years }
}

extension S3RequestXML {
    static let retentionModes: Set<String> = ["GOVERNANCE", "COMPLIANCE"]
    /// S3's longest default retention.
    public static let maxRetentionDays = 36_500, maxRetentionYears = 100

    /// `<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention>
    /// <Mode>…</Mode><Days>…</Days> or <Years>…</Years></DefaultRetention></Rule></ObjectLockConfiguration>`.
    /// ObjectLockEnabled must be Enabled; a Rule needs a DefaultRetention with a Mode and exactly one of
    /// Days and Years (MalformedXML otherwise); a period that is not positive or is past 100 years is
    /// InvalidArgument, as S3 answers.
    public static func objectLockConfiguration(_ body: [UInt8]) throws(S3XMLError) -> ObjectLockConfigurationDocument {
        let root = try SafeXMLParser.parse(body, root: "ObjectLockConfiguration")
        guard try root.child("ObjectLockEnabled")?.text() == "Enabled" else { throw .malformed("ObjectLockEnabled must be Enabled") }
        guard let rule = try root.child("Rule") else { return ObjectLockConfigurationDocument() }
        guard let retention = try rule.child("DefaultRetention") else { throw .malformed("<Rule> without <DefaultRetention>") }
        guard let mode = try retention.child("Mode")?.text(), retentionModes.contains(mode) else {
            throw .malformed("Mode must be GOVERNANCE or COMPLIANCE")
        }
        let days = try retention.child("Days")?.text(), years = try retention.child("Years")?.text()
        guard (days == nil) != (years == nil) else { throw .malformed("exactly one of <Days> and <Years>") }
        func period(_ text: String, max: Int) throws(S3XMLError) -> Int {
            guard let n = Int(text), n > 0 else { throw .invalidArgument("Default retention period must be a positive integer value.") }
            guard n <= max else { throw .invalidArgument("Default retention period is too large.") }
            return n
        }
        return ObjectLockConfigurationDocument(mode: mode, days: try days.map { t throws(S3XMLError) in try period(t, max: maxRetentionDays) },
                                               years: try years.map { t throws(S3XMLError) in try period(t, max: maxRetentionYears) })
    }

    /// `<Retention><Mode>…</Mode><RetainUntilDate>…</RetainUntilDate></Retention>`: both (the date as
    /// sent, for the caller to parse), or neither (the retention is removed); one alone is MalformedXML.
    public static func retention(_ body: [UInt8]) throws(S3XMLError) -> (mode: String, retainUntil: String)? {
        let root = try SafeXMLParser.parse(body, root: "Retention")
        let mode = try root.child("Mode")?.text(), until = try root.child("RetainUntilDate")?.text()
        switch (mode, until) {
        case (nil, nil): return nil
        case (let mode?, let until?):
            guard retentionModes.contains(mode) else { throw .malformed("Mode must be GOVERNANCE or COMPLIANCE") }
            return (mode, until)
        default: throw .malformed("<Mode> and <RetainUntilDate> go together")
        }
    }

    /// `<LegalHold><Status>ON|OFF</Status></LegalHold>`: whether the hold is on.
    public static func legalHold(_ body: [UInt8]) throws(S3XMLError) -> Bool {
        let root = try SafeXMLParser.parse(body, root: "LegalHold")
        switch try root.child("Status")?.text() {
        case "ON": return true
        case "OFF": return false
        default: throw .malformed("Status must be ON or OFF")
        }
    }
}
