import WireFormats

/// Browser-based uploads (S3 PostObject): the request has no Authorization header; the form's
/// `policy` field (base64 JSON) is what the bucket owner signed, and the credentials are form fields.
///
/// * SigV4: `x-amz-algorithm` = AWS4-HMAC-SHA256, `x-amz-credential` = AKID/date/region/s3/aws4_request,
///   `x-amz-date`, `x-amz-signature` = hex HMAC-SHA256(signing key, policy).
/// * SigV2: `AWSAccessKeyId`, `signature` = base64 HMAC-SHA1(secret, policy).
///
/// Only the signature is checked here; the policy's expiration and conditions are the caller's.
extension Verifier {
    /// - Parameter field: the value of a form field by lowercase name (the caller matches names
    ///   case-insensitively), for the fields before the file.
    /// - Returns: nil when the form carries no credentials at all (an anonymous upload).
    public func verifyPostPolicy(field: (String) -> String?) throws(AuthError) -> VerifiedAuth? {
        let policy = field("policy")
        if field("x-amz-algorithm") != nil || field("x-amz-credential") != nil || field("x-amz-signature") != nil {
            guard let algorithm = field("x-amz-algorithm") else { throw Self.missingPostField("x-amz-algorithm") }
            guard algorithm == "AWS4-HMAC-SHA256" else {
                throw AuthError.invalidArgument(
                    "Unsupported x-amz-algorithm; only AWS4-HMAC-SHA256 is supported", name: "x-amz-algorithm",
                    value: algorithm)
            }
            guard let credentialText = field("x-amz-credential") else { throw Self.missingPostField("x-amz-credential") }
            guard let amzDate = field("x-amz-date") else { throw Self.missingPostField("x-amz-date") }
            guard let signature = field("x-amz-signature") else { throw Self.missingPostField("x-amz-signature") }
            guard let policy else { throw Self.missingPostField("policy") }
            guard let credential = CredentialScope(credentialText) else {
                throw Self.credentialMalformed(presigned: true)
            }
            try checkScope(credential, presigned: true)
            guard ISO8601Time.parseBasic(amzDate) != nil else {
                throw AuthError.invalidArgument(
                    "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"", name: "x-amz-date",
                    value: amzDate)
            }
            let day = String(amzDate.prefix(8))
            if credential.date != day {
                throw AuthError.queryMalformed(
                    "Invalid credential date \"\(credential.date)\". This date is not the same as X-Amz-Date: \"\(day)\".")
            }
            let secret = try secret(for: credential.accessKey)
            let key = keyCache.signingKey(
                secret: secret, date: credential.date, region: credential.region, service: credential.service)
            let expected = Hex.encode(Primitives.hmacSHA256(key: key, policy))
            guard ConstantTime.equals(expected, ASCII.lowercased(signature)) else {
                throw Self.postSignatureMismatch(accessKey: credential.accessKey, policy: policy, provided: signature)
            }
            return VerifiedAuth(accessKey: credential.accessKey, version: 4, presigned: true, payload: .unsigned)
        }
        if field("awsaccesskeyid") != nil || field("signature") != nil {
            guard let accessKey = field("awsaccesskeyid") else { throw Self.missingPostField("AWSAccessKeyId") }
            guard let signature = field("signature") else { throw Self.missingPostField("signature") }
            guard let policy else { throw Self.missingPostField("policy") }
            let secret = try secret(for: accessKey)
            let expected = Primitives.hmacSHA1Base64(key: secret, policy)
            guard ConstantTime.equals(expected, signature) else {
                throw Self.postSignatureMismatch(accessKey: accessKey, policy: policy, provided: signature)
            }
            return VerifiedAuth(accessKey: accessKey, version: 2, presigned: true, payload: .unsigned)
        }
        return nil
    }

    /// The SigV4 POST signature of a base64 policy: hex HMAC-SHA256 with the derived signing key.
    /// (For clients and tests; the server side is `verifyPostPolicy`.)
    public static func postPolicySignatureV4(
        policy: String, secret: String, date: String, region: String, service: String = "s3"
    ) -> String {
        let key = Primitives.deriveSigningKey(secret: secret, date: date, region: region, service: service)
        return Hex.encode(Primitives.hmacSHA256(key: key, policy))
    }

    /// The SigV2 POST signature of a base64 policy: base64 HMAC-SHA1 with the secret.
    public static func postPolicySignatureV2(policy: String, secret: String) -> String {
        Primitives.hmacSHA1Base64(key: secret, policy)
    }

    static func missingPostField(_ name: String) -> AuthError {
        AuthError.invalidArgument(
            "Bucket POST must contain a field named '\(name)'.  If it is specified, please check the order of the fields.",
            name: name, value: "")
    }

    static func postSignatureMismatch(accessKey: String, policy: String, provided: String) -> AuthError {
        AuthError.signatureDoesNotMatch([
            ("AWSAccessKeyId", accessKey),
            ("StringToSign", policy),
            ("SignatureProvided", provided),
            ("StringToSignBytes", AuthError.spacedHex(policy)),
        ])
    }
}
