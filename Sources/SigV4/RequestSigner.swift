import Foundation
import WireFormats

/// Signs an outgoing request with SigV4 in the Authorization header: the client side of what `Verifier` checks, built
/// from the same canonical request, string to sign and key derivation, so the two cannot drift apart.
public struct RequestSigner: Sendable {
    public var accessKey: String
    public var secretKey: String
    public var sessionToken: String?
    public var region: String
    public var service: String

    public init(accessKey: String, secretKey: String, sessionToken: String? = nil, region: String, service: String = "s3") {
        self.accessKey = accessKey
        self.secretKey = secretKey
        self.sessionToken = sessionToken
        self.region = region
        self.service = service
    }

    /// The headers to add to `request` (whose `path` and `query` are already percent-encoded as they go on the wire,
    /// and whose headers include `host`): x-amz-date, x-amz-content-sha256, x-amz-security-token when there is a
    /// session token, and authorization. Every header of `request` is signed.
    public func signatureHeaders(for request: IncomingRequest, payloadHash: String, at time: Date = Date()) -> [(name: String, value: String)] {
        let amzDate = ISO8601Time.formatBasic(Int64(time.timeIntervalSince1970))
        var added: [(name: String, value: String)] = [("x-amz-date", amzDate), ("x-amz-content-sha256", payloadHash)]
        if let sessionToken { added.append(("x-amz-security-token", sessionToken)) }
        var signed = request
        signed.headers += added
        let names = Array(Set(signed.headers.map { $0.name.lowercased() })).sorted()
        let canonical = CanonicalRequest.build(method: request.method, path: request.path,
                                               canonicalQuery: QueryString(request.query).canonical(),
                                               signedHeaders: names, in: signed, payloadHash: payloadHash)
        let scope = CredentialScope("\(accessKey)/\(amzDate.prefix(8))/\(region)/\(service)/aws4_request")!
        let stringToSign = CanonicalRequest.stringToSign(amzDate: amzDate, scope: scope, canonicalRequest: canonical)
        let key = Primitives.deriveSigningKey(secret: secretKey, date: scope.date, region: region, service: service)
        let signature = Hex.encode(Primitives.hmacSHA256(key: key, stringToSign))
        added.append(("authorization", "AWS4-HMAC-SHA256 Credential=\(accessKey)/\(scope.scope), SignedHeaders=\(names.joined(separator: ";")), Signature=\(signature)"))
        return added
    }

    /// The payload hash of a request whose body is not signed (S3 accepts it over http and https).
    public static let unsignedPayload = "UNSIGNED-PAYLOAD"
}
