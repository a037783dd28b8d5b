import Crypto
import WireFormats

/// The part of SigV4 verification shared by the Authorization header and presigned URLs.
struct SigV4Claim {
    var credential: CredentialScope
    /// Request time in ISO 8601 basic format, as it goes into the string to sign.
    var amzDate: String
    /// Lowercased names, in the order the client listed them.
    var signedHeaders: [String]
    var canonicalQuery: String
    var payloadHash: String
    var signature: String
    var presigned: Bool
}

extension Verifier {
    /// The credential must name this endpoint's region and service; S3 says which region it expected.
    func checkScope(_ credential: CredentialScope, presigned: Bool) throws(AuthError) {
        func malformed(_ reason: String, _ details: [(name: String, value: String)] = []) -> AuthError {
            presigned
                ? .queryMalformed("Error parsing the X-Amz-Credential parameter; " + reason, details)
                : .headerMalformed(reason, details)
        }
        if !regionIsWildcard && credential.region != region {
            throw malformed("the region '\(credential.region)' is wrong; expecting '\(region)'", [("Region", region)])
        }
        if credential.service != service {
            throw malformed("incorrect service \"\(credential.service)\". This endpoint belongs to \"\(service)\".")
        }
        if credential.terminator != "aws4_request" {
            throw malformed("incorrect terminal \"\(credential.terminator)\". This endpoint uses \"aws4_request\".")
        }
    }

    static func credentialMalformed(presigned: Bool) -> AuthError {
        let reason = "the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\"."
        return presigned
            ? .queryMalformed("Error parsing the X-Amz-Credential parameter; " + reason)
            : .headerMalformed(reason)
    }

    /// Recomputes the signature and compares it in constant time; returns the signing key for chunk signing.
    func checkSignature(_ claim: SigV4Claim, request: IncomingRequest, secret: String) throws(AuthError) -> [UInt8] {
        let canonicalRequest = CanonicalRequest.build(
            method: request.method, path: request.path, canonicalQuery: claim.canonicalQuery,
            signedHeaders: claim.signedHeaders, in: request, payloadHash: claim.payloadHash)
        let stringToSign = CanonicalRequest.stringToSign(
            amzDate: claim.amzDate, scope: claim.credential, canonicalRequest: canonicalRequest)
        let keyed = keyCache.keyedSHA256(
            secret: secret, date: claim.credential.date, region: claim.credential.region,
            service: claim.credential.service)
        var mac = keyed.mac
        mac.update(data: stringToSign)
        var expected: [UInt8] = []
        expected.reserveCapacity(64)
        Hex.append(mac.finalize(), to: &expected)
        guard ConstantTime.equals(expected, hexIgnoringCase: claim.signature) else {
            let stringToSign = String(decoding: stringToSign, as: UTF8.self)
            let canonicalRequest = String(decoding: canonicalRequest, as: UTF8.self)
            throw AuthError.signatureDoesNotMatch([
                ("AWSAccessKeyId", claim.credential.accessKey),
                ("StringToSign", stringToSign),
                ("SignatureProvided", claim.signature),
                ("StringToSignBytes", AuthError.spacedHex(stringToSign)),
                ("CanonicalRequest", canonicalRequest),
                ("CanonicalRequestBytes", AuthError.spacedHex(canonicalRequest)),
            ])
        }
        return keyed.signingKey
    }
}
