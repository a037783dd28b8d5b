import Foundation

/// One entry of ListObjectVersions: a version or a delete marker of a key.
public struct ObjectVersionSummary: Sendable, Equatable {
    public var key: String
    /// The store's version number (the order within a key: larger is newer).
    public var version: Int64
    /// Whether the version has its own ID ("null" otherwise; see `ObjectRecord.versioned`).
    public var versioned: Bool
    public var isDeleteMarker: Bool
    /// The key's latest version or marker.
    public var isLatest: Bool
    public var size: Int64
    public var etag: String
    public var lastModified: Date
    public var storageClass: String?
    /// The version's tags, when the scan was asked for them (`scanVersions(withTags: true)`): [] for none.
    /// nil: not read.
    public var tags: [ObjectTag]?

    public init(key: String, version: Int64, versioned: Bool, isDeleteMarker: Bool, isLatest: Bool, size: Int64, etag: String,
                lastModified: Date, storageClass: String?, tags: [ObjectTag]? = nil) {
        self.key = key; self.version = version; self.versioned = versioned; self.isDeleteMarker = isDeleteMarker
        self.isLatest = isLatest; self.size = size; self.etag = etag; self.lastModified = lastModified; self.storageClass = storageClass
        self.tags = tags
    }

    /// The version ID S3 clients see.
    public var versionID: String { versioned ? VersionSelector.version(version).id : VersionSelector.nullID }
}
