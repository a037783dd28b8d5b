import HTTPTypes

/// How a CORS preflight (`OPTIONS` with Origin and Access-Control-Request-Method) is answered, on every
/// front end: S3 renders the outcome as its XML (a 400 BadRequest or 403 AccessForbidden), the JSON
/// front ends as their own errors. A preflight needs no credentials (browsers send none).
package enum CORSPreflight {
    package enum Outcome: Equatable {
        /// 200, with these headers.
        case allowed(HTTPFields)
        /// No Origin header: 400.
        case missingOrigin
        /// No Access-Control-Request-Method header: 400.
        case missingRequestMethod
        /// No rule admits this origin, method and these headers: 403.
        case forbidden(method: String)
    }

    package static func evaluate(_ headers: HTTPFields, rules: [CORSRule]) -> Outcome {
        guard let origin = headers[.origin] else { return .missingOrigin }
        guard let method = headers[.accessControlRequestMethod], !method.isEmpty else { return .missingRequestMethod }
        let requested = requestedHeaders(headers)
        guard let match = CORSRule.firstMatch(in: rules, origin: origin, method: method, requestHeaders: requested) else {
            return .forbidden(method: method)
        }
        return .allowed(match.rule.preflightHeaders(origin: origin, pattern: match.pattern, requestHeaders: requested))
    }

    /// The names listed in Access-Control-Request-Headers (every such field), lowercased, empty ones dropped.
    static func requestedHeaders(_ headers: HTTPFields) -> [String] {
        headers[values: .accessControlRequestHeaders].flatMap { value in
            value.split(separator: ",").map { String(decoding: $0.utf8.map(ASCIICase.lower), as: UTF8.self).trimmingSpaces() }
        }.filter { !$0.isEmpty }
    }

    /// S3's 400 for a preflight without Origin.
    package static let missingOriginMessage = "Insufficient information. Origin request header needed."
    package static let missingMethodMessage = "Invalid Access-Control-Request-Method: null"
    package static let forbiddenMessage = "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec."
}

extension String {
    /// Without leading and trailing spaces and tabs (HTTP's optional whitespace).
    fileprivate func trimmingSpaces() -> String {
        let u = Array(utf8)
        let isSpace = { (b: UInt8) in b == UInt8(ascii: " ") || b == UInt8(ascii: "\t") }
        guard let first = u.firstIndex(where: { !isSpace($0) }), let last = u.lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(decoding: u[first...last], as: UTF8.self)
    }
}
