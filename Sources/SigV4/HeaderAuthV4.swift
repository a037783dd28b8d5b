import WireFormats

/// `Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`
extension Verifier {
    func verifyHeaderV4(_ request: IncomingRequest, authorization: String, query: QueryString) throws(AuthError)
        -> VerifiedAuth
    {
        let fields = try Self.parseAuthorizationV4(authorization)
        guard let credential = CredentialScope(fields.credential) else {
            throw Self.credentialMalformed(presigned: false)
        }
        try checkScope(credential, presigned: false)

        // S3 requires x-amz-content-sha256 with header auth; its value is the payload hash that was signed.
        guard let payloadHash = request.header("x-amz-content-sha256").map(ASCII.trimmed) else {
            throw AuthError.invalidRequest("Missing required header for this request: x-amz-content-sha256")
        }
        guard let payload = Self.payloadMode(payloadHash) else {
            throw AuthError.invalidArgument(
                "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a valid sha256 value.",
                name: "x-amz-content-sha256", value: payloadHash)
        }

        let (amzDate, requestTime) = try Self.requestDate(request, now: currentTime())
        let day = String(amzDate.prefix(8))
        if credential.date != day {
            throw AuthError.headerMalformed(
                "Invalid credential date \"\(credential.date)\". This date is not the same as X-Amz-Date: \"\(day)\".")
        }
        try checkAllSigned(request, signed: Set(fields.signedHeaders))
        let secret = try secret(for: credential.accessKey)
        try checkSkew(requestTime: requestTime, sent: amzDate)

        let claim = SigV4Claim(
            credential: credential, amzDate: amzDate, signedHeaders: fields.signedHeaders,
            canonicalQuery: query.canonical(), payloadHash: payloadHash, signature: fields.signature,
            presigned: false)
        let key = try checkSignature(claim, request: request, secret: secret)

        var signer: ChunkSigner? = nil
        if payload == .streamingSigned || payload == .streamingSignedTrailer {
            signer = ChunkSigner(
                signingKey: key, amzDate: amzDate, scope: credential.scope,
                seedSignature: ASCII.lowercased(fields.signature))
        }
        return VerifiedAuth(
            accessKey: credential.accessKey, version: 4, presigned: false, payload: payload, chunkSigner: signer)
    }

    struct AuthorizationV4 {
        var credential: String
        var signedHeaders: [String]
        var signature: String
    }

    /// Accepts the components with or without spaces after the commas (s3cmd sends none).
    static func parseAuthorizationV4(_ header: String) throws(AuthError) -> AuthorizationV4 {
        let body = header.dropFirst("AWS4-HMAC-SHA256".count)
        var credential: String?
        var signedHeaders: String?
        var signature: String?
        for piece in ASCII.split(body, 0x2c) {
            let part = ASCII.trimmed(piece)
            guard let eq = ASCII.firstIndex(of: 0x3d, in: part) else {
                throw AuthError.headerMalformed("the authorization component \"\(part)\" is malformed.")
            }
            let value = String(part[part.utf8.index(after: eq)...])
            switch part[..<eq] {
            case "Credential": credential = value
            case "SignedHeaders": signedHeaders = value
            case "Signature": signature = value
            default: throw AuthError.headerMalformed("the authorization component \"\(part)\" is malformed.")
            }
        }
        guard let credential, let signedHeaders, let signature, !signedHeaders.isEmpty, !signature.isEmpty else {
            throw AuthError.headerMalformed(
                "the authorization header requires three components: Credential, SignedHeaders, and Signature.")
        }
        let names = ASCII.split(signedHeaders, 0x3b).map { ASCII.lowercased(String($0)) }
        if names.contains(where: \.isEmpty) {
            throw AuthError.headerMalformed("the authorization component \"SignedHeaders=\(signedHeaders)\" is malformed.")
        }
        return AuthorizationV4(credential: credential, signedHeaders: names, signature: signature)
    }

    static func payloadMode(_ value: String) -> PayloadMode? {
        switch value {
        case "UNSIGNED-PAYLOAD": return .unsigned
        case "STREAMING-AWS4-HMAC-SHA256-PAYLOAD": return .streamingSigned
        case "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER": return .streamingSignedTrailer
        case "STREAMING-UNSIGNED-PAYLOAD-TRAILER": return .streamingUnsignedTrailer
        default: return Hex.isHex(value, count: 64) ? .sha256(ASCII.lowercased(value)) : nil
        }
    }

    /// x-amz-date wins over Date, as in S3; the result is in the form the string to sign uses.
    /// `now` (seconds since 1970) places a Date header's two-digit year (RFC 850 form).
    static func requestDate(_ request: IncomingRequest, now: Int64) throws(AuthError) -> (amzDate: String, time: Int64) {
        if let sent = request.header("x-amz-date").map(ASCII.trimmed) {
            guard let time = ISO8601Time.parseBasic(sent) else { throw AuthError.missingDate }
            return (sent, time)
        }
        if let sent = request.header("date"), let time = HTTPDate.parse(sent, now: now) {
            return (ISO8601Time.formatBasic(time), time)
        }
        throw AuthError.missingDate
    }
}
