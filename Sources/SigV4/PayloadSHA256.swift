import Crypto
import WireFormats

/// Streaming SHA-256 of a request body, for checking `PayloadMode.sha256` as the body arrives.
public struct PayloadSHA256 {
    private var hasher = SHA256()
    public private(set) var byteCount: Int64 = 0

    public init() {}

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        hasher.update(bufferPointer: bytes)
        byteCount += Int64(bytes.count)
    }

    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Lowercase hex digest of everything fed so far.
    public func hexDigest() -> String {
        Hex.encode(hasher.finalize())
    }

    /// Throws S3's XAmzContentSHA256Mismatch when the body does not hash to `expectedHex`.
    public func verify(expectedHex: String) throws(AuthError) {
        let computed = hexDigest()
        guard computed == ASCII.lowercased(expectedHex) else {
            throw AuthError.contentSHA256Mismatch(clientComputed: expectedHex, serverComputed: computed)
        }
    }
}
