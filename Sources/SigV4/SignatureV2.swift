import Crypto
import Foundation
import WireFormats

/// SigV2: `Authorization: AWS AKID:base64sig` and `?AWSAccessKeyId=&Signature=&Expires=`.
extension Verifier {
    /// Query parameters that are part of the SigV2 CanonicalizedResource: S3's documented
    /// list plus what botocore's HmacV1 signer adds, since botocore is the main V2 client left.
    static let v2SubResources: Set<String> = [
        "accelerate", "acl", "analytics", "cors", "defaultObjectAcl", "delete", "inventory", "lifecycle",
        "location", "logging", "metrics", "notification", "object-lock", "partNumber", "policy", "replication",
        "requestPayment", "response-cache-control", "response-content-disposition", "response-content-encoding",
        "response-content-expires", "response-content-language", "response-content-type", "response-expires",
        "restore", "select", "select-type", "storageClass", "tagging", "torrent", "uploadId", "uploads",
        "versionId", "versioning", "versions", "website",
    ]

    func verifyHeaderV2(_ request: IncomingRequest, authorization: String, query: QueryString) throws(AuthError)
        -> VerifiedAuth
    {
        let body = ASCII.trimmed(authorization.dropFirst("AWS ".count))
        guard let colon = body.lastIndex(of: ":"), colon != body.startIndex, body.index(after: colon) != body.endIndex
        else {
            throw AuthError.invalidArgument(
                "AWS authorization header is invalid.  Expected AwsAccessKeyId:signature",
                name: "Authorization", value: authorization)
        }
        let accessKey = String(body[..<colon])
        let signature = String(body[body.index(after: colon)...])

        // With x-amz-date the Date line is empty: the date is signed among the x-amz-* headers instead.
        let amzDate = request.header("x-amz-date").map(ASCII.trimmed)
        let date = request.header("date").map(ASCII.trimmed)
        let sent: String
        let time: Int64
        if let amzDate, let t = HTTPDate.parse(amzDate, now: currentTime()) ?? ISO8601Time.parseBasic(amzDate) {
            (sent, time) = (amzDate, t)
        } else if amzDate == nil, let date, let t = HTTPDate.parse(date, now: currentTime()) {
            (sent, time) = (date, t)
        } else {
            throw AuthError.missingDate
        }
        let secret = try secret(for: accessKey)
        try checkSkew(requestTime: time, sent: sent)

        try checkSignatureV2(request, query: query, dateLine: amzDate == nil ? (date ?? "") : "", provided: signature,
                             accessKey: accessKey, secret: secret)
        return VerifiedAuth(accessKey: accessKey, version: 2, presigned: false, payload: .unsigned)
    }

    func verifyQueryV2(_ request: IncomingRequest, query: QueryString) throws(AuthError) -> VerifiedAuth {
        guard let accessKey = query.value("AWSAccessKeyId"), let signatureParam = query.parameter("Signature"),
            let expiresText = query.value("Expires")
        else {
            throw AuthError.accessDenied(
                "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters")
        }
        guard let expires = Int64(expiresText) else {
            throw AuthError.accessDenied("Invalid date (should be seconds since epoch): \(expiresText)")
        }
        let secret = try secret(for: accessKey)
        if maxSkew != nil {
            let server = currentTime()
            if server > expires {
                throw AuthError.accessDenied(
                    "Request has expired",
                    [("Expires", ISO8601Time.format(expires)), ("ServerTime", ISO8601Time.format(server))])
            }
        }
        // Base64 has '+'; a client that left it unescaped meant '+', not a space.
        let signature = String(
            decoding: PercentEncoding.decodeLeniently(signatureParam.rawValue.utf8, plusIsSpace: false), as: UTF8.self)
        try checkSignatureV2(request, query: query, dateLine: expiresText, provided: signature, accessKey: accessKey, secret: secret)
        return VerifiedAuth(accessKey: accessKey, version: 2, presigned: true, payload: .unsigned)
    }

    /// The signature over the request's string to sign. A path-style request on a bucket itself ("/bucket", no
    /// key) is also accepted signed over "/bucket/": botocore signs that form (its SigV2 signer sees the bucket
    /// path with a trailing slash) while it sends the path without one, and S3 accepts it.
    private func checkSignatureV2(_ request: IncomingRequest, query: QueryString, dateLine: String, provided: String,
                                  accessKey: String, secret: String) throws(AuthError) {
        let stringToSign = Self.stringToSignV2(request, query: query, dateLine: dateLine)
        if ConstantTime.equals(signatureV2(secret: secret, stringToSign), provided) { return }
        if request.virtualHostBucket == nil, request.path.utf8.count > 1, request.path.utf8.first == UInt8(ascii: "/"),
           !request.path.utf8.dropFirst().contains(UInt8(ascii: "/")) {
            var slashed = request
            slashed.path += "/"
            let alternative = Self.stringToSignV2(slashed, query: query, dateLine: dateLine)
            if ConstantTime.equals(signatureV2(secret: secret, alternative), provided) { return }
        }
        try checkSignatureV2(stringToSign, provided: provided, accessKey: accessKey, secret: secret)
    }

    private func checkSignatureV2(_ stringToSign: String, provided: String, accessKey: String, secret: String)
        throws(AuthError)
    {
        let expected = signatureV2(secret: secret, stringToSign)
        guard ConstantTime.equals(expected, provided) else {
            throw AuthError.signatureDoesNotMatch([
                ("AWSAccessKeyId", accessKey),
                ("StringToSign", stringToSign),
                ("SignatureProvided", provided),
                ("StringToSignBytes", AuthError.spacedHex(stringToSign)),
            ])
        }
    }

    /// base64(HMAC-SHA1(secret, stringToSign)), from an HMAC keyed once per secret (`SigningKeyCache`).
    private func signatureV2(secret: String, _ stringToSign: String) -> String {
        var mac = keyCache.keyedSHA1(secret: secret)
        mac.update(data: Array(stringToSign.utf8))
        return Data(mac.finalize()).base64EncodedString()
    }

    /// METHOD \n Content-MD5 \n Content-Type \n Date \n CanonicalizedAmzHeaders CanonicalizedResource
    static func stringToSignV2(_ request: IncomingRequest, query: QueryString, dateLine: String) -> String {
        var out = request.method + "\n"
        out += (request.header("content-md5").map(ASCII.trimmed) ?? "") + "\n"
        out += (request.header("content-type").map(ASCII.trimmed) ?? "") + "\n"
        out += dateLine + "\n"
        out += canonicalAmzHeadersV2(request)
        out += canonicalResourceV2(request, query: query)
        return out
    }

    /// x-amz-* headers, lowercased, sorted, repeated values joined with ','.
    static func canonicalAmzHeadersV2(_ request: IncomingRequest) -> String {
        var names: [String] = []
        var values: [String: [String]] = [:]
        for header in request.headers {
            let name = ASCII.lowercased(header.name)
            guard name.hasPrefix("x-amz-") else { continue }
            if values[name] == nil { names.append(name) }
            values[name, default: []].append(ASCII.trimmed(header.value))
        }
        var out = ""
        for name in names.sorted() {
            out += name + ":" + values[name]!.joined(separator: ",") + "\n"
        }
        return out
    }

    /// Path as sent (prefixed with the bucket for virtual-hosted style) plus the sub-resources present.
    static func canonicalResourceV2(_ request: IncomingRequest, query: QueryString) -> String {
        var out = ""
        if let bucket = request.virtualHostBucket, !bucket.isEmpty { out += "/" + bucket }
        out += request.path.isEmpty ? "/" : request.path
        var subresources: [(name: String, value: String)] = []
        for p in query.parameters {
            let name = p.nameString
            guard v2SubResources.contains(name) else { continue }
            let value = String(decoding: PercentEncoding.decodeLeniently(p.rawValue.utf8, plusIsSpace: false), as: UTF8.self)
            subresources.append((name, value))
        }
        guard !subresources.isEmpty else { return out }
        // Stable sort by name keeps repeated names in wire order.
        let sorted = subresources.enumerated().sorted { a, b in
            a.element.name != b.element.name ? a.element.name < b.element.name : a.offset < b.offset
        }
        out += "?"
        out += sorted.map { $0.element.value.isEmpty ? $0.element.name : $0.element.name + "=" + $0.element.value }
            .joined(separator: "&")
        return out
    }
}
