/// One tag a lifecycle rule's filter requires (Filter/Tag, Filter/And/Tag): a version carries it when it
/// has a tag of this key with exactly this value. Compared as bytes, never by Swift's canonical equivalence.
public struct LifecycleTag: Sendable, CustomStringConvertible {
    public var key: String
    /// "" when the filter's Tag has no Value (S3: the rule then applies to versions whose tag has no value).
    public var value: String

    public init(key: String, value: String) { self.key = key; self.value = value }

    public var description: String { "\(key)=\(value)" }

    /// Whether `tags` (a version's, as key/value pairs) hold this tag with the same value.
    public func isIn(_ tags: [(key: String, value: String)]) -> Bool {
        tags.contains { $0.key.utf8.elementsEqual(key.utf8) && $0.value.utf8.elementsEqual(value.utf8) }
    }
}

extension LifecycleTag: Equatable {
    public static func == (a: LifecycleTag, b: LifecycleTag) -> Bool {
        a.key.utf8.elementsEqual(b.key.utf8) && a.value.utf8.elementsEqual(b.value.utf8)
    }
}
