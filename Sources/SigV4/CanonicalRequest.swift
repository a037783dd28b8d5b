/// Builds the SigV4 canonical request and string to sign the way S3 does.
enum CanonicalRequest {
    /// Canonical header value: trimmed, runs of spaces collapsed to one.
    static func normalizeHeaderValue(_ value: String) -> String {
        let trimmed = ASCII.trimmed(value[...])
        var out: [UInt8] = []
        out.reserveCapacity(trimmed.utf8.count)
        var lastWasSpace = false
        for byte in trimmed.utf8 {
            if byte == 0x20 {
                if lastWasSpace { continue }
                lastWasSpace = true
            } else {
                lastWasSpace = false
            }
            out.append(byte)
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// "name:value\n" for each signed header, in the order given by SignedHeaders.
    /// Repeated headers are joined with ','; a signed header that is absent signs as empty.
    static func canonicalHeaders(_ signedHeaders: [String], in request: IncomingRequest) -> String {
        var out = ""
        for name in signedHeaders {
            let values = request.headerValues(name)
            out += name
            out += ":"
            out += values.map(normalizeHeaderValue).joined(separator: ",")
            out += "\n"
        }
        return out
    }

    static func build(
        method: String, path: String, canonicalQuery: String, canonicalHeaders: String,
        signedHeaders: String, payloadHash: String
    ) -> String {
        // S3 signs the path exactly as sent: no normalization, no second encoding.
        let uri = path.isEmpty ? "/" : path
        return method + "\n" + uri + "\n" + canonicalQuery + "\n" + canonicalHeaders + "\n" + signedHeaders + "\n"
            + payloadHash
    }

    static func stringToSign(amzDate: String, scope: String, canonicalRequest: String) -> String {
        "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + Primitives.sha256Hex(canonicalRequest)
    }
}

/// `AKID/yyyyMMdd/region/service/aws4_request`, the Credential of a SigV4 request.
struct CredentialScope {
    var accessKey: String
    var date: String
    var region: String
    var service: String
    var terminator: String

    var scope: String { date + "/" + region + "/" + service + "/" + terminator }

    /// Splits from the right, so the access key is whatever precedes the last four parts.
    init?(_ credential: String) {
        let parts = ASCII.split(credential, 0x2f)
        guard parts.count >= 5 else { return nil }
        let n = parts.count
        accessKey = parts[0..<(n - 4)].joined(separator: "/")
        date = String(parts[n - 4])
        region = String(parts[n - 3])
        service = String(parts[n - 2])
        terminator = String(parts[n - 1])
        guard !accessKey.isEmpty, date.utf8.count == 8, date.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            return nil
        }
    }
}
