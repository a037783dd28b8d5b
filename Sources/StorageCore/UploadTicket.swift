import Crypto
import Foundation
import WireFormats

/// One revocable credential for a batch of uploads into one bucket under one prefix, with limits the
/// server enforces (`tessera tickets create`). Sent as `Authorization: Bearer tkt_<id>_<secret>`; the store
/// keeps the ID and the SHA-256 of the secret, never the secret. Its use so far (bytes accepted, files
/// completed) is counted in the store, so every gateway over it shares one allowance.
public struct UploadTicket: Sendable, Equatable, Codable {
    public var id: String
    /// Hex SHA-256 of the secret.
    public var secretDigest: String
    public var bucket: String
    /// Keys it may write start with these bytes ("" for the whole bucket).
    public var prefix: String
    public var maxBytes: Int64?
    public var maxFiles: Int64?
    /// A Content-Type the uploads must have: exact, or `type/*`.
    public var contentType: String?
    public var expires: Date?
    public var created: Date
    /// Kept by the store beside the record: whether it was revoked, and its use so far.
    public var revoked = false
    public var bytesUsed: Int64 = 0
    public var filesUsed: Int64 = 0

    public init(id: String, secretDigest: String, bucket: String, prefix: String, maxBytes: Int64?, maxFiles: Int64?,
                contentType: String?, expires: Date?, created: Date) {
        self.id = id; self.secretDigest = secretDigest; self.bucket = bucket; self.prefix = prefix
        self.maxBytes = maxBytes; self.maxFiles = maxFiles; self.contentType = contentType; self.expires = expires; self.created = created
    }

    /// A new ticket and the token that carries it (printed once: only its digest is stored).
    public static func generate(bucket: String, prefix: String, maxBytes: Int64?, maxFiles: Int64?, contentType: String?,
                                expires: Date?) -> (UploadTicket, token: String) {
        var g = SystemRandomNumberGenerator()
        let id = Hex.encode((0..<8).map { _ in UInt8.random(in: 0...255, using: &g) })
        let secret = Hex.encode((0..<24).map { _ in UInt8.random(in: 0...255, using: &g) })
        let ticket = UploadTicket(id: id, secretDigest: digest(secret), bucket: bucket, prefix: prefix, maxBytes: maxBytes,
                                  maxFiles: maxFiles, contentType: contentType, expires: expires, created: Date())
        return (ticket, "tkt_\(id)_\(secret)")
    }

    static func digest(_ secret: String) -> String { Hex.encode(SHA256.hash(data: Array(secret.utf8))) }

    /// The ID and secret of a token; nil when it is not shaped as one.
    public static func parse(token: String) -> (id: String, secret: String)? {
        let parts = token.split(separator: "_", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "tkt", Hex.isHex(parts[1], count: 16), Hex.isHex(parts[2], count: 48) else { return nil }
        return (String(parts[1]), String(parts[2]))
    }

    /// Whether `secret` is this ticket's (compared without leaking where digests differ through timing).
    public func accepts(secret: String) -> Bool {
        let a = Array(Self.digest(secret).utf8), b = Array(secretDigest.utf8)
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// Neither revoked nor expired at `now`.
    public func isUsable(at now: Date = Date()) -> Bool { !revoked && (expires.map { now < $0 } ?? true) }

    /// Whether a key is under its prefix (bytes).
    public func covers(key: String) -> Bool { Array(key.utf8).starts(with: Array(prefix.utf8)) }

    /// Whether an upload's Content-Type is one it allows.
    public func allows(contentType value: String?) -> Bool {
        guard let pattern = contentType else { return true }
        let given = (value ?? "").split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        let want = pattern.lowercased()
        if want.hasSuffix("/*") { return given.utf8.starts(with: want.dropLast().utf8) }
        return Array(given.utf8) == Array(want.utf8)
    }

    /// Bytes that may still be sent; nil: no limit.
    public var bytesLeft: Int64? { maxBytes.map { max(0, $0 - bytesUsed) } }
    public var filesLeft: Int64? { maxFiles.map { max(0, $0 - filesUsed) } }
}

/// Where tickets and their use are kept: the metadata store, shared by every gateway.
public protocol TicketStore: Sendable {
    /// Throws when the ID is taken.
    func createTicket(_ ticket: UploadTicket) async throws
    func ticket(id: String) async throws -> UploadTicket?
    func tickets() async throws -> [UploadTicket]
    /// false when there is no such ticket.
    func revokeTicket(id: String) async throws -> Bool
    /// Adds `bytes` and `files` to the ticket's use in one statement, only if it is not revoked and the
    /// totals stay within its limits (negative amounts give back, and always apply). false: refused.
    func chargeTicket(id: String, bytes: Int64, files: Int64) async throws -> Bool
}
