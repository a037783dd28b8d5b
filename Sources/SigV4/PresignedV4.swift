import WireFormats

/// Presigned SigV4 URLs: X-Amz-Algorithm, -Credential, -Date, -Expires, -SignedHeaders, -Signature.
extension Verifier {
    /// S3's upper bound for X-Amz-Expires: seven days.
    static let maxPresignExpiry: Int64 = 604_800

    func verifyPresignedV4(_ request: IncomingRequest, query: QueryString) throws(AuthError) -> VerifiedAuth {
        guard let algorithm = query.value("X-Amz-Algorithm"), let credentialText = query.value("X-Amz-Credential"),
            let signature = query.value("X-Amz-Signature"), let amzDate = query.value("X-Amz-Date"),
            let signedHeadersText = query.value("X-Amz-SignedHeaders"), let expiresText = query.value("X-Amz-Expires")
        else {
            throw AuthError.queryMalformed(
                "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.")
        }
        guard algorithm == "AWS4-HMAC-SHA256" else {
            throw AuthError.queryMalformed("X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"")
        }
        guard let credential = CredentialScope(credentialText) else {
            throw Self.credentialMalformed(presigned: true)
        }
        try checkScope(credential, presigned: true)
        guard let requestTime = ISO8601Time.parseBasic(amzDate) else {
            throw AuthError.queryMalformed("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
        }
        guard let expires = Int64(expiresText) else {
            throw AuthError.queryMalformed("X-Amz-Expires should be a number")
        }
        // A URL whose lifetime is out of range is refused as forbidden (403), as the S3 conformance suites
        // expect of S3: more than a week is AccessDenied; zero or negative lifetimes have already expired
        // (checkExpiry, once the key is known).
        guard expires <= Self.maxPresignExpiry else {
            throw AuthError.accessDenied("X-Amz-Expires must be less than a week (in seconds) that is; 604800",
                                         [("X-Amz-Expires", expiresText)])
        }
        let day = String(amzDate.prefix(8))
        if credential.date != day {
            throw AuthError.queryMalformed(
                "Invalid credential date \"\(credential.date)\". This date is not the same as X-Amz-Date: \"\(day)\".")
        }

        // Without X-Amz-Content-Sha256 in the query, a presigned URL signs UNSIGNED-PAYLOAD.
        var payloadHash = "UNSIGNED-PAYLOAD"
        var payload = PayloadMode.unsigned
        if let sent = query.value("X-Amz-Content-Sha256") {
            guard let mode = Self.payloadMode(sent), !mode.isStreaming else {
                throw AuthError.invalidArgument(
                    "X-Amz-Content-Sha256 must be UNSIGNED-PAYLOAD or a valid sha256 value.",
                    name: "X-Amz-Content-Sha256", value: sent)
            }
            payloadHash = sent
            payload = mode
        }

        let signedHeaders = ASCII.split(signedHeadersText, 0x3b).map { ASCII.lowercased(String($0)) }
        if signedHeaders.contains(where: \.isEmpty) {
            throw AuthError.queryMalformed("X-Amz-SignedHeaders is malformed")
        }
        // A presigned URL's body is unsigned, so an x-amz-content-sha256 header carries no weight here.
        try checkAllSigned(request, signed: Set(signedHeaders), exempt: ["x-amz-content-sha256"])
        let secret = try secret(for: credential.accessKey)
        try checkExpiry(requestTime: requestTime, expires: expires)

        let claim = SigV4Claim(
            credential: credential, amzDate: amzDate, signedHeaders: signedHeaders,
            canonicalQuery: query.canonical(excluding: "X-Amz-Signature"), payloadHash: payloadHash,
            signature: signature, presigned: true)
        _ = try checkSignature(claim, request: request, secret: secret)
        return VerifiedAuth(accessKey: credential.accessKey, version: 4, presigned: true, payload: payload)
    }

    private func checkExpiry(requestTime: Int64, expires: Int64) throws(AuthError) {
        guard let maxSkew else { return }
        let server = currentTime()
        // X-Amz-Expires=0 is a URL that has already expired, not one valid for the second it was signed in.
        if expires <= 0 || server > requestTime + expires {
            throw AuthError.accessDenied(
                "Request has expired",
                [
                    ("X-Amz-Expires", String(expires)),
                    ("Expires", ISO8601Time.format(requestTime + expires)),
                    ("ServerTime", ISO8601Time.format(server)),
                ])
        }
        if Double(requestTime - server) > maxSkew {
            throw AuthError.accessDenied(
                "Request is not valid yet",
                [("X-Amz-Date", ISO8601Time.format(requestTime)), ("ServerTime", ISO8601Time.format(server))])
        }
    }
}
