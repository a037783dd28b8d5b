import Crypto
import WireFormats

/// Computes the signatures S3 expects on the chunks and trailer of a signed aws-chunked
/// body. Each signature chains the previous one, starting from the request's (seed) signature.
public struct ChunkSigner: Sendable {
    /// Kept as bytes: swift-crypto's SymmetricKey is not Sendable.
    let signingKey: [UInt8]
    /// Request time, ISO 8601 basic format.
    public let amzDate: String
    /// `yyyyMMdd/region/service/aws4_request`
    public let scope: String
    /// The signature of the request itself, which the first chunk signature chains from.
    public let seedSignature: String

    init(signingKey: [UInt8], amzDate: String, scope: String, seedSignature: String) {
        self.signingKey = signingKey
        self.amzDate = amzDate
        self.scope = scope
        self.seedSignature = seedSignature
    }

    /// Derives the signing key from the secret; for clients and tests.
    public init(secret: String, amzDate: String, region: String, service: String = "s3", seedSignature: String) {
        let day = String(amzDate.prefix(8))
        self.init(
            signingKey: Primitives.deriveSigningKey(secret: secret, date: day, region: region, service: service),
            amzDate: amzDate, scope: day + "/" + region + "/" + service + "/aws4_request",
            seedSignature: seedSignature)
    }

    /// Signature of one chunk, given the lowercase hex SHA-256 of its data.
    public func chunkSignature(previous: String, chunkSHA256Hex: String) -> String {
        let stringToSign = "AWS4-HMAC-SHA256-PAYLOAD\n" + amzDate + "\n" + scope + "\n" + previous + "\n"
            + Primitives.emptySHA256 + "\n" + chunkSHA256Hex
        return Hex.encode(Primitives.hmacSHA256(key: signingKey, stringToSign))
    }

    /// Signature of one chunk's data.
    public func chunkSignature(previous: String, chunk: some Sequence<UInt8>) -> String {
        var hasher = SHA256()
        hasher.update(data: Array(chunk))
        return chunkSignature(previous: previous, chunkSHA256Hex: Hex.encode(hasher.finalize()))
    }

    /// Signature of the trailer section; the trailers are signed as "name:value\n" lines.
    public func trailerSignature(previous: String, trailers: [(name: String, value: String)]) -> String {
        var canonical = ""
        for trailer in trailers { canonical += trailer.name + ":" + trailer.value + "\n" }
        let stringToSign = "AWS4-HMAC-SHA256-TRAILER\n" + amzDate + "\n" + scope + "\n" + previous + "\n"
            + Primitives.sha256Hex(canonical)
        return Hex.encode(Primitives.hmacSHA256(key: signingKey, stringToSign))
    }
}
