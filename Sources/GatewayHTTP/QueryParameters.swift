import WireFormats

/// A request's query parameters, decoded, in the order sent. A request carries a handful, so they are
/// kept in an array and looked up by a scan (no hashing, one allocation); names compare as bytes.
package struct QueryParameters: Sendable {
    package private(set) var pairs: [(name: String, value: String)] = []

    package init() {}

    /// Adds a parameter; a name already present keeps its first value (S3 reads the first of a repeated name).
    package mutating func add(_ name: String, _ value: String) {
        if self[name] == nil { pairs.append((name, value)) }
    }

    /// The value of `name`, nil when it was not sent ("" when sent without a value).
    package subscript(name: String) -> String? {
        for pair in pairs where sameBytes(pair.name, name) { return pair.value }
        return nil
    }
}
