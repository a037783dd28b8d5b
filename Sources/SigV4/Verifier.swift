import Foundation

/// Authenticates S3 requests: SigV4 header, SigV4 presigned query, SigV2 header and query.
public struct Verifier: Sendable {
    /// Region the credential scope must name; "" or "*" accepts any region.
    public let region: String
    public let service = "s3"
    let credentials: @Sendable (String) -> String?
    let maxSkew: TimeInterval?
    let now: @Sendable () -> Date
    let keyCache: SigningKeyCache

    /// credentials: access key -> secret (nil = unknown key -> InvalidAccessKeyId 403)
    /// maxSkew: nil disables clock-skew and presign-expiry checks (fixture replay)
    public init(
        region: String, credentials: @escaping @Sendable (String) -> String?, maxSkew: TimeInterval? = 900,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.region = region
        self.credentials = credentials
        self.maxSkew = maxSkew
        self.now = now
        self.keyCache = SigningKeyCache()
    }

    /// nil when the request carries no authentication at all (anonymous); throws AuthError when it carries auth that fails.
    public func verify(_ request: IncomingRequest) throws(AuthError) -> VerifiedAuth? {
        let authorization = request.header("authorization")
        let query = QueryString(request.query)
        let v4Query = query.contains("X-Amz-Algorithm") || query.contains("X-Amz-Signature")
            || query.contains("X-Amz-Credential")
        let v2Query = query.contains("AWSAccessKeyId") || (query.contains("Signature") && query.contains("Expires"))

        if let authorization {
            if v4Query || v2Query {
                throw AuthError.invalidArgument(
                    "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified",
                    name: "Authorization", value: authorization)
            }
            if authorization.hasPrefix("AWS4-HMAC-SHA256 ") {
                return try verifyHeaderV4(request, authorization: authorization, query: query)
            }
            if authorization.hasPrefix("AWS ") {
                return try verifyHeaderV2(request, authorization: authorization, query: query)
            }
            throw AuthError.invalidArgument("Unsupported Authorization Type", name: "Authorization", value: authorization)
        }
        if v4Query {
            return try verifyPresignedV4(request, query: query)
        }
        if v2Query {
            return try verifyQueryV2(request, query: query)
        }
        return nil
    }

    // MARK: - Shared checks

    var regionIsWildcard: Bool { region.isEmpty || region == "*" }

    func currentTime() -> Int64 { Int64(now().timeIntervalSince1970.rounded(.down)) }

    func secret(for accessKey: String) throws(AuthError) -> String {
        guard let secret = credentials(accessKey) else { throw AuthError.invalidAccessKeyId(accessKey) }
        return secret
    }

    func checkSkew(requestTime: Int64, sent: String) throws(AuthError) {
        guard let maxSkew else { return }
        let server = currentTime()
        if Double(abs(server - requestTime)) > maxSkew {
            throw AuthError.tooSkewed(requestTime: sent, serverTime: server, maxSkew: maxSkew)
        }
    }

    /// S3 rejects x-amz-* headers that are present but unsigned: otherwise anyone
    /// replaying a captured request could add x-amz-acl and the like.
    func checkAllSigned(_ request: IncomingRequest, signed: Set<String>, exempt: Set<String> = []) throws(AuthError) {
        var missing: [String] = []
        if !signed.contains("host") && request.header("host") != nil { missing.append("host") }
        for header in request.headers {
            let name = ASCII.lowercased(header.name)
            if name.hasPrefix("x-amz-"), !signed.contains(name), !exempt.contains(name), !missing.contains(name) {
                missing.append(name)
            }
        }
        if !missing.isEmpty { throw AuthError.headersNotSigned(missing) }
    }
}
