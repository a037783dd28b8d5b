import Foundation

/// An HTTP request as the server received it, before any decoding.
public struct IncomingRequest: Sendable {
    public var method: String
    /// Raw path exactly as received, percent-encoding preserved, no query.
    public var path: String
    /// Raw query string as received, without '?'; "" if none.
    public var query: String
    /// As received, any case, in order; duplicates possible.
    public var headers: [(name: String, value: String)]
    /// Bucket the server took from the Host header of a virtual-hosted-style request.
    /// SigV2 signs "/bucket" + path, so it cannot verify such requests without it.
    public var virtualHostBucket: String?

    public init(method: String, path: String, query: String, headers: [(name: String, value: String)]) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.virtualHostBucket = nil
    }

    public init(
        method: String, path: String, query: String, headers: [(name: String, value: String)],
        virtualHostBucket: String?
    ) {
        self.init(method: method, path: path, query: query, headers: headers)
        self.virtualHostBucket = virtualHostBucket
    }

    /// First value of a header. `lowercasedName` must be lowercase.
    func header(_ lowercasedName: String) -> String? {
        for header in headers where ASCII.equalsIgnoringCase(header.name, lowercasedName) {
            return header.value
        }
        return nil
    }
}

/// How the request body is protected, which decides how the caller must read it.
public enum PayloadMode: Sendable, Equatable {
    /// UNSIGNED-PAYLOAD, SigV2, or presigned without X-Amz-Content-Sha256.
    case unsigned
    /// Lowercase hex the body must hash to (caller verifies while streaming).
    case sha256(String)
    /// STREAMING-AWS4-HMAC-SHA256-PAYLOAD
    case streamingSigned
    /// STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER
    case streamingSignedTrailer
    /// STREAMING-UNSIGNED-PAYLOAD-TRAILER
    case streamingUnsignedTrailer

    /// True for the modes whose body is aws-chunked.
    public var isStreaming: Bool {
        switch self {
        case .unsigned, .sha256: return false
        case .streamingSigned, .streamingSignedTrailer, .streamingUnsignedTrailer: return true
        }
    }
}

/// An authentication failure, shaped like S3's XML error.
public struct AuthError: Error, Sendable, CustomStringConvertible {
    /// S3 error code, e.g. SignatureDoesNotMatch.
    public var code: String
    /// S3's wording where known.
    public var message: String
    /// HTTP status (403 for most, 400 for malformed).
    public var status: Int
    /// Extra XML elements S3 includes, in S3's order.
    public var details: [(name: String, value: String)]
    /// The error an `emit` callback threw, when the decoder wrapped it.
    public var underlying: (any Error)?

    public init(code: String, message: String, status: Int, details: [(name: String, value: String)] = []) {
        self.code = code
        self.message = message
        self.status = status
        self.details = details
        self.underlying = nil
    }

    /// Value of the first detail element with this name.
    public func detail(_ name: String) -> String? {
        details.first { $0.name == name }?.value
    }

    public var description: String { "\(status) \(code): \(message)" }
}

/// What a successful verification established.
public struct VerifiedAuth: Sendable {
    public var accessKey: String
    /// 2 or 4.
    public var version: Int
    public var presigned: Bool
    public var payload: PayloadMode
    /// Set for the two signed streaming modes.
    public var chunkSigner: ChunkSigner?

    public init(accessKey: String, version: Int, presigned: Bool, payload: PayloadMode, chunkSigner: ChunkSigner? = nil) {
        self.accessKey = accessKey
        self.version = version
        self.presigned = presigned
        self.payload = payload
        self.chunkSigner = chunkSigner
    }
}
