import Crypto
import WireFormats

/// A user of the gateway: access keys belong to one (`tessera keys create --user NAME`), buckets to the
/// one whose key created them. A user is only a name: there is no user table. Its canonical ID, what ACLs
/// and listings show as Owner ID, is derived from the name, so every gateway over one store agrees on it.
public struct User: Sendable, Hashable {
    public let name: String
    public init(name: String) { self.name = name }

    /// The user that keys made without `--user`, the daemon's own key, and buckets from before owners belong to.
    public static let defaultName = "tessera"
    public static let `default` = User(name: defaultName)

    /// 64 hex digits, as S3's canonical user IDs: SHA-256 of the name under a fixed label.
    public var canonicalID: String {
        Hex.encode(SHA256.hash(data: Array("tessera canonical user\u{0}".utf8) + Array(name.utf8)))
    }

    public var displayName: String { name }

    /// IAM's user-name rule: 1-64 characters of letters, digits and `+=,.@_-`.
    public static func isValidName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        return (1...64).contains(bytes.count) && bytes.allSatisfy { b in
            (0x30...0x39).contains(b) || (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b) || Array("+=,.@_-".utf8).contains(b)
        }
    }
}

/// Who sent a request: a user (by one of its keys), the holder of an upload ticket, or nobody (no signature).
public enum Caller: Sendable, Equatable {
    case anonymous
    case user(User)
    /// `Authorization: Bearer tkt_…`: what it may do is the ticket's alone (`TicketAccess`), never an ACL's.
    case ticket(UploadTicket)

    public var user: User? {
        if case .user(let u) = self { return u }
        return nil
    }
}
