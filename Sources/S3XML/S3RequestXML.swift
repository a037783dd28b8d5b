/// Parsers for the S3 request bodies Tessera accepts. Each takes the complete
/// body (size already capped by the caller) and returns plain values, or an
/// S3XMLError to send back as is.
public enum S3RequestXML {}

extension S3RequestXML {
    /// A non-negative decimal integer: ASCII digits only (no sign, no spaces
    /// inside, no exponent) that fits in Int.
    static func nonNegativeInteger(_ text: String, field: String) throws(S3XMLError) -> Int {
        // By hand on the bytes (Int(String) is generic, and a completion reads 10,000 of these).
        guard !text.isEmpty else { throw .malformed("<\(field)> is not a non-negative integer") }
        var value = 0
        for b in text.utf8 {
            guard b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") else { throw .malformed("<\(field)> is not a non-negative integer") }
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(Int(b - UInt8(ascii: "0")))
            guard !o1 && !o2 else { throw .malformed("<\(field)> is not a non-negative integer") }
            value = sum
        }
        return value
    }

    /// "abc", abc and &#34;abc&#34; (decoded by the parser to "abc") all mean abc.
    static func strippingQuotes(_ etag: String) -> String {
        let u = etag.utf8
        if u.allSatisfy({ $0 < 0x80 }) {
            // In ASCII a quote is a Character of its own: look at the bytes.
            var lo = u.startIndex, hi = u.endIndex
            if lo != hi && u[lo] == UInt8(ascii: "\"") { lo = u.index(after: lo) }
            if lo != hi && u[u.index(before: hi)] == UInt8(ascii: "\"") { hi = u.index(before: hi) }
            return lo == u.startIndex && hi == u.endIndex ? etag : String(etag[lo..<hi])
        }
        var s = Substring(etag)
        if s.hasPrefix("\"") { s = s.dropFirst() }
        if s.hasSuffix("\"") { s = s.dropLast() }
        return String(s)
    }
}
