import Crypto
import WireFormats

/// Builds the SigV4 canonical request and string to sign the way S3 does, as bytes: a request's
/// signature is checked without building either as a String (they become Strings only for the
/// SignatureDoesNotMatch details).
enum CanonicalRequest {
    /// Canonical header value: trimmed, runs of spaces collapsed to one.
    static func normalizeHeaderValue(_ value: String) -> String {
        var out: [UInt8] = []
        appendNormalized(value, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    static func appendNormalized(_ value: String, to out: inout [UInt8]) {
        var lastWasSpace = false
        for byte in ASCII.trimmed(value[...]).utf8 {
            if byte == 0x20 {
                if lastWasSpace { continue }
                lastWasSpace = true
            } else {
                lastWasSpace = false
            }
            out.append(byte)
        }
    }

    /// "name:value\n" for each signed header, in the order given by SignedHeaders.
    /// Repeated headers are joined with ','; a signed header that is absent signs as empty.
    static func canonicalHeaders(_ signedHeaders: [String], in request: IncomingRequest) -> String {
        var out: [UInt8] = []
        appendCanonicalHeaders(signedHeaders, in: request, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    static func appendCanonicalHeaders(_ signedHeaders: [String], in request: IncomingRequest, to out: inout [UInt8]) {
        for name in signedHeaders {
            out.append(contentsOf: name.utf8)
            out.append(UInt8(ascii: ":"))
            var first = true
            for header in request.headers where ASCII.equalsIgnoringCase(header.name, name) {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                appendNormalized(header.value, to: &out)
            }
            out.append(UInt8(ascii: "\n"))
        }
    }

    /// method \n path \n canonical query \n canonical headers \n signed headers \n payload hash.
    static func build(
        method: String, path: String, canonicalQuery: String, signedHeaders: [String], in request: IncomingRequest,
        payloadHash: String
    ) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256 + path.utf8.count + canonicalQuery.utf8.count + 64 * signedHeaders.count)
        out.append(contentsOf: method.utf8)
        out.append(UInt8(ascii: "\n"))
        // S3 signs the path exactly as sent: no normalization, no second encoding.
        if path.isEmpty { out.append(UInt8(ascii: "/")) } else { out.append(contentsOf: path.utf8) }
        out.append(UInt8(ascii: "\n"))
        out.append(contentsOf: canonicalQuery.utf8)
        out.append(UInt8(ascii: "\n"))
        appendCanonicalHeaders(signedHeaders, in: request, to: &out)
        out.append(UInt8(ascii: "\n"))
        for (i, name) in signedHeaders.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ";")) }
            out.append(contentsOf: name.utf8)
        }
        out.append(UInt8(ascii: "\n"))
        out.append(contentsOf: payloadHash.utf8)
        return out
    }

    /// "AWS4-HMAC-SHA256" \n time \n scope \n hex SHA-256 of the canonical request.
    static func stringToSign(amzDate: String, scope: CredentialScope, canonicalRequest: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(160)
        out.append(contentsOf: "AWS4-HMAC-SHA256\n".utf8)
        out.append(contentsOf: amzDate.utf8)
        out.append(UInt8(ascii: "\n"))
        scope.appendScope(to: &out)
        out.append(UInt8(ascii: "\n"))
        Hex.append(SHA256.hash(data: canonicalRequest), to: &out)
        return out
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

    func appendScope(to out: inout [UInt8]) {
        out.append(contentsOf: date.utf8)
        out.append(UInt8(ascii: "/"))
        out.append(contentsOf: region.utf8)
        out.append(UInt8(ascii: "/"))
        out.append(contentsOf: service.utf8)
        out.append(UInt8(ascii: "/"))
        out.append(contentsOf: terminator.utf8)
    }

    /// Splits from the right, so the access key is whatever precedes the last four parts.
    init?(_ credential: String) {
        let parts = ASCII.split(credential, 0x2f)
        guard parts.count >= 5 else { return nil }
        let n = parts.count
        accessKey = n == 5 ? String(parts[0]) : parts[0..<(n - 4)].joined(separator: "/")
        date = String(parts[n - 4])
        region = String(parts[n - 3])
        service = String(parts[n - 2])
        terminator = String(parts[n - 1])
        guard !accessKey.isEmpty, date.utf8.count == 8, date.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            return nil
        }
    }
}
