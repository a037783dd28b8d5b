import NIOCore

/// What a body's own pass over its bytes computed and verified: the payload's MD5 (the ETag) and the
/// checksums to store with it (algorithm name -> base64).
public struct BodyDigests: Sendable {
    public var md5: [UInt8]
    public var checksums: [String: String]

    public init(md5: [UInt8], checksums: [String: String] = [:]) {
        self.md5 = md5
        self.checksums = checksums
    }
}

/// A request body that computes its digests while it is read and verifies them when it ends: its
/// iterator throws (BadDigest, a length mismatch, …) instead of ending when something the client
/// declared does not hold. Once the iterator has ended, `digests()` gives what the pass computed.
///
/// This is how the storage core receives finished, verified digests: it reads the body to its end,
/// then takes `digests()` before it commits; it never calls back into a front end. Front ends build
/// their bodies from `MD5Body` or, with aws-chunked decoding and client checksums, S3's pipeline.
public protocol DigestedBody: AsyncSequence where Element == ByteBuffer {
    /// The digests, once the body was read to its end; throws when it was not.
    func digests() throws -> BodyDigests
}

extension CoreError {
    /// A body's digests asked for before it was read to its end (a bug, not a client error).
    static let bodyNotFinished = CoreError.internalError("the body's digests were asked for before it ended")
}
