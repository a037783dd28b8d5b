/// A request target ("/path?query") split as sent, with the one percent-decoding every front end
/// uses: escapes must be well formed and decode to UTF-8, else S3's InvalidURI.
package struct RequestTarget {
    /// The path as sent, escapes and all (signatures cover it so).
    package let rawPath: String
    /// What follows the first "?", as sent ("" when there is none).
    package let rawQuery: String

    package init(_ target: String) {
        if let q = target.utf8.firstIndex(of: UInt8(ascii: "?")) {
            rawPath = String(target[..<q])
            rawQuery = String(target[target.utf8.index(after: q)...])
        } else {
            rawPath = target
            rawQuery = ""
        }
    }

    package func decodedPath() throws -> String { try PercentDecoding.decode(rawPath[...]) }

    /// The query's parameters, decoded ("+" is a space); the first of a repeated name counts.
    package func decodedQuery() throws -> QueryParameters { try PercentDecoding.query(rawQuery) }
}
