import HTTPTypes
import Testing
@testable import GatewayHTTP

@Suite struct CORSRuleTests {
    let upload = CORSRule(allowedOrigins: ["https://*.example.com", "http://localhost:8080"], allowedMethods: ["PUT", "POST"],
                          allowedHeaders: ["Content-Type", "x-amz-*"], exposeHeaders: ["ETag"], maxAgeSeconds: 600)
    let anyoneReads = CORSRule(allowedOrigins: ["*"], allowedMethods: ["GET", "HEAD"])

    @Test func originWildcards() {
        #expect(upload.originPattern(admitting: "https://app.example.com") == "https://*.example.com")
        #expect(upload.originPattern(admitting: "https://a.b.example.com") == "https://*.example.com")
        #expect(upload.originPattern(admitting: "http://localhost:8080") == "http://localhost:8080")
        #expect(upload.originPattern(admitting: "https://example.com") == nil)           // the dot is part of the pattern
        #expect(upload.originPattern(admitting: "http://app.example.com") == nil)        // scheme
        #expect(upload.originPattern(admitting: "https://app.example.com.evil") == nil)  // suffix anchored
        #expect(upload.originPattern(admitting: "http://localhost:8081") == nil)
        #expect(upload.originPattern(admitting: "HTTP://LOCALHOST:8080") == nil)         // origins are bytes
        #expect(anyoneReads.originPattern(admitting: "null") == "*")
    }

    @Test func wildcardMatching() {
        func m(_ p: String, _ v: String, _ ci: Bool = false) -> Bool { CORSRule.wildcardMatch(Array(p.utf8), Array(v.utf8), ignoringCase: ci) }
        #expect(m("*", ""))
        #expect(m("a*", "a"))
        #expect(m("*b", "aab"))
        #expect(!m("*b", "aba"))
        #expect(m("a*b*c", "axxbyyc"))
        #expect(!m("a*b*c", "axxbyy"))
        #expect(m("X-Amz-*", "x-amz-date", true))
        #expect(!m("X-Amz-*", "x-amz-date", false))
        #expect(!m("abc", "ab"))
        #expect(!m("ab", "abc"))
        // "é" precomposed and decomposed are different bytes: not the same origin.
        #expect(!m("https://caf\u{E9}.example", "https://cafe\u{301}.example"))
    }

    @Test func methodsExactlyAndHeadersIgnoringCase() {
        #expect(upload.allowsMethod("PUT"))
        #expect(!upload.allowsMethod("put"))
        #expect(!upload.allowsMethod("GET"))
        #expect(upload.allowsHeaders([]))
        #expect(upload.allowsHeaders(["content-type", "X-AMZ-DATE", "x-amz-content-sha256"]))
        #expect(!upload.allowsHeaders(["content-type", "authorization"]))
        #expect(!anyoneReads.allowsHeaders(["range"]))    // no AllowedHeader: no request header may be named
    }

    @Test func firstMatchingRuleWins() {
        let rules = [upload, anyoneReads]
        #expect(CORSRule.firstMatch(in: rules, origin: "https://app.example.com", method: "PUT")?.rule == upload)
        #expect(CORSRule.firstMatch(in: rules, origin: "https://app.example.com", method: "GET")?.rule == anyoneReads)
        #expect(CORSRule.firstMatch(in: rules, origin: "https://other.org", method: "PUT") == nil)
        #expect(CORSRule.firstMatch(in: rules, origin: "https://app.example.com", method: "PUT", requestHeaders: ["authorization"]) == nil)
    }

    @Test func responseHeaders() {
        let specific = upload.responseHeaders(origin: "https://app.example.com", pattern: "https://*.example.com")
        #expect(specific[.accessControlAllowOrigin] == "https://app.example.com")
        #expect(specific[.accessControlAllowCredentials] == "true")
        #expect(specific[.accessControlExposeHeaders] == "ETag")
        #expect(specific[.accessControlAllowMethods] == "PUT, POST")
        #expect(specific[.accessControlMaxAge] == "600")
        let any = anyoneReads.responseHeaders(origin: "https://x.org", pattern: "*")
        #expect(any[.accessControlAllowOrigin] == "*")
        #expect(any[.accessControlAllowCredentials] == nil)
        #expect(any[.accessControlExposeHeaders] == nil)
    }

    @Test func preflightOutcomes() {
        func headers(_ pairs: [(HTTPField.Name, String)]) -> HTTPFields {
            var f = HTTPFields()
            for (n, v) in pairs { f.append(HTTPField(name: n, value: v)) }
            return f
        }
        let rules = [upload, anyoneReads]
        #expect(CORSPreflight.evaluate(headers([(.accessControlRequestMethod, "PUT")]), rules: rules) == .missingOrigin)
        #expect(CORSPreflight.evaluate(headers([(.origin, "http://localhost:8080")]), rules: rules) == .missingRequestMethod)
        #expect(CORSPreflight.evaluate(headers([(.origin, "http://localhost:8080"), (.accessControlRequestMethod, "DELETE")]), rules: rules)
            == .forbidden(method: "DELETE"))
        #expect(CORSPreflight.evaluate(headers([(.origin, "http://localhost:8080"), (.accessControlRequestMethod, "PUT")]), rules: [])
            == .forbidden(method: "PUT"))
        let asked = headers([(.origin, "http://localhost:8080"), (.accessControlRequestMethod, "PUT"),
                             (.accessControlRequestHeaders, "Content-Type, X-Amz-Date"), (.accessControlRequestHeaders, "x-amz-content-sha256")])
        guard case .allowed(let answer) = CORSPreflight.evaluate(asked, rules: rules) else {
            Issue.record("expected the preflight to be allowed"); return
        }
        #expect(answer[.accessControlAllowOrigin] == "http://localhost:8080")
        #expect(answer[.accessControlAllowHeaders] == "content-type, x-amz-date, x-amz-content-sha256")
        #expect(answer[.accessControlAllowMethods] == "PUT, POST")
        #expect(answer[.accessControlMaxAge] == "600")
        #expect(answer[.vary]?.contains("Origin") == true)
        let unlisted = headers([(.origin, "http://localhost:8080"), (.accessControlRequestMethod, "PUT"), (.accessControlRequestHeaders, "authorization")])
        #expect(CORSPreflight.evaluate(unlisted, rules: rules) == .forbidden(method: "PUT"))
    }

    @Test func jsonFrontEndRule() {
        #expect(CORSRule.jsonFrontEnd(origins: []).isEmpty)
        let rule = CORSRule.jsonFrontEnd(origins: ["https://*.app.test"])[0]
        #expect(rule.originPattern(admitting: "https://x.app.test") != nil)
        #expect(rule.allowsHeaders(["authorization", "content-type"]))
        #expect(rule.exposeHeaders == ["ETag"])
    }
}
