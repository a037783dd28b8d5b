/// A lifecycle rule's Filter (or legacy Rule/Prefix): which versions the rule applies to. Every predicate
/// given must hold (S3's And): the key starts with `prefix` (bytes), each of `tags` is on the version with
/// the same value (bytes), and the size is strictly greater than `sizeGreaterThan` and strictly less than
/// `sizeLessThan`. A delete marker has no tags and size 0.
public struct LifecycleFilter: Sendable, Equatable {
    /// "" if none.
    public var prefix: String
    public var tags: [LifecycleTag]
    /// ObjectSizeGreaterThan, in bytes (exclusive).
    public var sizeGreaterThan: Int64?
    /// ObjectSizeLessThan, in bytes (exclusive).
    public var sizeLessThan: Int64?

    public init(prefix: String = "", tags: [LifecycleTag] = [], sizeGreaterThan: Int64? = nil, sizeLessThan: Int64? = nil) {
        self.prefix = prefix; self.tags = tags; self.sizeGreaterThan = sizeGreaterThan; self.sizeLessThan = sizeLessThan
    }

    /// Whether the filter names a size bound.
    public var hasSize: Bool { sizeGreaterThan != nil || sizeLessThan != nil }

    /// Whether `key` is within the prefix, byte for byte (never String comparison: canonically equivalent
    /// text is not the same key).
    public func matches(key: String) -> Bool {
        key.utf8.starts(with: prefix.utf8)
    }

    /// Whether a version of `key` with `size` bytes and `tags` is within the filter. `tags` nil means the
    /// version's tags were not read: a filter with tag predicates then never matches (it may only do less).
    public func matches(key: String, size: Int64, tags versionTags: [(key: String, value: String)]?) -> Bool {
        guard matches(key: key) else { return false }
        if let bound = sizeGreaterThan, !(size > bound) { return false }
        if let bound = sizeLessThan, !(size < bound) { return false }
        guard !tags.isEmpty else { return true }
        guard let versionTags else { return false }
        return tags.allSatisfy { $0.isIn(versionTags) }
    }
}
