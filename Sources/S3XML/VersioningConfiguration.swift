/// A PutBucketVersioning document: `<VersioningConfiguration><Status>…</Status><MfaDelete>…</MfaDelete></VersioningConfiguration>`.
public struct VersioningConfiguration: Sendable, Equatable {
    /// "Enabled" or "Suspended"; nil when the document names none (S3 then changes nothing).
    public var status: String?
    /// "Enabled" or "Disabled"; nil when absent.
    public var mfaDelete: String?
    public init(status: String?, mfaDelete: String?) { self.status = status; self.mfaDelete = mfaDelete }
}

extension S3RequestXML {
    /// Parses and validates the document: Status only Enabled or Suspended, MfaDelete only Enabled or
    /// Disabled (anything else is MalformedXML, as S3 answers).
    public static func versioningConfiguration(_ body: [UInt8]) throws(S3XMLError) -> VersioningConfiguration {
        let root = try SafeXMLParser.parse(body, root: "VersioningConfiguration")
        let status = try root.child("Status")?.text()
        let mfaDelete = try root.child("MfaDelete")?.text()
        if let status, status != "Enabled" && status != "Suspended" { throw .malformed("Status must be Enabled or Suspended") }
        if let mfaDelete, mfaDelete != "Enabled" && mfaDelete != "Disabled" { throw .malformed("MfaDelete must be Enabled or Disabled") }
        return VersioningConfiguration(status: status, mfaDelete: mfaDelete)
    }
}
