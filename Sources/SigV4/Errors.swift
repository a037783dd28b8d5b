import WireFormats

/// The S3 errors this module produces, with S3's codes, statuses and wording,
/// kept in one place so the messages stay consistent.
extension AuthError {
    static func signatureDoesNotMatch(_ details: [(name: String, value: String)]) -> AuthError {
        AuthError(
            code: "SignatureDoesNotMatch",
            message: "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
            status: 403, details: details)
    }

    static func invalidAccessKeyId(_ accessKey: String) -> AuthError {
        AuthError(
            code: "InvalidAccessKeyId",
            message: "The AWS Access Key Id you provided does not exist in our records.",
            status: 403, details: [("AWSAccessKeyId", accessKey)])
    }

    static func accessDenied(_ message: String, _ details: [(name: String, value: String)] = []) -> AuthError {
        AuthError(code: "AccessDenied", message: message, status: 403, details: details)
    }

    static func headerMalformed(_ reason: String, _ details: [(name: String, value: String)] = []) -> AuthError {
        AuthError(
            code: "AuthorizationHeaderMalformed",
            message: "The authorization header is malformed; " + reason,
            status: 400, details: details)
    }

    static func queryMalformed(_ message: String, _ details: [(name: String, value: String)] = []) -> AuthError {
        AuthError(code: "AuthorizationQueryParametersError", message: message, status: 400, details: details)
    }

    static func invalidArgument(_ message: String, name: String, value: String) -> AuthError {
        AuthError(
            code: "InvalidArgument", message: message, status: 400,
            details: [("ArgumentName", name), ("ArgumentValue", value)])
    }

    static func invalidRequest(_ message: String) -> AuthError {
        AuthError(code: "InvalidRequest", message: message, status: 400)
    }

    static let missingDate = AuthError.accessDenied("AWS authentication requires a valid Date or x-amz-date header")

    static func tooSkewed(requestTime: String, serverTime: Int64, maxSkew: Double) -> AuthError {
        AuthError(
            code: "RequestTimeTooSkewed",
            message: "The difference between the request time and the current time is too large.",
            status: 403,
            details: [
                ("RequestTime", requestTime),
                ("ServerTime", ISO8601Time.format(serverTime)),
                ("MaxAllowedSkewMilliseconds", String(Int64(maxSkew * 1000))),
            ])
    }

    static func headersNotSigned(_ names: [String]) -> AuthError {
        accessDenied(
            "There were headers present in the request which were not signed",
            [("HeadersNotSigned", names.joined(separator: ", "))])
    }

    static let incompleteBody = AuthError(
        code: "IncompleteBody",
        message: "The request body terminated unexpectedly",
        status: 400)

    static func malformedChunk(_ reason: String) -> AuthError {
        invalidRequest("Malformed aws-chunked encoding: " + reason)
    }

    static func malformedTrailer(_ reason: String) -> AuthError {
        AuthError(
            code: "MalformedTrailerError",
            message: "The request contained trailing data that was not well-formed or did not conform to our published schema. (" + reason + ")",
            status: 400)
    }

    /// S3's error for a body whose SHA-256 differs from x-amz-content-sha256.
    public static func contentSHA256Mismatch(clientComputed: String, serverComputed: String) -> AuthError {
        AuthError(
            code: "XAmzContentSHA256Mismatch",
            message: "The provided 'x-amz-content-sha256' header does not match what was computed.",
            status: 400,
            details: [("ClientComputedContentSHA256", clientComputed), ("S3ComputedContentSHA256", serverComputed)])
    }

    /// S3 echoes the exact bytes it signed, as space-separated hex pairs.
    static func spacedHex(_ text: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count * 3)
        for byte in text.utf8 {
            if !out.isEmpty { out.append(UInt8(ascii: " ")) }
            Hex.append(CollectionOfOne(byte), to: &out)
        }
        return String(decoding: out, as: UTF8.self)
    }
}
