import HTTPTypes

/// One cross-origin rule, as S3's CORSRule means it: which origins may use which methods with which
/// request headers, which response headers their scripts may read, and how long a browser may keep a
/// preflight's answer. A bucket's rules come from its CORS configuration; the JSON front ends make one
/// from `--worker-cors-origins` / `--tasks-cors-origins`. The first rule that matches a request wins.
package struct CORSRule: Sendable, Equatable {
    /// Origins, each a pattern where `*` stands for any run of bytes; matched byte for byte.
    package var allowedOrigins: [String]
    /// Method names (GET, PUT, POST, DELETE, HEAD), matched exactly.
    package var allowedMethods: [String]
    /// Header names, patterns where `*` stands for any run; matched ignoring ASCII case.
    package var allowedHeaders: [String]
    package var exposeHeaders: [String]
    package var maxAgeSeconds: Int?

    package init(allowedOrigins: [String], allowedMethods: [String], allowedHeaders: [String] = [],
                 exposeHeaders: [String] = [], maxAgeSeconds: Int? = nil) {
        self.allowedOrigins = allowedOrigins
        self.allowedMethods = allowedMethods
        self.allowedHeaders = allowedHeaders
        self.exposeHeaders = exposeHeaders
        self.maxAgeSeconds = maxAgeSeconds
    }

    /// The origin pattern that admits `origin`, if any.
    package func originPattern(admitting origin: String) -> String? {
        allowedOrigins.first { Self.wildcardMatch(Array($0.utf8), Array(origin.utf8), ignoringCase: false) }
    }

    package func allowsMethod(_ method: String) -> Bool {
        allowedMethods.contains { $0.utf8.elementsEqual(method.utf8) }
    }

    /// Whether every header named in a preflight's Access-Control-Request-Headers is allowed.
    package func allowsHeaders(_ names: [String]) -> Bool {
        names.allSatisfy { name in
            allowedHeaders.contains { Self.wildcardMatch(Array($0.utf8), Array(name.utf8), ignoringCase: true) }
        }
    }

    /// The first rule admitting the origin and method (and, for a preflight, the requested headers),
    /// with the origin pattern that matched.
    package static func firstMatch(in rules: [CORSRule], origin: String, method: String,
                                   requestHeaders: [String] = []) -> (rule: CORSRule, pattern: String)? {
        for rule in rules where rule.allowsMethod(method) && rule.allowsHeaders(requestHeaders) {
            if let pattern = rule.originPattern(admitting: origin) { return (rule, pattern) }
        }
        return nil
    }

    /// `pattern` (where `*` is any run of bytes, possibly empty) matches all of `value`.
    package static func wildcardMatch(_ pattern: [UInt8], _ value: [UInt8], ignoringCase: Bool) -> Bool {
        let star = UInt8(ascii: "*")
        func same(_ a: UInt8, _ b: UInt8) -> Bool {
            guard ignoringCase else { return a == b }
            return ASCIICase.lower(a) == ASCIICase.lower(b)
        }
        // Greedy with backtracking to the last star: linear in practice, never worse than |p|·|v|.
        var (p, v) = (0, 0)
        var lastStar: Int?
        var resumeAt = 0
        while v < value.count {
            if p < pattern.count && pattern[p] == star {
                lastStar = p; resumeAt = v; p += 1
            } else if p < pattern.count && same(pattern[p], value[v]) {
                p += 1; v += 1
            } else if let s = lastStar {
                p = s + 1; resumeAt += 1; v = resumeAt
            } else {
                return false
            }
        }
        while p < pattern.count && pattern[p] == star { p += 1 }
        return p == pattern.count
    }

    // MARK: the headers a match puts on a response

    /// An actual (non-preflight) response to `origin`: who may read it, and which headers its script sees.
    package func responseHeaders(origin: String, pattern: String) -> HTTPFields {
        var fields = HTTPFields()
        let anyOrigin = pattern == "*"
        fields[.accessControlAllowOrigin] = anyOrigin ? "*" : origin
        fields[.accessControlAllowMethods] = allowedMethods.joined(separator: ", ")
        if !anyOrigin { fields[.accessControlAllowCredentials] = "true" }
        if !exposeHeaders.isEmpty { fields[.accessControlExposeHeaders] = exposeHeaders.joined(separator: ", ") }
        if let maxAgeSeconds { fields[.accessControlMaxAge] = String(maxAgeSeconds) }
        return fields
    }

    /// A preflight's 200: the actual request may be sent, with these headers, and cached this long.
    package func preflightHeaders(origin: String, pattern: String, requestHeaders: [String]) -> HTTPFields {
        var fields = responseHeaders(origin: origin, pattern: pattern)
        if !requestHeaders.isEmpty { fields[.accessControlAllowHeaders] = requestHeaders.joined(separator: ", ") }
        fields[.vary] = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"
        return fields
    }
}

extension CORSRule {
    /// The rule a JSON front end's `--…-cors-origins` make: those origins, every method those APIs
    /// use, any request header (Authorization, Content-Type), and ETag readable by scripts.
    package static func jsonFrontEnd(origins: [String]) -> [CORSRule] {
        guard !origins.isEmpty else { return [] }
        return [CORSRule(allowedOrigins: origins, allowedMethods: ["GET", "PUT", "POST", "DELETE", "HEAD"],
                         allowedHeaders: ["*"], exposeHeaders: ["ETag"])]
    }
}
