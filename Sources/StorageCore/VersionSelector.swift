/// A version of a key as an S3 request names it (`?versionId`, a DeleteObjects entry, a copy source):
/// the one S3 calls "null", or one with its own ID.
///
/// An own ID is the store's version number (unique among every version the store ever made, see
/// `MetadataStore.nextVersion`) as 16 lowercase hex digits: URL-safe, fixed length, never "null".
public enum VersionSelector: Sendable, Equatable, Hashable {
    case null
    case version(Int64)

    public static let nullID = "null"

    /// nil when `id` is neither "null" nor an ID this gateway makes.
    public init?(id: String) {
        if id == Self.nullID { self = .null; return }
        let digits = Array(id.utf8)
        guard digits.count == 16, digits.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }),
              let n = UInt64(id, radix: 16), n > 0, n <= UInt64(Int64.max) else { return nil }
        self = .version(Int64(n))
    }

    public var id: String {
        switch self {
        case .null: return Self.nullID
        case .version(let n):
            let hex = String(UInt64(bitPattern: n), radix: 16)
            return String(repeating: "0", count: max(0, 16 - hex.count)) + hex
        }
    }
}
