/// Parsers for the S3 request bodies Tessera accepts. Each takes the complete
/// body (size already capped by the caller) and returns plain values, or an
/// S3XMLError to send back as is.
public enum S3RequestXML {}

extension S3RequestXML {
    /// A non-negative decimal integer: ASCII digits only (no sign, no spaces
    /// inside, no exponent) that fits in Int.
    static func nonNegativeInteger(_ text: String, field: String) throws(S3XMLError) -> Int {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
              let value = Int(text) else {
            throw .malformed("<\(field)> is not a non-negative integer")
        }
        return value
    }

    /// "abc", abc and &#34;abc&#34; (decoded by the parser to "abc") all mean abc.
    static func strippingQuotes(_ etag: String) -> String {
        var s = Substring(etag)
        if s.hasPrefix("\"") { s = s.dropFirst() }
        if s.hasSuffix("\"") { s = s.dropLast() }
        return String(s)
    }
}
