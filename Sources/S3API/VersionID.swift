import StorageCore

/// Version IDs. No bucket here keeps versions: every object is the one version S3 calls "null", as in
/// a bucket that was never versioned. A request that names a version (`?versionId`, a DeleteObjects
/// entry, a copy source's `?versionId`) names that one, or is refused without touching anything.
enum VersionID {
    static let null = "null"

    /// "null" passes; the empty string and any other ID are InvalidArgument, as S3 answers for a
    /// bucket without versioning.
    static func check(_ value: String, name: String = "versionId") throws {
        if value.isEmpty { throw CoreError.invalidArgument("Version id cannot be the empty string", name: name, value: value) }
        guard value == null else { throw CoreError.invalidArgument("Invalid version id specified", name: name, value: value) }
    }
}
