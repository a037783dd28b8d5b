import StorageCore

/// Version IDs as requests carry them (`?versionId`, a DeleteObjects entry, a copy source's `?versionId`,
/// ListObjectVersions' version-id-marker): "null" or an ID this gateway made (see `VersionSelector`).
enum VersionID {
    static let null = VersionSelector.nullID

    /// The version named; the empty string and anything this gateway never makes are InvalidArgument,
    /// as S3 answers, before anything is done.
    static func parse(_ value: String, name: String = "versionId") throws -> VersionSelector {
        if value.isEmpty { throw CoreError.invalidArgument("Version id cannot be the empty string", name: name, value: value) }
        guard let version = VersionSelector(id: value) else {
            throw CoreError.invalidArgument("Invalid version id specified", name: name, value: value)
        }
        return version
    }
}
